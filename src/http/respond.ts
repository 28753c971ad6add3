/**
 * Writes response bodies exactly as Glance does: `application/json` with no charset, Python
 * `json.dumps` separators (`", "` and `": "`), and non-ASCII text as raw UTF-8. express's own
 * `res.json`/`res.type` would add `; charset=utf-8` and compact separators.
 */
import type { Response } from 'express';

export function pythonJson(value: unknown): string {
  if (value === null || value === undefined) return 'null';
  switch (typeof value) {
    case 'string':
      return JSON.stringify(value);
    case 'number':
      return Number.isFinite(value) ? String(value) : 'null';
    case 'boolean':
      return value ? 'true' : 'false';
    case 'object': {
      if (Array.isArray(value)) return `[${value.map(pythonJson).join(', ')}]`;
      const parts: string[] = [];
      for (const [key, inner] of Object.entries(value)) {
        if (inner !== undefined) parts.push(`${JSON.stringify(key)}: ${pythonJson(inner)}`);
      }
      return `{${parts.join(', ')}}`;
    }
    default:
      return 'null';
  }
}

export function sendBody(res: Response, status: number, contentType: string, body: string): void {
  res.status(status).setHeader('Content-Type', contentType);
  // A Buffer keeps express from appending a charset to the Content-Type.
  res.send(Buffer.from(body, 'utf8'));
}

export function sendJson(res: Response, status: number, value: unknown): void {
  sendBody(res, status, 'application/json', pythonJson(value));
}

/** 204 with an empty body and no Content-Type, as Glance sends it. */
export function sendNoContent(res: Response): void {
  res.status(204).end();
}
