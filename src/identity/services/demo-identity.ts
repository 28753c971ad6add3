/**
 * The identity `npm start` uses when no configuration file is given: one domain, three projects
 * and their users, plus an admin, all with the password `demo`. Hashed at start like any config.
 */
import { hashPassword } from './password-hash.ts';

/** The password of every demo user (printed by server.ts when it starts with the demo identity). */
export const DEMO_PASSWORD = 'demo';

/** The identity part of the configuration's `auth` block for the demo, its passwords already hashed. */
export async function demoIdentity(): Promise<Record<string, unknown>> {
  const hash = await hashPassword(DEMO_PASSWORD);
  const people = [
    { user: 'alice', project: 'proj-a', roles: ['member', 'reader'] },
    { user: 'bob', project: 'proj-b', roles: ['member', 'reader'] },
    { user: 'carol', project: 'proj-c', roles: ['member', 'reader'] },
    { user: 'admin', project: 'admin', roles: ['admin', 'member', 'reader'] },
  ];
  return {
    domains: [{ id: 'default', name: 'Default' }],
    projects: people.map(({ project }) => ({ id: project, name: project, domain: 'default' })),
    users: people.map(({ user }) => ({ id: user, name: user, domain: 'default', passwordHash: hash })),
    roleAssignments: people.map(({ user, project, roles }) => ({ user, project, roles })),
  };
}
