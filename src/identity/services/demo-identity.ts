/**
 * The demo identity (`auth.demo`, and what starting without a configuration file runs): one
 * domain, three projects and their users, plus an admin, every password `demo`. It is added to
 * the configured directory, never in place of it, so that it works beside any other setting. Its
 * hash is computed once and kept here: the password is public anyway, and a fixed hash spares
 * every start a scrypt run.
 */
import type { IdentityConfig } from '../../base/config.ts';

/** The password of every demo user (printed by server.ts when it starts with the demo identity). */
export const DEMO_PASSWORD = 'demo';

/** `hashPassword(DEMO_PASSWORD)`, once (test/services/identity-service.test.ts checks it still verifies). */
export const DEMO_PASSWORD_HASH = 'scrypt$16384$8$1$3OsvYHx9gjTFQqcBXhnwDw==$cyyxdV9kksx37tYLJbFksWxvjR6lovA/EghHSNFcQnA=';

const PEOPLE = [
  { user: 'alice', project: 'proj-a', roles: ['member', 'reader'] },
  { user: 'bob', project: 'proj-b', roles: ['member', 'reader'] },
  { user: 'carol', project: 'proj-c', roles: ['member', 'reader'] },
  { user: 'admin', project: 'admin', roles: ['admin', 'member', 'reader'] },
];

/** The configured identity with the demo one added; a configured id wins over a demo one. */
export function withDemoIdentity(config: IdentityConfig): IdentityConfig {
  const missing = <T extends { id: string }>(configured: readonly T[], demo: readonly T[]): T[] => [
    ...configured,
    ...demo.filter((entry) => !configured.some((own) => own.id === entry.id)),
  ];
  const users = missing(
    config.users,
    PEOPLE.map(({ user }) => ({ id: user, name: user, domain: 'default', passwordHash: DEMO_PASSWORD_HASH, enabled: true })),
  );
  const projects = missing(
    config.projects,
    PEOPLE.map(({ project }) => ({ id: project, name: project, domain: 'default' })),
  );
  // Roles only for the demo users actually added: a configured user of the same id keeps its own.
  const configuredUsers = new Set(config.users.map((user) => user.id));
  return {
    ...config,
    domains: missing(config.domains, [{ id: 'default', name: 'Default' }]),
    projects,
    users,
    roleAssignments: [
      ...config.roleAssignments,
      ...PEOPLE.filter(({ user }) => !configuredUsers.has(user)).map(({ user, project, roles }) => ({ user, project, roles })),
    ],
  };
}
