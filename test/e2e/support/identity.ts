/**
 * Identity setups the end-to-end suites run under. A setup starts glance-share (and whatever
 * identity service it needs) and tells the suites where clients authenticate and as whom, so the
 * same client workflow and the same Tempest run work against the built-in identity and, later,
 * against a real Keystone.
 */
import { randomBytes } from 'node:crypto';
import type { PolicyMode } from '../../../src/base/config.ts';
import { hashPassword } from '../../../src/identity/services/password-hash.ts';
import { startGlanceShare } from './glance-share.ts';

/** A user the clients log in as: by user name and project name in domain Default. */
export interface Account {
  username: string;
  password: string;
  projectName: string;
  /** The project id: image owners and members are project ids. */
  projectId: string;
}

export interface Deployment {
  /** Which identity setup produced it (used in test names). */
  setup: string;
  /** OS_AUTH_URL: the Keystone v3 root, e.g. http://127.0.0.1:PORT/identity/v3. */
  authUrl: string;
  /** The image endpoint of the token catalog. */
  imageUrl: string;
  /** Owns the images. */
  owner: Account;
  /** Gets them shared. */
  member: Account;
  /** Neither owner nor member. */
  stranger: Account;
  policyMode: PolicyMode;
  memberLimit: number;
  stop(): Promise<void>;
}

export interface DeploymentOptions {
  policyMode: PolicyMode;
  /** memberLimits.default: small, so the 413 is reachable with the three accounts. */
  memberLimit: number;
  /** An empty directory the deployment may use; the caller removes it. */
  workDir: string;
}

export interface IdentitySetup {
  name: string;
  start(options: DeploymentOptions): Promise<Deployment>;
}

/** A Keystone-like project id: 32 lowercase hex characters. */
function projectId(): string {
  return randomBytes(16).toString('hex');
}

/**
 * glance-share as its own identity service (auth.mode builtin): three users, each the only member
 * (roles member, reader) of one project, all in domain Default. Project ids look like Keystone's,
 * names are proj-a, proj-b, proj-c.
 */
export const builtinIdentity: IdentitySetup = {
  name: 'builtin identity',
  async start({ policyMode, memberLimit, workDir }) {
    const password = randomBytes(12).toString('base64url');
    const passwordHash = await hashPassword(password);
    const people = [
      { username: 'alice', projectName: 'proj-a' },
      { username: 'bob', projectName: 'proj-b' },
      { username: 'carol', projectName: 'proj-c' },
    ].map((person) => ({ ...person, password, projectId: projectId(), userId: randomBytes(16).toString('hex') }));
    const server = await startGlanceShare(
      {
        policy: { mode: policyMode },
        memberLimits: { default: memberLimit, rules: [] },
        auth: {
          mode: 'builtin',
          region: 'RegionOne',
          domains: [{ id: 'default', name: 'Default' }],
          projects: people.map((p) => ({ id: p.projectId, name: p.projectName, domain: 'default' })),
          users: people.map((p) => ({ id: p.userId, name: p.username, domain: 'default', passwordHash })),
          roleAssignments: people.map((p) => ({ user: p.userId, project: p.projectId, roles: ['member', 'reader'] })),
        },
      },
      { workDir },
    );
    const [owner, member, stranger] = people.map(({ username, password: pw, projectName, projectId: id }) => ({
      username,
      password: pw,
      projectName,
      projectId: id,
    })) as [Account, Account, Account];
    return {
      setup: this.name,
      authUrl: `${server.url}/identity/v3`,
      imageUrl: server.url,
      owner,
      member,
      stranger,
      policyMode,
      memberLimit,
      stop: () => server.stop(),
    };
  },
};
