/**
 * Version discovery, unauthenticated: `GET /` (300) and `GET /versions` (200), plus the version
 * negotiation Glance does on the path: `/v2.N/...` aliases are served as `/v2/...`, and any other
 * version prefix gets the 300 document. We advertise the list Glance 25.1 serves with a file
 * store configured through `enabled_backends` (spec section 14.1).
 */
import { Router, type Request, type RequestHandler, type Response } from 'express';
import { sendBody } from './respond.ts';

const VERSION_IDS = [
  'v2.15',
  'v2.13',
  'v2.12',
  'v2.11',
  'v2.10',
  'v2.9',
  'v2.8',
  'v2.7',
  'v2.6',
  'v2.5',
  'v2.4',
  'v2.3',
  'v2.2',
  'v2.1',
  'v2.0',
];
const SERVED_ALIASES = new Set(['v2', ...VERSION_IDS]);

export function versionsDocument(publicUrl: string): string {
  const href = `${publicUrl}/v2/`;
  const entries = VERSION_IDS.map(
    (id, index) =>
      `{"id": "${id}", "status": "${index === 0 ? 'CURRENT' : 'SUPPORTED'}", "links": [{"rel": "self", "href": ${JSON.stringify(href)}}]}`,
  );
  return `{"versions": [${entries.join(', ')}]}`;
}

/**
 * Rewrites `/v2.N/...` to `/v2/...` and answers every other unrouted top-level path with the
 * 300 document, as Glance's versionnegotiation filter and root app do. `/identity`, `/healthcheck`
 * and `/versions` are left to their own routers.
 */
export function createVersionsRouter(options: { publicUrl: string; ownPrefixes: readonly string[] }): Router {
  const router = Router();
  const body = versionsDocument(options.publicUrl);
  const send = (status: number) => (_req: Request, res: Response) => {
    sendBody(res, status, 'application/json', body);
  };
  router.get('/versions', send(200));

  const negotiate: RequestHandler = (req, res, next) => {
    const [, first = ''] = req.path.split('/');
    if (options.ownPrefixes.includes(first)) {
      next();
      return;
    }
    const version = /^v\d+(?:\.\d+)?$/.exec(first)?.[0];
    if (version !== undefined && SERVED_ALIASES.has(version)) {
      if (version !== 'v2') req.url = `/v2${req.url.slice(first.length + 1)}`;
      next();
      return;
    }
    send(300)(req, res);
  };
  router.use(negotiate);
  return router;
}
