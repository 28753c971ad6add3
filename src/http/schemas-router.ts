/**
 * `GET /v2/schemas/{name}`: the schema documents Glance serves, kept as files in
 * `schemas/glance/` in Glance's key order and re-emitted with Python separators, which gives
 * Glance's exact bytes. Read once at start. Mounted at `/schemas`, so that every other request
 * passes these routes with one prefix test instead of trying each schema's three routes.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Router } from 'express';
import { refuseBody } from './body.ts';
import { pythonJson, sendBody } from './respond.ts';
import { resource } from './routing.ts';

export function createSchemasRouter(options: { glanceSchemaDir: string }): Router {
  const router = Router({ strict: true });
  for (const file of readdirSync(options.glanceSchemaDir).filter((name) => name.endsWith('.json'))) {
    const body = pythonJson(JSON.parse(readFileSync(join(options.glanceSchemaDir, file), 'utf8')));
    resource(router, `/${file.slice(0, -'.json'.length)}`, {
      get: [refuseBody, (_req, res) => sendBody(res, 200, 'application/json', body)],
    });
  }
  return router;
}
