/**
 * Starts the two servers the parity suite compares: the real Glance 25.1 (through the launcher in
 * scripts/peers/) and glance-share (as a child process), both with identity from trusted headers
 * and an image member quota of 5, in one policy mode. Everything lives in one temporary directory
 * that `stop()` removes after stopping both processes by their own ids.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { PolicyMode } from '../../src/base/config.ts';
import { projectRoot } from '../helpers/build-app.ts';
import { freePort } from '../helpers/free-port.ts';
import { startServerAtPort } from '../helpers/server-at-port.ts';
import type { ServerProcess } from '../helpers/server-process.ts';

const run = promisify(execFile);

/** The member quota both servers run with (Glance's `image_member_quota`). */
export const MEMBER_QUOTA = 5;

export interface Peers {
  glanceUrl: string;
  shareUrl: string;
  stop(): Promise<void>;
}

/** Glance's switches for the 2023.1+ policy defaults (spec section 4.3); legacy is the launcher's default. */
const NEW_DEFAULTS_CONF = '[DEFAULT]\nenforce_secure_rbac = true\n\n[oslo_policy]\nenforce_new_defaults = true\n';

async function startGlance(baseDir: string, mode: PolicyMode, avoidPort: number): Promise<{ url: string; pidFile: string }> {
  const stateDir = join(baseDir, 'glance');
  const pidFile = join(stateDir, 'glance-api.pid');
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    GLANCE_STATE_DIR: stateDir,
    GLANCE_FRESH: '1',
    GLANCE_MEMBER_QUOTA: String(MEMBER_QUOTA),
  };
  if (mode === 'new-defaults') {
    // Outside the state directory: GLANCE_FRESH wipes that one.
    const extra = join(baseDir, 'glance-new-defaults.conf');
    writeFileSync(extra, NEW_DEFAULTS_CONF);
    env['GLANCE_EXTRA_CONF'] = extra;
  }
  // A port can be taken between freePort() and the bind; the launcher refuses a busy port, so retry.
  let lastError: unknown;
  for (let attempt = 0; attempt < 3; attempt += 1) {
    const port = await freePort();
    if (port === avoidPort) continue;
    try {
      await run('bash', [join(projectRoot, 'scripts', 'peers', 'start-glance.sh'), String(port), pidFile], {
        env,
        timeout: 180_000,
      });
      return { url: `http://127.0.0.1:${port}`, pidFile };
    } catch (error) {
      lastError = error;
      await stopGlance(pidFile);
    }
  }
  throw new Error(`Glance did not start: ${(lastError as { stderr?: string }).stderr ?? String(lastError)}`);
}

async function stopGlance(pidFile: string): Promise<void> {
  try {
    await run('bash', [join(projectRoot, 'scripts', 'peers', 'stop-glance.sh'), pidFile], { timeout: 60_000 });
  } catch {
    // No pid file: nothing was started.
  }
}

export async function startPeers(mode: PolicyMode): Promise<Peers> {
  const baseDir = mkdtempSync(join(tmpdir(), `glance-parity-${mode}-`));
  const dataDir = join(baseDir, 'share');
  mkdirSync(dataDir);
  let share: ServerProcess | undefined;
  let glance: { url: string; pidFile: string } | undefined;
  const stop = async () => {
    await Promise.all([share?.stop(), glance === undefined ? undefined : stopGlance(glance.pidFile)]);
    rmSync(baseDir, { recursive: true, force: true });
  };
  const sharePort = await freePort();
  const [glanceStart, shareStart] = await Promise.allSettled([
    startGlance(baseDir, mode, sharePort),
    startServerAtPort(
      {
        auth: { mode: 'trusted-headers' },
        policy: { mode },
        memberLimits: { default: MEMBER_QUOTA },
        dataDir,
        logLevel: 'info',
      },
      join(baseDir, 'glance-share.json'),
      sharePort,
    ),
  ]);
  if (glanceStart.status === 'fulfilled') glance = glanceStart.value;
  if (shareStart.status === 'fulfilled') share = shareStart.value;
  if (glance === undefined || share === undefined) {
    await stop();
    const failure = glanceStart.status === 'rejected' ? glanceStart.reason : (shareStart as PromiseRejectedResult).reason;
    throw failure instanceof Error ? failure : new Error(String(failure));
  }
  return { glanceUrl: glance.url, shareUrl: share.url, stop };
}
