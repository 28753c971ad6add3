/**
 * NUL characters cannot be stored in PostgreSQL text, so a URL carrying one would answer
 * differently per engine (and, unchecked, with a 500 on PostgreSQL). No OpenStack id or name
 * contains one: refuse them up front on every engine. Glance on SQLite accepts them.
 */
import type { RequestHandler } from 'express';
import { BadRequestError } from '../errors.ts';

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
