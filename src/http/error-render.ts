/**
 * The one place error answers are shaped, for express's error middleware (error-handler.ts) and
 * for what Node's HTTP layer refuses before express sees a request (http-server.ts).
 *
 * Three shapes, chosen from the request path: under the built-in identity's prefix (`/identity`),
 * Keystone's `{"error": {"code", "title", "message"}}` document; under the IMS-compatible batch
 * API (`/v1`), the provider's `{"error": {"code": "IMG.nnnn", "message"}}` (the code from an
 * ImsError, else one by status); everywhere else Glance's webob pages, negotiated from `Accept`
 * (webob-format.ts). A 405 is worded by the shape too.
 */
import { ImsError, MethodNotAllowedError, statusTitle } from '../base/errors.ts';
import { pythonJson } from './respond.ts';
import { negotiateErrorFormat, renderWebobError, type ErrorFormat } from './webob-format.ts';

export type ErrorStyle = 'webob' | 'keystone' | 'ims';

/** What of the request decides an error's shape. */
export interface ErrorRequest {
  /** The request path, without the query; undefined when the request line could not be read. */
  path: string | undefined;
  accept: string | undefined;
  method: string | undefined;
}

export interface RenderedErrorAnswer {
  status: number;
  /** Headers beyond Content-Type (`Allow` on a 405). */
  headers: Record<string, string>;
  contentType: string;
  /** The body; for HEAD it is still computed, so that Content-Length can be given where it is. */
  body: string;
  /** True when no body is sent at all (webob's HEAD answer: headers only, no length). */
  headOnly: boolean;
}

export interface ErrorRenderer {
  styleFor(path: string | undefined): ErrorStyle;
  render(status: number, message: string, request: ErrorRequest, error?: unknown): RenderedErrorAnswer;
}

/** Keystone's 405 text (its own, not webob's). */
const KEYSTONE_METHOD_NOT_ALLOWED = 'The method is not allowed for the requested URL.';

export interface ErrorRendererOptions {
  /** Path prefix whose errors are Keystone documents (the built-in identity); none in other modes. */
  keystonePrefix?: string | undefined;
  /** Path prefix whose errors are IMS documents (the batch sharing API); `/v1` by default. */
  imsPrefix?: string | undefined;
}

/**
 * The IMS code for an error that carries none, by status. 401 is the API gateway's (as the provider's
 * gateway answers it); the others are the closest of the provider's table (spec section 8).
 */
const IMS_CODES_BY_STATUS: Readonly<Record<number, string>> = {
  400: 'IMG.0001',
  401: 'APIGW.0301',
  403: 'IMG.0161',
  404: 'IMG.0086',
  405: 'IMG.0105',
  409: 'IMG.0105',
  413: 'IMG.0001',
  415: 'IMG.0001',
};

export function imsCodeFor(status: number, error?: unknown): string {
  if (error instanceof ImsError) return error.code;
  return IMS_CODES_BY_STATUS[status] ?? (status >= 500 ? 'IMG.0112' : 'IMG.0001');
}

const underPrefix = (lower: string | undefined, prefix: string | undefined): boolean =>
  prefix !== undefined && lower !== undefined && (lower === prefix || lower.startsWith(`${prefix}/`));

export function createErrorRenderer(options: ErrorRendererOptions): ErrorRenderer {
  const prefix = options.keystonePrefix?.toLowerCase();
  const imsPrefix = (options.imsPrefix ?? '/v1').toLowerCase();
  // Matched as express mounts a router: case-insensitively, the prefix itself or below it.
  const styleFor = (path: string | undefined): ErrorStyle => {
    const lower = path?.toLowerCase();
    if (underPrefix(lower, prefix)) return 'keystone';
    return underPrefix(lower, imsPrefix) ? 'ims' : 'webob';
  };
  return {
    styleFor,
    render(status, message, request, error) {
      const headers: Record<string, string> = {};
      if (error instanceof MethodNotAllowedError) headers['Allow'] = error.allow.join(', ');
      const style = styleFor(request.path);
      if (style === 'ims') {
        const body = pythonJson({ error: { code: imsCodeFor(status, error), message } });
        return { status, headers, contentType: 'application/json', body, headOnly: false };
      }
      if (style === 'keystone') {
        const text = status === 405 ? KEYSTONE_METHOD_NOT_ALLOWED : message;
        const body = pythonJson({ error: { code: status, title: statusTitle(status), message: text } });
        return { status, headers, contentType: 'application/json', body, headOnly: false };
      }
      if (request.method === 'HEAD') return { status, headers, contentType: 'text/html; charset=UTF-8', body: '', headOnly: true };
      // Without a request line nothing is known of the request: webob's default, plain text.
      const format: ErrorFormat = request.path === undefined ? 'plain' : negotiateErrorFormat(request.accept);
      const rendered = renderWebobError(status, message, format);
      return { status, headers, contentType: rendered.contentType, body: rendered.body, headOnly: false };
    },
  };
}
