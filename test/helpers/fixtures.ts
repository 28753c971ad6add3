/** Personas, identity headers and image fixtures (inserted through the real image store). */
import { randomUUID } from 'node:crypto';
import type { Image } from '../../src/base/domain.ts';
import { createImageStore } from '../../src/images/store/image-store.ts';
import type { TestApp } from './build-app.ts';

/** Identity headers as keystonemiddleware sets them (auth.mode = trusted-headers). */
export function as(project: string, roles = 'member,reader'): Record<string, string> {
  return { 'X-Identity-Status': 'Confirmed', 'X-Project-Id': project, 'X-Roles': roles, Accept: 'application/json' };
}

export const OWNER = as('p-owner');
export const MEMBER = as('p-member');
export const MEMBER2 = as('p-member2');
export const OTHER = as('p-other');
export const ADMIN = as('p-admin', 'admin,member,reader');

export async function makeImage(t: TestApp, fields: Partial<Image> = {}): Promise<Image> {
  const at = t.clock.now().toISOString();
  const image: Image = {
    id: randomUUID(),
    name: 'test-image',
    status: 'queued',
    visibility: 'shared',
    owner: 'p-owner',
    protected: false,
    osHidden: false,
    checksum: null,
    osHashAlgo: null,
    osHashValue: null,
    size: null,
    virtualSize: null,
    diskFormat: 'raw',
    containerFormat: 'bare',
    minDisk: 0,
    minRam: 0,
    createdAt: at,
    updatedAt: at,
    properties: {},
    tags: [],
    ...fields,
  };
  await createImageStore(t.db).insert(image);
  return image;
}

/** The explanation text inside a webob JSON error body. */
export function messageOf(body: unknown): string {
  const message = (body as { message?: unknown }).message;
  if (typeof message !== 'string') throw new Error(`not a webob JSON error: ${JSON.stringify(body)}`);
  return message.replace(/<br \/><br \/>\n*$/, '');
}
