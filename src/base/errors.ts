/**
 * The error vocabulary of the service. Each class fixes its HTTP status; the message is the
 * Glance "explanation" text that ends up in the webob-style body (see http/error-render.ts).
 * This module imports nothing internal.
 */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = new.target.name;
  }
}

export class BadRequestError extends ApiError {
  constructor(message: string) {
    super(400, message);
  }
}
export class UnauthorizedError extends ApiError {
  constructor(message = UNAUTHORIZED_TEXT) {
    super(401, message);
  }
}
export class ForbiddenError extends ApiError {
  constructor(message: string) {
    super(403, message);
  }
}
export class NotFoundError extends ApiError {
  constructor(message = 'The resource could not be found.') {
    super(404, message);
  }
}
export class MethodNotAllowedError extends ApiError {
  constructor(
    readonly method: string,
    readonly allow: readonly string[],
  ) {
    super(405, `The method ${method} is not allowed for this resource. `);
  }
}
export class ConflictError extends ApiError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(409, message, options);
  }
}
export class RequestEntityTooLargeError extends ApiError {
  constructor(message: string) {
    super(413, message);
  }
}
export class RequestUriTooLongError extends ApiError {
  constructor(message: string) {
    super(414, message);
  }
}
export class UnsupportedMediaTypeError extends ApiError {
  constructor(message: string) {
    super(415, message);
  }
}
export class RequestHeaderFieldsTooLargeError extends ApiError {
  constructor(message: string) {
    super(431, message);
  }
}
export class ServiceUnavailableError extends ApiError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(503, message, options);
  }
}

/** webob's default 401 explanation, which Glance sends for a missing or invalid token. */
export const UNAUTHORIZED_TEXT =
  'This server could not verify that you are authorized to access the document you requested. ' +
  'Either you supplied the wrong credentials (e.g., bad password), or your browser does not ' +
  'understand how to supply the credentials required.';

/** webob's default 500 explanation. */
export const INTERNAL_ERROR_TEXT = 'The server has either erred or is incapable of performing the requested operation.';

/** Reason phrases as webob spells them (Node's differ, e.g. 413 "Payload Too Large"). */
export const STATUS_TITLES: Readonly<Record<number, string>> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  406: 'Not Acceptable',
  408: 'Request Timeout',
  409: 'Conflict',
  410: 'Gone',
  411: 'Length Required',
  413: 'Request Entity Too Large',
  414: 'Request-URI Too Long',
  415: 'Unsupported Media Type',
  416: 'Request Range Not Satisfiable',
  431: 'Request Header Fields Too Large',
  500: 'Internal Server Error',
  501: 'Not Implemented',
  503: 'Service Unavailable',
};

export function statusTitle(status: number): string {
  return STATUS_TITLES[status] ?? (status >= 500 ? 'Internal Server Error' : 'Bad Request');
}

/**
 * An error of the IMS-compatible batch API (`/v1`): its `code` (`IMG.nnnn`, the provider's
 * vocabulary) goes into `{"error": {"code", "message"}}` (http/error-render.ts).
 */
export class ImsError extends ApiError {
  constructor(
    status: number,
    readonly code: string,
    message: string,
  ) {
    super(status, message);
  }
}
