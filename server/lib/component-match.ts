/**
 * The provider's rule for "these two device IDs are one machine": their hardware
 * components (each an HMAC of one value, DESIGN §2) are compared name by name. Only the
 * names both devices reported count, so a platform that offers fewer components is not
 * held against a device; a rule never matches on a single component, since one equal
 * value (a common CPU model, say) says nothing about the machine.
 */
import type { DeviceComponents } from '../../shared/provider-api/schemas.ts';

export const COMPONENT_MATCH_RULES = ['most', 'two', 'all', 'off'] as const;
/**
 * - `most`: more than half of the compared components equal, and at least two (default);
 * - `two`: at least two equal;
 * - `all`: every compared one equal, at least two compared;
 * - `off`: never (no recognition, no recovery).
 */
export type ComponentMatchRule = (typeof COMPONENT_MATCH_RULES)[number];

export interface ComponentScore {
  matched: number;
  compared: number;
}

export function scoreComponents(a: DeviceComponents, b: DeviceComponents): ComponentScore {
  let matched = 0;
  let compared = 0;
  for (const [name, hmac] of Object.entries(a)) {
    const other = b[name as keyof DeviceComponents];
    if (hmac === undefined || other === undefined) continue;
    compared++;
    if (hmac === other) matched++;
  }
  return { matched, compared };
}

export function componentsMatch(rule: ComponentMatchRule, { matched, compared }: ComponentScore): boolean {
  switch (rule) {
    case 'most':
      return matched >= 2 && matched * 2 > compared;
    case 'two':
      return matched >= 2;
    case 'all':
      return compared >= 2 && matched === compared;
    case 'off':
      return false;
  }
}

export interface Candidate<T> {
  score: ComponentScore;
  /** ISO 8601 enrolment time: among equal scores the newest device wins. */
  enrolledAt: string;
  /** Breaks the last tie so the answer never depends on row order. */
  deviceId: string;
  item: T;
}

/** The best candidate under `rule`: highest share of matched components, then newest enrolment. */
export function bestMatch<T>(rule: ComponentMatchRule, candidates: Candidate<T>[]): Candidate<T> | undefined {
  const share = ({ matched, compared }: ComponentScore) => (compared === 0 ? 0 : matched / compared);
  return candidates
    .filter((candidate) => componentsMatch(rule, candidate.score))
    .sort(
      (x, y) =>
        share(y.score) - share(x.score) ||
        y.enrolledAt.localeCompare(x.enrolledAt) ||
        x.deviceId.localeCompare(y.deviceId),
    )[0];
}
