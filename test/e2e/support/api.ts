/**
 * Plain HTTP for fixtures the client suites need but do not test (an image to share, a member to
 * start from): a Keystone v3 password token, then Glance v2 calls. Works against the built-in
 * identity and a real Keystone alike. Each call is bounded by a timeout.
 */
import assert from 'node:assert/strict';
import type { Account, Deployment } from './identity.ts';

const TIMEOUT_MS = 15_000;

export interface ImageApi {
  /** The account's token, for calls this helper does not wrap. */
  token: string;
  createImage(body: Record<string, unknown>): Promise<{ id: string }>;
  addMember(imageId: string, memberId: string): Promise<void>;
  setMemberStatus(imageId: string, memberId: string, status: string): Promise<void>;
  removeMember(imageId: string, memberId: string): Promise<void>;
  /** `GET /v2/images?QUERY` → the ids listed (first page). */
  listImageIds(query: Record<string, string>): Promise<string[]>;
  deleteImage(imageId: string): Promise<void>;
}

/** A token scoped to the account's project, from `POST {authUrl}/auth/tokens`. */
export async function issueToken(authUrl: string, account: Account): Promise<string> {
  const res = await fetch(`${authUrl}/auth/tokens`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({
      auth: {
        identity: {
          methods: ['password'],
          password: { user: { name: account.username, domain: { name: 'Default' }, password: account.password } },
        },
        scope: { project: { name: account.projectName, domain: { name: 'Default' } } },
      },
    }),
    signal: AbortSignal.timeout(TIMEOUT_MS),
  });
  assert.equal(res.status, 201, `token for ${account.username}: ${res.status} ${await res.text()}`);
  const token = res.headers.get('x-subject-token');
  assert.ok(token, 'X-Subject-Token missing');
  return token;
}

export async function imageApi(deployment: Deployment, account: Account): Promise<ImageApi> {
  const token = await issueToken(deployment.authUrl, account);
  const call = async (method: string, path: string, expected: number, body?: unknown): Promise<string> => {
    const res = await fetch(`${deployment.imageUrl}${path}`, {
      method,
      headers: { 'X-Auth-Token': token, Accept: 'application/json', ...(body === undefined ? {} : { 'Content-Type': 'application/json' }) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      signal: AbortSignal.timeout(TIMEOUT_MS),
    });
    const text = await res.text();
    assert.equal(res.status, expected, `${method} ${path}: ${res.status} ${text}`);
    return text;
  };
  return {
    token,
    async createImage(body) {
      const text = await call('POST', '/v2/images', 201, { disk_format: 'raw', container_format: 'bare', ...body });
      return JSON.parse(text) as { id: string };
    },
    async addMember(imageId, memberId) {
      await call('POST', `/v2/images/${imageId}/members`, 200, { member: memberId });
    },
    async setMemberStatus(imageId, memberId, status) {
      await call('PUT', `/v2/images/${imageId}/members/${encodeURIComponent(memberId)}`, 200, { status });
    },
    async removeMember(imageId, memberId) {
      await call('DELETE', `/v2/images/${imageId}/members/${encodeURIComponent(memberId)}`, 204);
    },
    async listImageIds(query) {
      const text = await call('GET', `/v2/images?${new URLSearchParams(query)}`, 200);
      return (JSON.parse(text) as { images: Array<{ id: string }> }).images.map((image) => image.id);
    },
    async deleteImage(imageId) {
      await call('DELETE', `/v2/images/${imageId}`, 204);
    },
  };
}
