/**
 * Declares a resource path with its handlers per method. Every other method, HEAD included
 * (express would otherwise serve HEAD from the GET handler), answers 405 with `Allow`, as Glance does.
 */
import type { RequestHandler, Router } from 'express';
import { MethodNotAllowedError } from '../base/errors.ts';

type Method = 'get' | 'post' | 'put' | 'patch' | 'delete';
export type ResourceHandlers = Partial<Record<Method, RequestHandler | RequestHandler[]>>;

export function resource(router: Router, path: string, handlers: ResourceHandlers): void {
  const allow = (Object.keys(handlers) as Method[]).map((method) => method.toUpperCase());
  router.head(path, (req) => {
    throw new MethodNotAllowedError(req.method, allow);
  });
  for (const [method, handler] of Object.entries(handlers) as Array<[Method, RequestHandler | RequestHandler[]]>) {
    router[method](path, ...(Array.isArray(handler) ? handler : [handler]));
  }
  router.all(path, (req) => {
    throw new MethodNotAllowedError(req.method, allow);
  });
}
