/**
 * The watch-all load model against RULEBOOK B.4's worked numbers and the issue's staging-trap example.
 * Expected figures are computed here from the model's constants written out (30 pods/node, 8 KiB objects,
 * 3 API servers at 1.25e9 B/s, a 60 s window, 2,000 requests/s), never by calling the code under test.
 */
import { describe, expect, it } from 'vitest';
import { defaultConfig, parseConfig } from '../../src/config.js';
import {
  agentLoad,
  formatBytes,
  formatCount,
  formatRatio,
  loadParams,
  objectsOfKind,
  severityForRatio,
  type AgentProfile,
  type LoadParams,
} from '../../src/load-model.js';

const PPN = 30;
const S = 8192;
const A = 3;
const EGRESS = 1.25e9;
const WINDOW = 60;
const RPS = 2000;
const GiB = 2 ** 30;
const TiB = 2 ** 40;

const params: LoadParams = loadParams(defaultConfig());
const podsCluster: AgentProfile = { watches: [{ resource: 'pods', scope: 'cluster' }] };
const podsNode: AgentProfile = { watches: [{ resource: 'pods', scope: 'node' }] };

/** |actual − expected| ≤ 1% of expected. */
function within1(actual: number, expected: number): void {
  expect(Math.abs(actual - expected) / expected).toBeLessThanOrEqual(0.01);
}

describe('defaults', () => {
  it('come from the config defaults (RULEBOOK B.1 / B.4)', () => {
    expect(params).toMatchObject({ podsPerNode: PPN, objectBytes: S, replicas: A, egressBytesPerSecond: EGRESS, requestsPerSecond: RPS });
    expect(params.objects).toMatchObject({ replicasets: 5000, namespaces: 500 });
  });
});

describe('RULEBOOK B.4 worked numbers (pods only, cluster-wide, per-node agent)', () => {
  it('N = 100: relist 2.3 GiB in about 0.66 s, ratio about 0.011 (low)', () => {
    const n = 100;
    const bytes = n * (PPN * n) * S;
    const load = agentLoad(podsCluster, n, params);
    expect(load.objectsPerAgent).toBe(3000);
    expect(load.relistBytes).toBe(bytes);
    within1(load.relistBytes / GiB, 2.3); // the table's "2.3 GB"
    within1(load.relistSeconds, bytes / (A * EGRESS));
    within1(load.relistSeconds, 0.66);
    within1(load.ratio, bytes / (A * EGRESS) / WINDOW);
    expect(load.severity).toBe('low');
    expect(formatBytes(load.relistBytes)).toBe('2.3 GiB');
  });

  it('N = 5,000: relist 5.6 TiB in about 1,638 s, ratio about 27 (critical)', () => {
    const n = 5000;
    const bytes = n * (PPN * n) * S;
    const load = agentLoad(podsCluster, n, params);
    expect(load.objectsPerAgent).toBe(150_000);
    within1(load.relistBytes / TiB, 5.6);
    within1(load.relistSeconds, 1638);
    within1(load.ratio, bytes / (A * EGRESS) / WINDOW);
    within1(load.ratio, 27.3);
    expect(load.severity).toBe('critical');
    expect(formatBytes(load.relistBytes)).toBe('5.6 TiB');
  });

  it('N = 5,000 with leader election: 1,562 lease GETs/s (N / 3.2)', () => {
    const load = agentLoad({ watches: [], leaderElection: true }, 5000, params);
    within1(load.requestsPerSecond, 1562);
    expect(load.requestsPerSecond).toBeCloseTo(5000 / 3.2, 6);
    expect(load.ratioRate).toBeCloseTo(5000 / 3.2 / RPS, 9);
    expect(load.relistBytes).toBe(0);
    expect(load.severity).toBe('medium'); // 0.78 of the request budget
  });

  it('the other rows of the table: 50, 500, 1,000, 2,500, 7,500 nodes', () => {
    const rows: Array<[number, number, number]> = [
      // N, fleet re-sync bytes as the table gives them (written MB / GB / TB, binary units in fact), time s
      [50, 586 * 2 ** 20, 0.16],
      [500, 57 * GiB, 16],
      [1000, 229 * GiB, 66],
      [2500, 1.4 * TiB, 410],
      [7500, 12.6 * TiB, 3686],
    ];
    for (const [n, bytes, seconds] of rows) {
      const load = agentLoad(podsCluster, n, params);
      within1(load.relistBytes, bytes);
      within1(load.relistSeconds, n * PPN * n * S / (A * EGRESS));
      // The table rounds times below 100 s to two digits (16.4 s → "16 s"): compare the longer ones.
      if (n >= 1000) within1(load.relistSeconds, seconds);
    }
  });
});

