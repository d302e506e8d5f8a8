/**
 * The match rule on its own (server/lib/component-match.ts): which components count,
 * each setting's threshold, and which of several matching devices is the best.
 */
import { describe, expect, it } from 'vitest';
import {
  bestMatch,
  componentsMatch,
  scoreComponents,
  type ComponentMatchRule,
  type ComponentScore,
} from '../lib/component-match.ts';
import { hexOf, machineComponents, withChanged } from '../../test-support/provider-harness.ts';

describe('scoreComponents', () => {
  it('compares only the names both devices reported', () => {
    const desk = machineComponents('desk');
    expect(scoreComponents(desk, desk)).toEqual({ matched: 5, compared: 5 });
    expect(scoreComponents(desk, withChanged(desk, 'disk.serial'))).toEqual({ matched: 4, compared: 5 });
    const fewer = { 'system.uuid': desk['system.uuid'], 'cpu.model': hexOf('other cpu') };
    expect(scoreComponents(desk, fewer)).toEqual({ matched: 1, compared: 2 });
    expect(scoreComponents(fewer, desk)).toEqual({ matched: 1, compared: 2 });
    expect(scoreComponents(desk, {})).toEqual({ matched: 0, compared: 0 });
  });
});

describe('componentsMatch', () => {
  const cases: Array<[ComponentMatchRule, ComponentScore, boolean]> = [
    ['most', { matched: 4, compared: 5 }, true],
    ['most', { matched: 3, compared: 5 }, true],
    ['most', { matched: 2, compared: 5 }, false],
    ['most', { matched: 2, compared: 4 }, false], // half is not most
    ['most', { matched: 2, compared: 3 }, true],
    ['most', { matched: 2, compared: 2 }, true],
    ['most', { matched: 1, compared: 1 }, false], // one equal value says nothing
    ['most', { matched: 0, compared: 0 }, false],
    ['two', { matched: 2, compared: 5 }, true],
    ['two', { matched: 1, compared: 1 }, false],
    ['all', { matched: 5, compared: 5 }, true],
    ['all', { matched: 4, compared: 5 }, false],
    ['all', { matched: 1, compared: 1 }, false],
    ['all', { matched: 2, compared: 2 }, true],
    ['off', { matched: 5, compared: 5 }, false],
  ];
  it.each(cases)('%s with %o → %s', (rule, score, expected) => {
    expect(componentsMatch(rule, score)).toBe(expected);
  });
});

describe('bestMatch', () => {
  const candidate = (deviceId: string, matched: number, compared: number, enrolledAt: string) => ({
    score: { matched, compared },
    enrolledAt,
    deviceId,
    item: deviceId,
  });

  it('prefers the highest share of matched components, then the newest enrolment', () => {
    const older = '2026-01-01T00:00:00.000Z';
    const newer = '2026-06-01T00:00:00.000Z';
    expect(bestMatch('most', [candidate('a', 3, 5, newer), candidate('b', 4, 5, older)])?.item).toBe('b');
    expect(bestMatch('most', [candidate('a', 4, 5, older), candidate('b', 4, 5, newer)])?.item).toBe('b');
    expect(bestMatch('most', [candidate('b', 4, 5, newer), candidate('a', 4, 5, older)])?.item).toBe('b');
  });

  it('leaves out the candidates the rule does not accept', () => {
    const at = '2026-01-01T00:00:00.000Z';
    expect(bestMatch('most', [candidate('a', 2, 5, at)])).toBeUndefined();
    expect(bestMatch('two', [candidate('a', 2, 5, at)])?.item).toBe('a');
    expect(bestMatch('off', [candidate('a', 5, 5, at)])).toBeUndefined();
    expect(bestMatch('most', [])).toBeUndefined();
  });
});
