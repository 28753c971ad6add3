/**
 * The directory reads the OpenStack clients make with a user token (`openstack project show`,
 * OSC's project lookups before `image add/remove project`), under Keystone's default policies
 * reduced to what a project-scoped token can be: an admin reads everything; anyone else only their
 * own project and user, and gets 403 for the rest. The 403 matters: OSC then uses the name or id
 * as typed, which is how `openstack image add project IMG proj-b` works for a plain member.
 */
import type { ProjectConfig, UserConfig } from '../../base/config.ts';
import { ForbiddenError, NotFoundError } from '../../base/errors.ts';
import type { IdentityDirectory } from './directory.ts';
import type { Caller } from '../../base/domain.ts';

/** The directory reads of `/identity/v3`, each under Keystone's policy for the caller's token. */
export interface DirectoryReads {
  /** `GET /v3/projects/{id}`: 403 identity:get_project, or 404 for an admin asking for an unknown id. */
  getProject(caller: Caller, projectId: string): ProjectConfig;
  /** `GET /v3/projects[?name=&domain_id=]`: 403 identity:list_projects unless admin or the caller's own project by name. */
  listProjects(caller: Caller, filter: { name?: string | undefined; domainId?: string | undefined }): ProjectConfig[];
  /** `GET /v3/auth/projects`: the projects the caller's user has roles on. */
  projectsOfCaller(caller: Caller): ProjectConfig[];
  /** `GET /v3/users/{id}`: 403 identity:get_user unless admin or the caller's own user. */
  getUser(caller: Caller, userId: string): UserConfig;
}

/** Keystone's policy refusal text. */
export function notAuthorizedFor(action: string): ForbiddenError {
  return new ForbiddenError(`You are not authorized to perform the requested action: ${action}.`);
}

/** The reads over the configured directory. */
export function createDirectoryReads(directory: IdentityDirectory): DirectoryReads {
  return {
    getProject(caller, projectId) {
      if (!caller.isAdmin && projectId !== caller.projectId) throw notAuthorizedFor('identity:get_project');
      const project = directory.projectById(projectId);
      if (project === undefined) throw new NotFoundError(`Could not find project: ${projectId}.`);
      return project;
    },

    listProjects(caller, filter) {
      const matches = (p: ProjectConfig): boolean =>
        (filter.name === undefined || p.name === filter.name) && (filter.domainId === undefined || p.domain === filter.domainId);
      if (caller.isAdmin) return directory.projects().filter(matches);
      // Keystone refuses every list to a project-scoped non-admin; looking up one's own project by
      // name is allowed here as well, because it reveals nothing the token does not already show.
      const own = directory.projectById(caller.projectId);
      if (filter.name === undefined || own === undefined || !matches(own)) throw notAuthorizedFor('identity:list_projects');
      return [own];
    },

    projectsOfCaller(caller) {
      return caller.userId === undefined ? [] : directory.projectsOf(caller.userId);
    },

    getUser(caller, userId) {
      if (!caller.isAdmin && userId !== caller.userId) throw notAuthorizedFor('identity:get_user');
      const user = directory.userById(userId);
      if (user === undefined) throw new NotFoundError(`Could not find user: ${userId}.`);
      return user;
    },
  };
}
