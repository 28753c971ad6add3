/**
 * `/v2/images`, `/v2/images/{id}` and `/v2/images/{id}/file`: parse and check the request the way
 * Glance's deserializer does, call one service method, render Glance's representation.
 * Import (`/import`, `/stage`) is not offered, so no OpenStack-image-import-methods header is sent.
 */
import { pipeline } from 'node:stream/promises';
import { Router, type Request, type RequestHandler } from 'express';
import { UnsupportedMediaTypeError } from '../../base/errors.ts';
import type { Validator } from '../../base/validation.ts';
import { jsonBodyOf, rawBody, refuseBody } from '../../http/body.ts';
import { callerOf } from '../../http/caller.ts';
import { sendJson, sendNoContent } from '../../http/respond.ts';
import { resource } from '../../http/routing.ts';
import type { ImageService } from '../services/image-service.ts';
import { listLinks, parseListQuery, queryPairsOf } from './image-list-request.ts';
import { IMAGE_SCHEMA_ID, mediaType, parseCreateBody, parsePatch, PATCH_MEDIA_TYPES, type ImageSchemaCheck } from './image-request.ts';
import { imagePath, toImagesView, toImageView } from './image-views.ts';

/** What the image routes need. */
export interface ImagesRouterDeps {
  service: ImageService;
  /** Checks bodies against the image schema, and holds the served document that Glance's 400 texts quote. */
  validator: Validator;
  /** Base of the absolute Location header on create. */
  publicUrl: string;
}

/** What the handlers share. */
interface Handlers {
  service: ImageService;
  check: ImageSchemaCheck;
  publicUrl: string;
}

const unsupportedMediaType = (req: Request): UnsupportedMediaTypeError =>
  new UnsupportedMediaTypeError(`The request media type ${req.get('content-type') ?? ''} is not supported by this server.`);

const imageIdOf = (req: Request): string => String(req.params['imageId']);

function listImages({ service }: Handlers): RequestHandler {
  return async (req, res) => {
    const pairs = queryPairsOf(req.originalUrl);
    const page = await service.list(callerOf(res), parseListQuery(pairs));
    sendJson(res, 200, toImagesView(page.images, listLinks(pairs, page.nextMarker)));
  };
}

function createImage({ service, check, publicUrl }: Handlers): RequestHandler {
  return async (req, res) => {
    const image = await service.create(callerOf(res), parseCreateBody(check, jsonBodyOf(req)));
    res.setHeader('Location', `${publicUrl}${imagePath(image.id)}`);
    sendJson(res, 201, toImageView(image));
  };
}

function showImage({ service }: Handlers): RequestHandler {
  return async (req, res) => {
    sendJson(res, 200, toImageView(await service.get(callerOf(res), imageIdOf(req))));
  };
}

function updateImage({ service, check }: Handlers): RequestHandler {
  return async (req, res) => {
    const draft = PATCH_MEDIA_TYPES[mediaType(req.get('content-type'))];
    if (draft === undefined) {
      res.setHeader('Accept-Patch', Object.keys(PATCH_MEDIA_TYPES).sort().join(', '));
      throw unsupportedMediaType(req);
    }
    const changes = parsePatch(check, jsonBodyOf(req), draft);
    sendJson(res, 200, toImageView(await service.update(callerOf(res), imageIdOf(req), changes)));
  };
}

function deleteImage({ service }: Handlers): RequestHandler {
  return async (req, res) => {
    await service.delete(callerOf(res), imageIdOf(req));
    sendNoContent(res);
  };
}

/** The body is never buffered: the request stream goes straight to the service. */
function uploadData({ service }: Handlers): RequestHandler {
  return async (req, res) => {
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
}

function downloadData({ service }: Handlers): RequestHandler {
  return async (req, res) => {
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
}

/** The image routes, mounted under `/v2`. */
export function createImagesRouter(deps: ImagesRouterDeps): Router {
  const handlers: Handlers = {
    service: deps.service,
    check: { validator: deps.validator, glanceSchema: deps.validator.schema(IMAGE_SCHEMA_ID) },
    publicUrl: deps.publicUrl,
  };
  // Strict: `/images/` is not `/images`, as in Glance (its router gives the generic 404).
  const router = Router({ strict: true });
  resource(router, '/images', { get: listImages(handlers), post: [rawBody, createImage(handlers)] });
  resource(router, '/images/:imageId', {
    get: [refuseBody, showImage(handlers)],
    patch: [rawBody, updateImage(handlers)],
    delete: [refuseBody, deleteImage(handlers)],
  });
  resource(router, '/images/:imageId/file', { get: [refuseBody, downloadData(handlers)], put: uploadData(handlers) });
  return router;
}
