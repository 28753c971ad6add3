/**
 * The one place error answers are shaped, for express's error middleware (error-handler.ts) and
 * for what Node's HTTP layer refuses before express sees a request (http-server.ts).
 *
 * Two shapes, chosen from the request path: under the built-in identity's prefix (`/identity`),
 * Keystone's `{"error": {"code", "title", "message"}}` document; everywhere else Glance's webob
 * pages, negotiated from `Accept` (webob-format.ts). A 405 is worded by the shape too.
 */
import { MethodNotAllowedError, statusTitle } from '../base/errors.ts';
import { pythonJson } from './respond.ts';
import { negotiateErrorFormat, renderWebobError, type ErrorFormat } from './webob-format.ts';

export type ErrorStyle = 'webob' | 'keystone';

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
}

export function createErrorRenderer(options: ErrorRendererOptions): ErrorRenderer {
  const prefix = options.keystonePrefix?.toLowerCase();
  // Matched as express mounts a router: case-insensitively, the prefix itself or below it.
  const styleFor = (path: string | undefined): ErrorStyle => {
    const lower = path?.toLowerCase();
    return prefix !== undefined && lower !== undefined && (lower === prefix || lower.startsWith(`${prefix}/`)) ? 'keystone' : 'webob';
  };
  return {
    styleFor,
    render(status, message, request, error) {
      const headers: Record<string, string> = {};
      if (error instanceof MethodNotAllowedError) headers['Allow'] = error.allow.join(', ');
      if (styleFor(request.path) === 'keystone') {
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
