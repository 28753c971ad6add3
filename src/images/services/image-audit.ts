/**
 * The audit records of the image operations that change who can see an image: create, delete, and
 * a PATCH whose changes touch `/visibility` (other PATCHes are not sharing changes and are not
 * recorded). Each attempt that reaches the service is recorded, refused ones included.
 */
import { audited, type AuditDraft, type AuditLog } from '../../base/audit.ts';
import type { Caller, Image } from '../../base/domain.ts';
import type { ImageChange } from './image-patch.ts';
import type { NewImageRequest } from './image-service.ts';

/** The operations to record; `update` notes the visibility it found in `draft.oldVisibility`. */
export interface AuditableImageOperations {
  create(caller: Caller, request: NewImageRequest): Promise<Image>;
  update(caller: Caller, imageId: string, changes: readonly ImageChange[], draft?: AuditDraft): Promise<Image>;
  delete(caller: Caller, imageId: string): Promise<void>;
}

const isVisibilityChange = (change: ImageChange): boolean => change.path.length === 1 && change.path[0] === 'visibility';

/** The same operations, each recording its attempt in `audit`. */
export function auditImageOperations(
  audit: AuditLog,
  ops: AuditableImageOperations,
): Omit<AuditableImageOperations, 'update'> & {
  update(caller: Caller, imageId: string, changes: readonly ImageChange[]): Promise<Image>;
} {
  return {
    create: (caller, request) => {
      const draft: AuditDraft = { audit: 'image.create', image: request.id ?? null, newVisibility: request.visibility ?? null };
      return audited(audit, caller, draft, async () => {
        const image = await ops.create(caller, request);
        Object.assign(draft, { image: image.id, newVisibility: image.visibility });
        return image;
      });
    },
    update: (caller, imageId, changes) => {
      const asked = changes.filter(isVisibilityChange).at(-1);
      if (asked === undefined) return ops.update(caller, imageId, changes);
      const draft: AuditDraft = { audit: 'image.visibility', image: imageId, oldVisibility: null, newVisibility: asked.value ?? null };
      return audited(audit, caller, draft, async () => {
        const image = await ops.update(caller, imageId, changes, draft);
        draft.newVisibility = image.visibility;
        return image;
      });
    },
    delete: (caller, imageId) => audited(audit, caller, { audit: 'image.delete', image: imageId }, () => ops.delete(caller, imageId)),
  };
}