describe('the issue example: a pods-only cluster-wide watch', () => {
  it('60-node canary: relist 0.8 GiB, 0.004× capacity', () => {
    const load = agentLoad(podsCluster, 60, params);
    expect(load.relistBytes).toBe(60 * PPN * 60 * S);
    expect(formatBytes(load.relistBytes)).toBe('0.8 GiB');
    expect(formatRatio(load.ratio)).toBe('0.004×');
    expect(load.severity).toBe('low');
  });

  it('4,800-node production: 5.1 TiB, 25×', () => {
    const load = agentLoad(podsCluster, 4800, params);
    expect(load.relistBytes).toBe(4800 * PPN * 4800 * S);
    expect(formatBytes(load.relistBytes)).toBe('5.1 TiB');
    expect(formatRatio(load.ratio)).toBe('25×');
    expect(load.severity).toBe('critical');
  });
});

describe('growth', () => {
  it('a cluster-wide per-node agent is quadratic in N, a node-scoped one linear', () => {
    for (const n of [60, 100, 1000, 2500]) {
      const wide = (k: number) => agentLoad(podsCluster, k, params).relistBytes;
      const node = (k: number) => agentLoad(podsNode, k, params).relistBytes;
      expect(wide(2 * n) / wide(n)).toBeCloseTo(4, 9);
      expect(node(2 * n) / node(n)).toBeCloseTo(2, 9);
      expect(wide(n) / node(n)).toBeCloseTo(n, 9);
    }
  });

  it('node-scoped pods at 5,000 nodes: 1.1 GiB, low', () => {
    const load = agentLoad(podsNode, 5000, params);
    expect(load.relistBytes).toBe(5000 * PPN * S);
    expect(formatBytes(load.relistBytes)).toBe('1.1 GiB');
    expect(load.severity).toBe('low');
  });
});

describe('objects per agent by kind', () => {
  it('pods, nodes and leases shrink to the own node when node-scoped', () => {
    expect(objectsOfKind('pods', 'cluster', 100, params)).toBe(3000);
    expect(objectsOfKind('pods', 'node', 100, params)).toBe(30);
    expect(objectsOfKind('nodes', 'cluster', 100, params)).toBe(100);
    expect(objectsOfKind('nodes', 'node', 100, params)).toBe(1);
    expect(objectsOfKind('leases', 'cluster', 100, params)).toBe(100);
    expect(objectsOfKind('leases', 'node', 100, params)).toBe(1);
  });

  it('endpoints, endpointslices and events are not node-indexed: the whole cluster in both scopes', () => {
    for (const kind of ['endpoints', 'endpointslices', 'events']) {
      expect(objectsOfKind(kind, 'cluster', 100, params)).toBe(3000);
      expect(objectsOfKind(kind, 'node', 100, params)).toBe(3000);
    }
  });

  it('workload kinds use fleet.defaults.objects, whatever the scope and node count; unknown kinds 5,000', () => {
    expect(objectsOfKind('replicasets', 'cluster', 100, params)).toBe(5000);
    expect(objectsOfKind('replicasets', 'node', 5000, params)).toBe(5000);
    expect(objectsOfKind('services', 'cluster', 60, params)).toBe(5000);
    expect(objectsOfKind('namespaces', 'cluster', 60, params)).toBe(500);
    expect(objectsOfKind('ciliumendpoints', 'cluster', 60, params)).toBe(5000);
    expect(objectsOfKind('namespaces', 'cluster', 60, { ...params, objects: {} })).toBe(500);
  });

  it('a kind listed twice counts once, at its wider scope', () => {
    const twice = agentLoad({ watches: [{ resource: 'pods', scope: 'node' }, { resource: 'pods', scope: 'cluster' }] }, 100, params);
    expect(twice.objectsPerAgent).toBe(3000);
  });

  it('sums every watched kind', () => {
    const load = agentLoad({ watches: ['pods', 'nodes', 'namespaces', 'replicasets'].map((resource) => ({ resource, scope: 'cluster' as const })) }, 100, params);
    expect(load.objectsPerAgent).toBe(3000 + 100 + 500 + 5000);
    expect(load.relistBytes).toBe(100 * (3000 + 100 + 500 + 5000) * S);
  });
});

