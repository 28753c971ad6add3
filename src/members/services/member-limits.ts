/**
 * How many members an image may have, from configuration only: the first rule whose property
 * value matches decides, otherwise the default. Negative means unlimited (Glance's convention).
 */
import type { MemberLimitsConfig } from '../../base/config.ts';
import type { Image } from '../../base/domain.ts';

export function memberLimitFor(image: Image, limits: MemberLimitsConfig): number {
  for (const rule of limits.rules) {
    const value = image.properties[rule.property];
    if (value !== undefined && rule.values.includes(value)) return rule.limit;
  }
  return limits.default;
}
