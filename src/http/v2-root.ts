/**
 * `/v2` itself is not a version document in Glance: with a token it redirects to `/v2/` (also
 * from an alias such as `/v2.1`), which is a 404 (spec section 9). The redirect is routes'
 * bare 302: absolute Location, `text/plain; charset=utf8`, empty body.
 */
import { Router } from 'express';
import { NotFoundError } from '../base/errors.ts';

export function createV2RootRouter(options: { publicUrl: string }): Router {
  const router = Router();
  router.get('/', (req, res) => {
    const path = req.originalUrl.split('?')[0] ?? '';
    if (!path.endsWith('/')) {
      res.status(302).setHeader('Location', `${options.publicUrl}/v2/`);
      res.setHeader('Content-Type', 'text/plain; charset=utf8');
      res.end();
      return;
    }
    throw new NotFoundError();
  });
  return router;
}
