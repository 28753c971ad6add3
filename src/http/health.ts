/** `/healthcheck`: plain `OK` like oslo.middleware's healthcheck, 503 when the database does not answer. */
import { Router } from 'express';
import { sendBody } from './respond.ts';

export function createHealthRouter(options: { isDatabaseUp: () => Promise<boolean> }): Router {
  const router = Router();
  router.get('/healthcheck', async (_req, res) => {
    const up = await options.isDatabaseUp();
    sendBody(res, up ? 200 : 503, 'text/plain; charset=UTF-8', up ? 'OK' : 'database unavailable');
  });
  return router;
}
