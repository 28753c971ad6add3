/**
 * How many members an image may have, from configuration only: the first rule whose property
 * value matches decides, otherwise the default. Negative means unlimited (Glance's convention).
 */
import type { MemberLimitsConfig } from '../../base/config.ts';
import type { Image } from '../../base/domain.ts';

/** The limit that applies to an image, and the rule that chose it (undefined: the default). */
export interface AppliedLimit {
  limit: number;
  rule: { property: string; value: string } | undefined;
}

export function appliedMemberLimit(image: Image, limits: MemberLimitsConfig): AppliedLimit {
  for (const rule of limits.rules) {
    const value = image.properties[rule.property];
    if (value !== undefined && rule.values.includes(value)) return { limit: rule.limit, rule: { property: rule.property, value } };
  }
  return { limit: limits.default, rule: undefined };
}

export function memberLimitFor(image: Image, limits: MemberLimitsConfig): number {
  return appliedMemberLimit(image, limits).limit;
}
