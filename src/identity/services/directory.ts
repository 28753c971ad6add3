/**
 * The built-in identity's directory: domains, projects, users and role assignments, read once from
 * configuration into lookup maps. Everything here is static for the life of the process; a change
 * of configuration takes effect on restart (and then also for tokens already issued, because roles
 * and the enabled flag are re-read from here whenever a token is validated).
 */
import { createHash } from 'node:crypto';
import type { DomainConfig, IdentityConfig, ProjectConfig, UserConfig } from '../../base/config.ts';

/** A role as Keystone's token document lists it. */
export interface Role {
  id: string;
  name: string;
}

/** Keystone's bootstrap role implications: admin ⇒ member ⇒ reader. */
const IMPLIED_ROLES: Readonly<Record<string, readonly string[]>> = {
  admin: ['member'],
  member: ['reader'],
};

/**
 * A stable, Keystone-looking 32-hex id for objects that have none in the configuration (roles,
 * catalog services and endpoints), so that ids do not change between restarts or instances.
 */
export function stableId(kind: string, name: string): string {
  return createHash('sha256').update(`${kind}\0${name}`).digest('hex').slice(0, 32);
}

/** Assigned roles (lower-cased) followed by everything they imply, each once, assigned order kept. */
export function expandRoles(assigned: readonly string[]): string[] {
  const result = new Set(assigned.map((role) => role.toLowerCase()));
  const pending = [...result];
  for (let role = pending.shift(); role !== undefined; role = pending.shift()) {
    for (const implied of IMPLIED_ROLES[role] ?? []) {
      if (!result.has(implied)) {
        result.add(implied);
        pending.push(implied);
      }
    }
  }
  return [...result];
}

/** Lookups in the configured identity. */
export interface IdentityDirectory {
  domainById(id: string): DomainConfig | undefined;
  domainByName(name: string): DomainConfig | undefined;
  userById(id: string): UserConfig | undefined;
  userByName(domainId: string, name: string): UserConfig | undefined;
  projectById(id: string): ProjectConfig | undefined;
  projectByName(domainId: string, name: string): ProjectConfig | undefined;
  /** All projects, in configuration order. */
  projects(): readonly ProjectConfig[];
  /** Effective roles (implications applied) of a user on a project; empty when none. */
  rolesOn(userId: string, projectId: string): Role[];
  /** Projects on which the user has at least one role, in configuration order. */
  projectsOf(userId: string): ProjectConfig[];
}

const key = (a: string, b: string): string => `${a}\0${b}`;

/** Indexes the configured identity once; lookups are exact (case-sensitive) matches. */
export function createIdentityDirectory(
  config: Pick<IdentityConfig, 'domains' | 'projects' | 'users' | 'roleAssignments'>,
): IdentityDirectory {
  const domainsById = new Map(config.domains.map((d) => [d.id, d]));
  const domainsByName = new Map(config.domains.map((d) => [d.name, d]));
  const usersById = new Map(config.users.map((u) => [u.id, u]));
  const usersByName = new Map(config.users.map((u) => [key(u.domain, u.name), u]));
  const projectsById = new Map(config.projects.map((p) => [p.id, p]));
  const projectsByName = new Map(config.projects.map((p) => [key(p.domain, p.name), p]));

  // Several assignments for the same user and project add up.
  const assigned = new Map<string, string[]>();
  for (const assignment of config.roleAssignments) {
    const k = key(assignment.user, assignment.project);
    assigned.set(k, [...(assigned.get(k) ?? []), ...assignment.roles]);
  }
  const effective = new Map<string, Role[]>();
  for (const [k, roles] of assigned) {
    effective.set(
      k,
      expandRoles(roles).map((name) => ({ id: stableId('role', name), name })),
    );
  }

  return {
    domainById: (id) => domainsById.get(id),
    domainByName: (name) => domainsByName.get(name),
    userById: (id) => usersById.get(id),
    userByName: (domainId, name) => usersByName.get(key(domainId, name)),
    projectById: (id) => projectsById.get(id),
    projectByName: (domainId, name) => projectsByName.get(key(domainId, name)),
    projects: () => config.projects,
    rolesOn: (userId, projectId) => effective.get(key(userId, projectId)) ?? [],
    projectsOf: (userId) => config.projects.filter((p) => effective.has(key(userId, p.id))),
  };
}
