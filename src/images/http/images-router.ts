/**
 * `/v2/images`, `/v2/images/{id}` and `/v2/images/{id}/file`: parse and check the request the way
 * Glance's deserializer does, call one service method, render Glance's representation.
 * Import (`/import`, `/stage`) is not offered, so no OpenStack-image-import-methods header is sent.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { Router, type Request, type RequestHandler } from 'express';
import { UnsupportedMediaTypeError } from '../../base/errors.ts';
import type { ImageService } from '../services/image-service.ts';
import type { Validator } from '../../base/validation.ts';
import { jsonBodyOf, rawBody, refuseBody } from '../../http/body.ts';
import { callerOf } from '../../http/caller.ts';
import { mediaType, parseCreateBody, parsePatch, PATCH_MEDIA_TYPES, type ImageSchemaCheck } from './image-request.ts';
import { listLinks, parseListQuery, queryPairsOf } from './image-list-request.ts';
import { imagePath, toImagesView, toImageView } from './image-views.ts';
import { sendJson, sendNoContent } from '../../http/respond.ts';
import { resource } from '../../http/routing.ts';

export interface ImagesRouterDeps {
  service: ImageService;
  validator: Validator;
  /** Directory of the served Glance schema documents; image.json is quoted in 400 texts. */
  glanceSchemaDir: string;
  /** Base of the absolute Location header on create. */
  publicUrl: string;
}

const unsupportedMediaType = (req: Request): UnsupportedMediaTypeError =>
  new UnsupportedMediaTypeError(`The request media type ${req.get('content-type') ?? ''} is not supported by this server.`);

const imageIdOf = (req: Request): string => String(req.params['imageId']);

export function createImagesRouter(deps: ImagesRouterDeps): Router {
  const { service } = deps;
  const check: ImageSchemaCheck = {
    validator: deps.validator,
    glanceSchema: JSON.parse(readFileSync(join(deps.glanceSchemaDir, 'image.json'), 'utf8')) as unknown,
  };
  // Strict: `/images/` is not `/images`, as in Glance (its router gives the generic 404).
  const router = Router({ strict: true });

  const list: RequestHandler = async (req, res) => {
    const pairs = queryPairsOf(req.originalUrl);
    const page = await service.list(callerOf(res), parseListQuery(pairs));
    sendJson(res, 200, toImagesView(page.images, listLinks(pairs, page.nextMarker)));
  };

  const create: RequestHandler = async (req, res) => {
    const image = await service.create(callerOf(res), parseCreateBody(check, jsonBodyOf(req)));
    res.setHeader('Location', `${deps.publicUrl}${imagePath(image.id)}`);
    sendJson(res, 201, toImageView(image));
  };

  const show: RequestHandler = async (req, res) => {
    sendJson(res, 200, toImageView(await service.get(callerOf(res), imageIdOf(req))));
  };

  const update: RequestHandler = async (req, res) => {
    const draft = PATCH_MEDIA_TYPES[mediaType(req.get('content-type'))];
    if (draft === undefined) {
      res.setHeader('Accept-Patch', Object.keys(PATCH_MEDIA_TYPES).sort().join(', '));
      throw unsupportedMediaType(req);
    }
    const changes = parsePatch(check, jsonBodyOf(req), draft);
    sendJson(res, 200, toImageView(await service.update(callerOf(res), imageIdOf(req), changes)));
  };

  const remove: RequestHandler = async (req, res) => {
    await service.delete(callerOf(res), imageIdOf(req));
    sendNoContent(res);
  };

  // The body is never buffered: the request stream goes straight to the service.
  const upload: RequestHandler = async (req, res) => {
    const length = req.get('content-length');
    try {
      if (mediaType(req.get('content-type')) !== 'application/octet-stream') throw unsupportedMediaType(req);
      await service.upload(callerOf(res), imageIdOf(req), req, length === undefined ? undefined : Number(length));
    } catch (error) {
      // Refused before the body was read: close the connection rather than drain an upload.
      if (!req.complete) res.setHeader('Connection', 'close');
      throw error;
    }
    sendNoContent(res);
  };

  const download: RequestHandler = async (req, res) => {
    const { image, data } = await service.download(callerOf(res), imageIdOf(req));
    if (data === undefined) {
      sendNoContent(res);
      return;
    }
    res.status(200);
    res.setHeader('Content-Type', 'application/octet-stream');
    if (image.checksum !== null) res.setHeader('Content-MD5', image.checksum);
    res.setHeader('Content-Length', String(data.size));
    // Headers are out; a failure now can only cut the stream short, which pipeline does.
    await pipeline(data.stream, res).catch(() => undefined);
  };

  resource(router, '/images', { get: list, post: [rawBody, create] });
  resource(router, '/images/:imageId', { get: [refuseBody, show], patch: [rawBody, update], delete: [refuseBody, remove] });
  resource(router, '/images/:imageId/file', { get: [refuseBody, download], put: upload });
  return router;
}
