/**
 * The one 405 helper: declares a resource path with its handlers per method, and answers every
 * other method with 405 and `Allow` (worded per path by the error renderer). Glance refuses HEAD
 * (express would otherwise serve it from the GET handler); Keystone serves it from GET.
 */
import type { RequestHandler, Router } from 'express';
import { MethodNotAllowedError } from '../base/errors.ts';

type Method = 'get' | 'post' | 'put' | 'patch' | 'delete';
export type ResourceHandlers = Partial<Record<Method, RequestHandler | RequestHandler[]>>;

export interface ResourceOptions {
  /** `refuse` (Glance, the default): HEAD is a 405. `from-get` (Keystone): GET's handlers answer it. */
  head?: 'refuse' | 'from-get';
}

export function resource(router: Router, path: string, handlers: ResourceHandlers, options: ResourceOptions = {}): void {
  const headFromGet = options.head === 'from-get';
  const allow = (Object.keys(handlers) as Method[]).flatMap((method) =>
    method === 'get' && headFromGet ? ['GET', 'HEAD'] : [method.toUpperCase()],
  );
  const refuse: RequestHandler = (req) => {
    throw new MethodNotAllowedError(req.method, allow);
  };
  if (!headFromGet) router.head(path, refuse);
  for (const [method, handler] of Object.entries(handlers) as Array<[Method, RequestHandler | RequestHandler[]]>) {
    router[method](path, ...(Array.isArray(handler) ? handler : [handler]));
  }
  router.all(path, refuse);
}
