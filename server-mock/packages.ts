/**
 * Release packages: the mock publishes only what the provider would, by the provider's
 * own checks (shared/package-inspector.ts): a gzip'd tar, every entry safe by
 * shared/archive-safety, and `keyport.json` at the root naming an `entry` file that is
 * in the archive. Refusals are the provider's 400 VALIDATION problems.
 */
export { inspectPackage } from '../shared/package-inspector.ts';
export { sha256Hex } from '../server/lib/secrets.ts';
