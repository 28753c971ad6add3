/**
 * Reading the batch calls: the three bodies (schemas/batch-*-members.json) with the provider's
 * error codes, the bounds on a call's work, the Idempotency-Key, and how long the caller waits
 * (`Prefer: wait=N`, RFC 7240, or `?sync=true`).
 */
import type { Request } from 'express';
import type { Caller } from '../../base/domain.ts';
import { BadRequestError, ImsError } from '../../base/errors.ts';
import type { Validator } from '../../base/validation.ts';
import { jsonBodyOf } from '../../http/body.ts';
import type { BatchJobRequest } from '../services/batch-service.ts';
import type { BatchKind } from '../services/pair-outcomes.ts';

/** At most this many images and this many projects per call: 10,000 pairs. */
export const MAX_IMAGES = 100;
export const MAX_PROJECTS = 100;
/** The longest `Prefer: wait` honoured, and how long `?sync=true` waits, in seconds. */
export const MAX_WAIT_SECONDS = 300;

const SCHEMAS: Record<BatchKind, string> = {
  add: 'batch-add-members.json',
  remove: 'batch-delete-members.json',
  update: 'batch-update-members.json',
};

const IMAGE_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

const malformed = (detail: string): ImsError => new ImsError(400, 'IMG.0001', `The request message format is invalid: ${detail}`);

/** The JSON object of the body, or IMG.0007 (no body) / IMG.0001 (not JSON, not an object, not the schema). */
function bodyOf(req: Request, validator: Validator, kind: BatchKind): Record<string, unknown> {
  let body: unknown;
  try {
    body = jsonBodyOf(req);
  } catch (error) {
    if (!(error instanceof BadRequestError)) throw error;
    if (error.message === 'Body expected in request.') throw new ImsError(400, 'IMG.0007', 'The request body is empty.');
    throw malformed(error.message);
  }
  if (Array.isArray(body)) throw malformed('the body must be a JSON object.');
  const problems = validator.check(SCHEMAS[kind], body);
  if (problems.length > 0) throw malformed(problems.join('; '));
  return body as Record<string, unknown>;
}

const distinct = (values: readonly string[]): string[] => [...new Set(values)];

function imagesOf(body: Record<string, unknown>): string[] {
  const images = distinct(body['images'] as string[]);
  if (images.length === 0) throw malformed('images must list at least one image ID.');
  const bad = images.find((id) => !IMAGE_ID.test(id));
  if (bad !== undefined) throw new ImsError(400, 'IMG.0066', `The image ID is incorrect: ${JSON.stringify(bad)}.`);
  return images;
}

function checkBounds(images: number, projects: number): void {
  if (images > MAX_IMAGES || projects > MAX_PROJECTS) {
    throw malformed(
      `at most ${MAX_IMAGES} images and ${MAX_PROJECTS} projects (${MAX_IMAGES * MAX_PROJECTS} pairs) per call; got ${images} images and ${projects} projects.`,
    );
  }
}

/** POST and DELETE: images × projects; domains and organizations are refused for now. */
function grantsOf(body: Record<string, unknown>, caller: Caller, kind: BatchKind): BatchJobRequest {
  const images = imagesOf(body);
  const projects = distinct((body['projects'] as string[] | null | undefined) ?? []);
  const others = ['domains', 'organizations'].filter((field) => ((body[field] as string[] | null | undefined) ?? []).length > 0);
  if (others.length > 0) {
    throw new ImsError(
      400,
      'IMG.0105',
      `The operation is not supported: sharing with ${others.join(' and ')} is not supported yet; list projects.`,
    );
  }
  if (projects.length === 0) throw malformed('at least one of projects, domains and organizations must be specified.');
  checkBounds(images.length, projects.length);
  if (kind === 'add' && projects.includes(caller.projectId)) {
    throw new ImsError(400, 'IMG.0076', 'You cannot share an image with yourself.');
  }
  return { kind, images, projects };
}

/** PUT: the recipient (the caller's own project) accepts or rejects images. */
function statusChangeOf(body: Record<string, unknown>, caller: Caller): BatchJobRequest {
  const images = imagesOf(body);
  checkBounds(images.length, 1);
  if (body['project_id'] !== caller.projectId) {
    throw new ImsError(400, 'IMG.0067', 'The project ID is incorrect: project_id must be the project of the caller (the recipient).');
  }
  return { kind: 'update', images, projects: [caller.projectId], status: body['status'] as 'accepted' | 'rejected' };
}

export function batchRequestOf(req: Request, validator: Validator, caller: Caller, kind: BatchKind): BatchJobRequest {
  const body = bodyOf(req, validator, kind);
  return kind === 'update' ? statusChangeOf(body, caller) : grantsOf(body, caller, kind);
}

export function idempotencyKeyOf(req: Request): string | undefined {
  const key = req.get('idempotency-key');
  if (key === undefined) return undefined;
  if (key.length === 0 || key.length > 255) throw malformed('Idempotency-Key must be 1 to 255 characters.');
  return key;
}

/** Seconds to wait for the job: `?sync=true` (the longest wait), `Prefer: wait=N` (capped), else none. */
export function waitOf(req: Request): { seconds: number; preferred: boolean } | undefined {
  const sync = req.query['sync'];
  if (sync === 'true' || sync === '1') return { seconds: MAX_WAIT_SECONDS, preferred: false };
  const wait = /(?:^|[,;\s])wait\s*=\s*"?(\d+)"?/i.exec(req.get('prefer') ?? '')?.[1];
  if (wait === undefined) return undefined;
  return { seconds: Math.min(Number(wait), MAX_WAIT_SECONDS), preferred: true };
}
