/**
 * Glance's image policies in the two modes (spec section 4.3; glance/api/v2/policy.py and
 * glance/policies/image.py).
 *
 * legacy (Zed 25.1 defaults): every rule but publicize_image is OR-ed with an always-true
 * deprecated rule, so only the hard-coded checks remain: admin-or-owner for changes
 * ("You do not own this image") and admin-or-same-owner on create.
 *
 * new-defaults (2023.1+): role based. A refused rule on an existing image is a 404 with the
 * generic text when the caller may not even `get_image` it, else a 403 naming the rule.
 */
import type { PolicyMode } from '../../base/config.ts';
import { ForbiddenError, NotFoundError } from '../../base/errors.ts';
import type { Caller, Image, Visibility } from '../../base/domain.ts';

/** Glance's rules that need the caller to own the image. */
export type OwnerAction = 'modify_image' | 'delete_image' | 'upload_image';

const has = (caller: Caller, role: string): boolean => caller.roles.includes(role);
const refused = (rule: string): ForbiddenError => new ForbiddenError(`You are not authorized to complete ${rule} action.`);

/** Glance's image policy checks; each throws Glance's error when the rule refuses. */
export interface ImagePolicy {
  /** `get_image` (the database-level visibility rule is checked before, by the service). */
  enforceGet(caller: Caller): void;
  /** `get_images`. */
  enforceList(caller: Caller): void;
  /** `add_image` plus the visibility rules for a new image. */
  enforceCreate(caller: Caller, owner: string | null, visibility: Visibility | undefined): void;
  /** `publicize_image` / `communitize_image` for a visibility change of an existing image. */
  enforceVisibility(caller: Caller, image: Image, visibility: Visibility): void;
  /** Rules that need the caller to own the image (or be admin). `legacyText` is Glance's legacy 403. */
  enforceOwner(caller: Caller, image: Image, action: OwnerAction, legacyText: string): void;
  /** `download_image`. */
  enforceDownload(caller: Caller): void;
}

/** The image policy of one mode (config policy.mode). */
export function createImagePolicy(mode: PolicyMode): ImagePolicy {
  const legacy = mode === 'legacy';

  /** new-defaults: a refused rule hides the image unless `get_image` would pass. */
  const refuse = (caller: Caller, rule: string): never => {
    if (!has(caller, 'reader')) throw new NotFoundError();
    throw refused(rule);
  };

  return {
    enforceGet(caller) {
      if (!legacy && !caller.isAdmin && !has(caller, 'reader')) throw new NotFoundError();
    },

    enforceList(caller) {
      if (!legacy && !caller.isAdmin && !has(caller, 'reader')) throw refused('get_images');
    },

    enforceCreate(caller, owner, visibility) {
      const foreignOwner = owner !== caller.projectId;
      const ownedByText = `You are not permitted to create images owned by '${owner ?? 'None'}'.`;
      if (!legacy && !caller.isAdmin && (foreignOwner || !has(caller, 'member'))) {
        throw new ForbiddenError(foreignOwner ? ownedByText : 'You are not authorized to complete add_image action.');
      }
      if (visibility === 'public' && !caller.isAdmin) throw refused('publicize_image');
      if (visibility === 'community' && !legacy && !caller.isAdmin && !has(caller, 'member')) throw refused('communitize_image');
      if (legacy && !caller.isAdmin && foreignOwner) throw new ForbiddenError(ownedByText);
    },

    enforceVisibility(caller, image, visibility) {
      if (caller.isAdmin) return;
      if (visibility === 'public') {
        if (!legacy && !has(caller, 'reader')) throw new NotFoundError();
        throw refused('publicize_image');
      }
      if (visibility === 'community' && !legacy && !(has(caller, 'member') && image.owner === caller.projectId)) {
        refuse(caller, 'communitize_image');
      }
    },

    enforceOwner(caller, image, action, legacyText) {
      if (caller.isAdmin) return;
      const owns = image.owner !== null && image.owner === caller.projectId;
      if (legacy) {
        if (!owns) throw new ForbiddenError(legacyText);
        return;
      }
      if (!(owns && has(caller, 'member'))) refuse(caller, action);
    },

    enforceDownload(caller) {
      if (legacy || caller.isAdmin || has(caller, 'member')) return;
      refuse(caller, 'download_image');
    },
  };
}
