/**
 * A real Keystone 22 for end-to-end suites, started with scripts/peers/start-keystone.sh on a free
 * loopback port with its own temporary state directory. It comes provisioned (see
 * /work/shared/peers/README.md): admin, the service account image-svc, and alice/bob/carol in
 * proj-a/proj-b/proj-c; its catalog's image endpoint is the URL given, so pick glance-share's port
 * first (freePort()) and start glance-share on it. A fresh start takes about 30 s.
 *
 * Keystone runs under uwsgi, where an idle keep-alive connection holds a worker thread: with the
 * script's default of 4 threads, a few clients that keep connections open (fetch does) make the
 * next request wait seconds. So this peer gets 16 threads (KS_THREADS overrides), and its own
 * calls below close their connections.
 */
import { spawn } from 'node:child_process';
import { request } from 'node:http';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { projectRoot } from './build-app.ts';
import { freePort } from './free-port.ts';

/** `ids.json` as provision.py writes it: image members are the project ids. */
export interface KeystoneIds {
  keystone_url: string;
  image_endpoint: string;
  region: string;
  image_service_id: string;
  roles: Record<string, string>;
  projects: Record<string, string>;
  users: Record<string, string>;
}

export type KeystoneUser = 'admin' | 'image-svc' | 'alice' | 'bob' | 'carol';

/** The passwords the helper provisions, whatever the environment says. */
export const KEYSTONE_PASSWORDS: Readonly<Record<KeystoneUser, string>> = {
  admin: 'admin-secret',
  'image-svc': 'image-svc-secret',
  alice: 'secret',
  bob: 'secret',
  carol: 'secret',
};

export const KEYSTONE_PROJECTS: Readonly<Record<KeystoneUser, string>> = {
  admin: 'admin',
  'image-svc': 'service',
  alice: 'proj-a',
  bob: 'proj-b',
  carol: 'proj-c',
};

export interface KeystonePeer {
  /** The v3 API, e.g. http://127.0.0.1:PORT/v3: what auth.keystone.url and OS_AUTH_URL take. */
  url: string;
  /** The unversioned URL (Keystone's own www_authenticate_uri). */
  baseUrl: string;
  ids: KeystoneIds;
  stateDir: string;
  /** `auth` for glance-share's configuration in keystone mode, with the service account filled in. */
  authConfig(keystone?: Record<string, unknown>): Record<string, unknown>;
  /** A project-scoped token for a provisioned user (password method). */
  issueToken(user: KeystoneUser): Promise<string>;
  /** Revokes a token in Keystone (`DELETE /v3/auth/tokens`, the token authorising its own revocation). */
  revokeToken(token: string): Promise<void>;
  /** Stops the Keystone process but keeps its state (fernet keys too, so issued tokens stay valid). */
  pause(): Promise<void>;
  /**
   * Starts it again on the same port and state (about 6 s). The script provisions again, and
   * re-setting the users' passwords makes Keystone revoke every token of image-svc, alice, bob
   * and carol; admin's tokens survive.
   */
  resume(): Promise<void>;
  /** Stops Keystone and deletes its state directory. */
  stop(): Promise<void>;
}

const scripts = join(projectRoot, 'scripts', 'peers');

/** One request on a connection of its own (no keep-alive), so it neither holds nor reuses a uwsgi thread. */
function send(
  url: string,
  method: string,
  headers: Record<string, string>,
  body?: string,
): Promise<{ status: number; headers: Record<string, unknown> }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method, headers, agent: false, timeout: 30_000 }, (res) => {
      res.resume();
      res.once('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers }));
    });
    req.once('timeout', () => req.destroy(new Error(`${method} ${url}: no answer within 30 s`)));
    req.once('error', reject);
    req.end(body);
  });
}

function run(script: string, args: string[], env: Record<string, string>, timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn('bash', [join(scripts, script), ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => {
      output += chunk.toString();
    });
    child.stderr.on('data', (chunk: Buffer) => {
      output += chunk.toString();
    });
    const timer = setTimeout(() => {
      child.kill('SIGTERM');
    }, timeoutMs);
    child.once('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      if (code === 0) resolve(output);
      else reject(new Error(`${script} ${args.join(' ')} failed (${signal ?? code}):\n${output.slice(-4000)}`));
    });
  });
}

/** Starts and provisions a fresh Keystone whose catalog lists `imageUrl` as the image service. */
export async function startKeystone(imageUrl: string): Promise<KeystonePeer> {
  const port = await freePort();
  const stateDir = mkdtempSync(join(tmpdir(), 'glance-share-keystone-'));
  const env = {
    KS_STATE_DIR: stateDir,
    KS_ADMIN_PASSWORD: KEYSTONE_PASSWORDS.admin,
    KS_SERVICE_PASSWORD: KEYSTONE_PASSWORDS['image-svc'],
    KS_USER_PASSWORD: KEYSTONE_PASSWORDS.alice,
    KS_THREADS: process.env['KS_THREADS'] ?? '16',
  };
  const baseUrl = `http://127.0.0.1:${port}`;
  const url = `${baseUrl}/v3`;
  const start = (fresh: boolean) => run('start-keystone.sh', [String(port), imageUrl], { ...env, KS_FRESH: fresh ? '1' : '0' }, 240_000);
  const halt = () => run('stop-keystone.sh', [stateDir], {}, 30_000);
  try {
    await start(true);
  } catch (error) {
    // The script may have started the server before failing (e.g. in provisioning).
    await halt().catch(() => undefined);
    rmSync(stateDir, { recursive: true, force: true });
    throw error;
  }
  const ids = JSON.parse(readFileSync(join(stateDir, 'ids.json'), 'utf8')) as KeystoneIds;

  return {
    url,
    baseUrl,
    ids,
    stateDir,
    authConfig(keystone = {}) {
      return {
        mode: 'keystone',
        keystone: { url, username: 'image-svc', password: KEYSTONE_PASSWORDS['image-svc'], projectName: 'service', ...keystone },
      };
    },
    async issueToken(user) {
      const response = await send(
        `${url}/auth/tokens?nocatalog`,
        'POST',
        { 'Content-Type': 'application/json' },
        JSON.stringify({
          auth: {
            identity: {
              methods: ['password'],
              password: { user: { name: user, domain: { id: 'default' }, password: KEYSTONE_PASSWORDS[user] } },
            },
            scope: { project: { name: KEYSTONE_PROJECTS[user], domain: { id: 'default' } } },
          },
        }),
      );
      const token = response.headers['x-subject-token'];
      if (response.status !== 201 || typeof token !== 'string')
        throw new Error(`Keystone refused to issue a token for ${user}: ${response.status}`);
      return token;
    },
    async revokeToken(token) {
      const response = await send(`${url}/auth/tokens`, 'DELETE', { 'X-Auth-Token': token, 'X-Subject-Token': token });
      if (response.status !== 204) throw new Error(`Keystone did not revoke the token: ${response.status}`);
    },
    async pause() {
      await halt();
    },
    async resume() {
      await start(false);
    },
    async stop() {
      try {
        await halt();
      } finally {
        rmSync(stateDir, { recursive: true, force: true });
      }
    },
  };
}