describe('polling', () => {
  it('R = N × kinds × 1000 / intervalMs, plus N / 3.2 with leader election', () => {
    const load = agentLoad({ watches: [], poll: { intervalMs: 500, kinds: 2 } }, 1000, params);
    expect(load.requestsPerSecond).toBe((1000 * 2 * 1000) / 500);
    expect(load.ratioRate).toBe(4000 / RPS);
    expect(load.ratio).toBe(2);
    expect(load.severity).toBe('high');
    const both = agentLoad({ watches: [], poll: { intervalMs: 500, kinds: 2 }, leaderElection: true }, 1000, params);
    expect(both.requestsPerSecond).toBeCloseTo(4000 + 1000 / 3.2, 9);
  });

  it('ratio is the larger of the two', () => {
    const load = agentLoad({ watches: [{ resource: 'pods', scope: 'cluster' }], poll: { intervalMs: 60_000, kinds: 1 } }, 5000, params);
    expect(load.ratio).toBe(load.ratioRelist);
    expect(load.ratioRate).toBeLessThan(load.ratioRelist);
  });
});

describe('severity thresholds', () => {
  it.each([
    [100, 'critical'],
    [10, 'critical'],
    [9.999, 'high'],
    [1, 'high'],
    [0.999, 'medium'],
    [0.25, 'medium'],
    [0.2499, 'low'],
    [0, 'low'],
    [Number.NaN, 'low'],
  ] as const)('ratio %s → %s', (ratio, severity) => {
    expect(severityForRatio(ratio)).toBe(severity);
  });
});

describe('config overrides change the figures', () => {
  it('podsPerNode, objectBytes, objects and apiServer', () => {
    const parsed = parseConfig(
      'fleet:\n  defaults: { podsPerNode: 110, objectBytes: 4096, objects: { replicasets: 20000 } }\napiServer: { replicas: 5, egressBytesPerSecond: 2.5e9, requestsPerSecond: 4000 }\n',
      [],
    );
    if (!parsed.ok) throw new Error(JSON.stringify(parsed.problems));
    const p = loadParams(parsed.config);
    expect(p).toMatchObject({ podsPerNode: 110, objectBytes: 4096, replicas: 5, egressBytesPerSecond: 2.5e9, requestsPerSecond: 4000 });
    expect(p.objects.namespaces).toBe(500); // untouched defaults stay
    const n = 1000;
    const load = agentLoad(podsCluster, n, p);
    expect(load.relistBytes).toBe(n * 110 * n * 4096);
    expect(load.relistSeconds).toBeCloseTo((n * 110 * n * 4096) / (5 * 2.5e9), 9);
    expect(load.relistBytes).not.toBe(agentLoad(podsCluster, n, params).relistBytes);
    expect(objectsOfKind('replicasets', 'cluster', n, p)).toBe(20000);
    expect(agentLoad({ watches: [], leaderElection: true }, 4000, p).ratioRate).toBeCloseTo(4000 / 3.2 / 4000, 9);
  });
});

describe('formatting', () => {
  it('formats bytes in binary units', () => {
    expect(formatBytes(0)).toBe('0 B');
    expect(formatBytes(300)).toBe('300 B');
    expect(formatBytes(8192)).toBe('8.0 KiB');
    expect(formatBytes(11.7e6)).toBe('11.2 MiB');
    expect(formatBytes(0.824 * GiB)).toBe('0.8 GiB');
    expect(formatBytes(229 * GiB)).toBe('229 GiB');
    expect(formatBytes(5.15 * TiB)).toBe('5.2 TiB');
  });

  it('formats ratios', () => {
    expect(formatRatio(0)).toBe('0×');
    expect(formatRatio(0.00393)).toBe('0.004×');
    expect(formatRatio(0.0109)).toBe('0.01×');
    expect(formatRatio(0.25)).toBe('0.25×');
    expect(formatRatio(0.5)).toBe('0.5×');
    expect(formatRatio(1.5)).toBe('1.5×');
    expect(formatRatio(2)).toBe('2×');
    expect(formatRatio(25.2)).toBe('25×');
    expect(formatRatio(1638.4)).toBe('1,638×');
    expect(formatRatio(1e-9)).toBe('<0.000001×');
    expect(formatRatio(Number.POSITIVE_INFINITY)).toBe('∞×');
  });

  it('formats counts with thousands separators', () => {
    expect(formatCount(4800)).toBe('4,800');
    expect(formatCount(60)).toBe('60');
    expect(formatCount(1234567)).toBe('1,234,567');
  });
});
