/**
 * Request bodies the way Glance reads them (spec section 2.2): the Content-Type is not checked,
 * a body is present when Content-Length > 0 (or, for POST/PUT/PATCH, with a chunked transfer),
 * and bad JSON has its own texts. Bodies are read raw (bounded) and parsed here.
 */
import express, { type Request, type RequestHandler } from 'express';
import { BadRequestError } from '../base/errors.ts';
import { containsNul } from './request-guards.ts';

/** Largest JSON document accepted on any route; image data goes through the upload route instead. */
export const MAX_JSON_BODY_BYTES = 1024 * 1024;

/**
 * Deepest nesting of arrays and objects accepted in a JSON body. No Glance document goes past a
 * few levels; deeper ones would exhaust the stack of the code that walks them (a 500).
 */
export const MAX_JSON_DEPTH = 100;

/** True when a valid JSON text nests arrays and objects deeper than MAX_JSON_DEPTH. */
export function nestsTooDeep(text: string): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c)
        i++; // a backslash escapes the next character
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x5b || c === 0x7b) {
      if (++depth > MAX_JSON_DEPTH) return true;
    } else if (c === 0x5d || c === 0x7d) depth--;
  }
  return false;
}

/** Reads any body as bytes, whatever its Content-Type, so that Glance's rules can be applied. */
export const rawBody: RequestHandler = express.raw({ type: () => true, limit: MAX_JSON_BODY_BYTES });

export function hasBody(req: Request): boolean {
  const length = Number(req.get('content-length') ?? '0');
  if (length > 0) return true;
  const transfer = req.get('transfer-encoding')?.toLowerCase();
  return (
    ['POST', 'PUT', 'PATCH'].includes(req.method) &&
    transfer !== undefined &&
    ['chunked', 'compress', 'deflate', 'gzip', 'identity'].includes(transfer)
  );
}

/** GET and DELETE on Glance's resources refuse a body. */
export const refuseBody: RequestHandler = (req, _res, next) => {
  if (hasBody(req)) throw new BadRequestError('A body is not expected with this request.');
  next();
};

/**
 * The parsed JSON body of a POST/PUT/PATCH: an object or an array. Throws Glance's 400s for a
 * missing body, malformed JSON, and a top-level scalar.
 */
export function jsonBodyOf(req: Request): unknown {
  const raw: unknown = req.body;
  if (!hasBody(req) || !Buffer.isBuffer(raw)) throw new BadRequestError('Body expected in request.');
  const text = raw.toString('utf8');
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new BadRequestError('Malformed JSON in request body.');
  }
  if (nestsTooDeep(text)) throw new BadRequestError(`Malformed JSON in request body: nested more than ${MAX_JSON_DEPTH} levels deep.`);
  // The cheap text test first: a NUL can only be in the document as the escape \u0000.
  if (/\\u0000/i.test(text) && containsNul(value)) {
    throw new BadRequestError('NUL characters are not allowed in request bodies.');
  }
  if (value === null || typeof value !== 'object') {
    throw new BadRequestError('Unexpected body type. Expected list/dict.');
  }
  return value;
}
