/**
 * Keystone v3 wire formats for the built-in identity: version documents, the token document with
 * its service catalog, projects and users. Key order follows what Keystone 22 sends.
 */
import type { ProjectConfig, UserConfig } from '../../base/config.ts';
import { stableId } from '../services/directory.ts';
import type { TokenInfo } from '../services/identity-service.ts';

/** Where this service is reachable and the region its catalog names. */
export interface IdentityViewOptions {
  /** Base URL of this service, no trailing slash. */
  publicUrl: string;
  region: string;
}

/** The v3 version document, as Keystone 22 describes its API (v3.14). */
export function identityVersion(publicUrl: string): object {
  return {
    id: 'v3.14',
    status: 'stable',
    updated: '2020-04-07T00:00:00Z',
    links: [{ rel: 'self', href: `${publicUrl}/identity/v3/` }],
    'media-types': [{ base: 'application/json', type: 'application/vnd.openstack.identity-v3+json' }],
  };
}

/** Keystone writes times with microseconds; ours are whole seconds. */
function keystoneTime(iso: string): string {
  return `${iso.slice(0, 19)}.000000Z`;
}

/**
 * The catalog every token carries: this service as `image` (unversioned root: gophercloud appends
 * `v2/`, openstacksdk discovers from it) and its identity API as `identity` (unversioned too, as
 * keystoneclient discovers from `/identity`, which OSC's project lookups need).
 */
export function catalogView(options: IdentityViewOptions): object[] {
  const service = (type: string, name: string, url: string): object => ({
    endpoints: ['public', 'internal', 'admin'].map((iface) => ({
      id: stableId('endpoint', `${type}/${iface}/${options.region}/${url}`),
      interface: iface,
      region_id: options.region,
      url,
      region: options.region,
    })),
    id: stableId('service', type),
    type,
    name,
  });
  return [service('identity', 'keystone', `${options.publicUrl}/identity`), service('image', 'glance', options.publicUrl)];
}

/** The token document of `POST`/`GET /v3/auth/tokens`, with the catalog unless `nocatalog` was asked. */
export function tokenView(info: TokenInfo, options: IdentityViewOptions & { includeCatalog: boolean }): object {
  return {
    token: {
      methods: info.methods,
      user: {
        domain: { id: info.userDomain.id, name: info.userDomain.name },
        id: info.user.id,
        name: info.user.name,
        password_expires_at: null,
      },
      audit_ids: info.auditIds,
      expires_at: keystoneTime(info.expiresAt),
      issued_at: keystoneTime(info.issuedAt),
      project: {
        domain: { id: info.projectDomain.id, name: info.projectDomain.name },
        id: info.project.id,
        name: info.project.name,
      },
      is_domain: false,
      roles: info.roles.map((role) => ({ id: role.id, name: role.name })),
      catalog: options.includeCatalog ? catalogView(options) : undefined,
    },
  };
}

/** A project as Keystone shows it; projects hang directly below their domain. */
export function projectView(project: ProjectConfig, publicUrl: string): object {
  return {
    id: project.id,
    name: project.name,
    domain_id: project.domain,
    description: project.description ?? '',
    enabled: true,
    parent_id: project.domain,
    is_domain: false,
    tags: [],
    options: {},
    links: { self: `${publicUrl}/identity/v3/projects/${encodeURIComponent(project.id)}` },
  };
}

/** A Keystone collection: `selfPath` is the request path and query below `/identity`. */
export function projectsView(projects: readonly ProjectConfig[], publicUrl: string, selfPath: string): object {
  return {
    projects: projects.map((project) => projectView(project, publicUrl)),
    links: { next: null, self: `${publicUrl}/identity${selfPath}`, previous: null },
  };
}

/** `GET /v3/users/{id}`: a user, without anything about the password. */
export function userView(user: UserConfig, publicUrl: string): object {
  return {
    user: {
      id: user.id,
      name: user.name,
      domain_id: user.domain,
      enabled: user.enabled,
      password_expires_at: null,
      options: {},
      links: { self: `${publicUrl}/identity/v3/users/${encodeURIComponent(user.id)}` },
    },
  };
}
