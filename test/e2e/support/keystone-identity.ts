/**
 * glance-share in `auth.mode: "keystone"` behind a real Keystone 22 (test/helpers/keystone-peer.ts),
 * as an identity setup for the client suites and Tempest. Keystone takes half a minute to start and
 * its catalog names one image URL, so one Keystone and one glance-share port serve every suite of a
 * test file: each suite starts its own glance-share (own data, policy and limit) on that port and
 * stops it again; the file's `after` calls `shutdown()`.
 */
import { freePort } from '../../helpers/free-port.ts';
import { KEYSTONE_PASSWORDS, startKeystone, type KeystonePeer, type KeystoneUser } from '../../helpers/keystone-peer.ts';
import { startGlanceShare } from './glance-share.ts';
import type { Account, IdentitySetup } from './identity.ts';

export interface KeystoneIdentity {
  setup: IdentitySetup;
  /** Stops Keystone (glance-share instances are stopped by their suites). */
  shutdown(): Promise<void>;
}

export function keystoneIdentity(): KeystoneIdentity {
  let peer: Promise<{ keystone: KeystonePeer; port: number }> | undefined;
  const keystone = (): Promise<{ keystone: KeystonePeer; port: number }> => {
    peer ??= (async () => {
      const port = await freePort();
      return { keystone: await startKeystone(`http://127.0.0.1:${port}`), port };
    })();
    return peer;
  };
  const setup: IdentitySetup = {
    name: 'keystone mode, real Keystone 22',
    async start({ policyMode, memberLimit, workDir }) {
      const { keystone: ks, port } = await keystone();
      const server = await startGlanceShare(
        {
          policy: { mode: policyMode },
          memberLimits: { default: memberLimit, rules: [] },
          auth: ks.authConfig(),
        },
        { workDir, port },
      );
      const account = (username: KeystoneUser, projectName: string): Account => {
        const projectId = ks.ids.projects[projectName];
        if (projectId === undefined) throw new Error(`Keystone has no project ${projectName}`);
        return { username, password: KEYSTONE_PASSWORDS[username], projectName, projectId };
      };
      return {
        setup: setup.name,
        authUrl: ks.url,
        imageUrl: server.url,
        owner: account('alice', 'proj-a'),
        member: account('bob', 'proj-b'),
        stranger: account('carol', 'proj-c'),
        policyMode,
        memberLimit,
        stop: () => server.stop(),
      };
    },
  };
  return {
    setup,
    async shutdown() {
      if (peer === undefined) return;
      const started = await peer.catch(() => undefined);
      await started?.keystone.stop();
    },
  };
}
