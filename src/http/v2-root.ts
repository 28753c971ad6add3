/**
 * `/v2` itself is not a version document in Glance: with a token it redirects to `/v2/`, which is
 * a 404 (spec section 9).
 */
import { Router } from 'express';
import { NotFoundError } from '../errors.ts';

export function createV2RootRouter(): Router {
  const router = Router();
  router.get('/', (req, res) => {
    const path = req.originalUrl.split('?')[0];
    if (path !== undefined && !path.endsWith('/')) {
      res.redirect(302, `${path}/`);
      return;
    }
    throw new NotFoundError();
  });
  return router;
}
