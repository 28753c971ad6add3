/**
 * NUL characters cannot be stored in PostgreSQL text, so a URL carrying one would answer
 * differently per engine (and, unchecked, with a 500 on PostgreSQL). No OpenStack id or name
 * contains one: refuse them up front on every engine. Glance on SQLite accepts them.
 */
import type { RequestHandler } from 'express';
import { BadRequestError, RequestUriTooLongError } from '../base/errors.ts';

/**
 * Longest request target (path and query) accepted: 8 KiB, the request-line limit of eventlet's
 * server under Glance. Real clients stay far below it (an image path is under 200 characters, a
 * list query with a marker and filters under 1 KiB); longer URLs get webob's 414. Past Node's
 * header limit (16 KiB for the request line and headers together) Node itself answers 431.
 */
export const MAX_URL_LENGTH = 8192;

export const refuseLongUrl: RequestHandler = (req, _res, next) => {
  if (req.originalUrl.length > MAX_URL_LENGTH) throw new RequestUriTooLongError('The request URI was too long for this server.');
  next();
};

export const refuseNulInUrl: RequestHandler = (req, _res, next) => {
  if (/%00/.test(req.originalUrl) || req.originalUrl.includes('\u0000')) {
    throw new BadRequestError('NUL characters are not allowed in request URLs.');
  }
  next();
};

/** True when any string (key or value) inside a parsed JSON document contains NUL. */
export function containsNul(value: unknown): boolean {
  if (typeof value === 'string') return value.includes('\u0000');
  if (Array.isArray(value)) return value.some(containsNul);
  if (value !== null && typeof value === 'object') {
    return Object.entries(value).some(([key, inner]) => key.includes('\u0000') || containsNul(inner));
  }
  return false;
}
