/** Domain types shared by every room and layer: the caller, images and members. Imports nothing internal. */

/** Who is calling, as established by the authentication middleware. Roles are lower-case. */
export interface Caller {
  projectId: string;
  userId: string | undefined;
  roles: readonly string[];
  isAdmin: boolean;
  /** The request this caller is making (X-Openstack-Request-Id), for audit records; set with the caller. */
  requestId?: string;
}

export type Visibility = 'public' | 'private' | 'shared' | 'community';
export const VISIBILITIES: readonly Visibility[] = ['public', 'private', 'shared', 'community'];

export type ImageStatus =
  'queued' | 'saving' | 'active' | 'killed' | 'deleted' | 'pending_delete' | 'deactivated' | 'uploading' | 'importing';

export interface Image {
  id: string;
  name: string | null;
  status: ImageStatus;
  visibility: Visibility;
  owner: string | null;
  protected: boolean;
  osHidden: boolean;
  checksum: string | null;
  osHashAlgo: string | null;
  osHashValue: string | null;
  size: number | null;
  virtualSize: number | null;
  diskFormat: string | null;
  containerFormat: string | null;
  minDisk: number;
  minRam: number;
  createdAt: string;
  updatedAt: string;
  /** Free-form string properties (e.g. image_type), in insertion order. */
  properties: Record<string, string>;
  tags: string[];
}

export type MemberStatus = 'pending' | 'accepted' | 'rejected';
export const MEMBER_STATUSES: readonly MemberStatus[] = ['pending', 'accepted', 'rejected'];

export interface Member {
  imageId: string;
  memberId: string;
  status: MemberStatus;
  createdAt: string;
  updatedAt: string;
}
