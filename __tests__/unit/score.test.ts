import { describe, expect, it } from 'vitest';
import { exitCodeFor, levelOf, reach, scoreOf } from '../../src/score.js';
import type { Finding, Severity } from '../../src/types.js';

const fleet = (nodes: Record<string, number>) => ({
  totalNodes: Object.values(nodes).reduce((a, b) => a + b, 0),
  cluster: (name: string) => (name in nodes ? ({ nodes: nodes[name] } as any) : name === 'unmapped' ? ({ nodes: 5000 } as any) : undefined),
});

function finding(severity: Severity, clusters: string[], resource: string | null = 'DaemonSet/x/y', suppressed = false): Finding {
  return { ruleId: 'r/x', family: 'watch-all', severity, message: 'm', remediation: 'r.', file: 'f', line: 1, resource, clusters, suppressed, suppressedBy: suppressed ? 'x' : null, key: 'k' };
}

describe('score and level (DESIGN.md)', () => {
  const f = fleet({ 'canary-1': 60, 'prod-us': 4800, 'prod-eu': 3200 });

  it('scores one critical finding reaching the whole fleet 85', () => {
    expect(scoreOf([finding('critical', ['canary-1', 'prod-eu', 'prod-us'])], f)).toBe(85);
  });

  it('scores one medium finding on the 60-node canary of an 8,060-node fleet 5 (reach floor 0.25)', () => {
    expect(scoreOf([finding('medium', ['canary-1'])], f)).toBe(5);
  });

  it('groups by resource: the group weighs its highest severity over the union of its clusters', () => {
    const fs = [finding('low', ['prod-us']), finding('high', ['prod-eu'])];
    // reach (4800 + 3200) / 8060 = 0.9926; weight 0.5 × 0.9926
    expect(scoreOf(fs, f)).toBe(Math.round(100 * 0.5 * (8000 / 8060)));
  });

  it('combines groups with noisy-OR, each null resource its own group, and ignores suppressed findings', () => {
    const fs = [finding('high', ['unmapped'], null), finding('high', ['unmapped'], null), finding('critical', ['prod-us'], 'X/y', true)];
    expect(scoreOf(fs, f)).toBe(Math.round(100 * (1 - 0.5 * 0.5)));
    expect(levelOf(fs)).toBe('high');
  });

  it('gives reach 1 for unmapped and at least 0.25 otherwise', () => {
    expect(reach(['unmapped'], f)).toBe(1);
    expect(reach(['canary-1'], f)).toBe(0.25);
    expect(reach(['prod-us'], f)).toBeCloseTo(4800 / 8060, 10);
  });

  it('has level none and score 0 without live findings', () => {
    expect(levelOf([])).toBe('none');
    expect(scoreOf([], f)).toBe(0);
    expect(levelOf([finding('critical', ['prod-us'], 'a/b', true)])).toBe('none');
  });

  it('exits 1 at or above the fail-on level, never for none', () => {
    expect(exitCodeFor('high', 'high')).toBe(1);
    expect(exitCodeFor('critical', 'high')).toBe(1);
    expect(exitCodeFor('medium', 'high')).toBe(0);
    expect(exitCodeFor('critical', 'none')).toBe(0);
    expect(exitCodeFor('none', 'low')).toBe(0);
    expect(exitCodeFor('low', 'low')).toBe(1);
  });
});
