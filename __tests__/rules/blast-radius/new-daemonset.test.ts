/**
 * Table tests of blast-radius/new-daemonset, plus engine runs with the real watch-all rule
 * (watch-all/daemonset-cluster-watch) for the high case. Lines are looked up in the case's own YAML.
 */
import { describe, expect, it } from 'vitest';
import { newDaemonset } from '../../../rules/blast-radius/new-daemonset.js';
import { daemonsetClusterWatch } from '../../../rules/watch-all/daemonset-cluster-watch.js';
import type { Rule } from '../../../src/rule.js';
import { lineContaining, ruleTester, runCase, type ExpectedFinding, runRules } from '../../helpers/rule-tester.js';
import { FLEET, NODE_AGENT_RBAC, SHARED } from '../../helpers/fleets.js';

const lineOf = lineContaining;
const KEY = 'new-in-clusters';
const BATCHES = 'slow-start batches (1, 2, 4 … up to 250 per sync, RULEBOOK B.1) regardless of updateStrategy';


interface DsSpec {
  kind?: string;
  name?: string;
  namespace?: string;
  image?: string;
  annotations?: Record<string, string>;
  labels?: Record<string, string>;
  serviceAccount?: string;
}

function ds(d: DsSpec = {}): string {
  const lines = [
    'apiVersion: apps/v1',
    `kind: ${d.kind ?? 'DaemonSet'}`,
    'metadata:',
    `  name: ${d.name ?? 'node-agent'}`,
    `  namespace: ${d.namespace ?? 'monitoring'}`,
  ];
  if (d.labels) lines.push('  labels:', ...Object.entries(d.labels).map(([k, v]) => `    ${k}: ${JSON.stringify(v)}`));
  if (d.annotations) lines.push('  annotations:', ...Object.entries(d.annotations).map(([k, v]) => `    ${k}: ${JSON.stringify(v)}`));
  lines.push(
    'spec:',
    '  selector:',
    '    matchLabels: {app: node-agent}',
    '  updateStrategy:',
    '    type: RollingUpdate',
    '    rollingUpdate: {maxUnavailable: 1}',
    '  template:',
    '    metadata:',
    '      labels: {app: node-agent}',
    '    spec:',
    `      serviceAccountName: ${d.serviceAccount ?? 'node-agent'}`,
    '      containers:',
    '      - name: agent',
    `        image: ${d.image ?? 'example.com/node-agent:1.0.0'}`,
  );
  return `${lines.join('\n')}\n`;
}

const RBAC = NODE_AGENT_RBAC;

const CANARY = 'clusters/canary-1/node-agent.yaml';
const PROD_US = 'clusters/prod-us/node-agent.yaml';
const PROD_EU = 'clusters/prod-eu/node-agent.yaml';

const agent = ds();
const deployment = ds({ kind: 'Deployment' });
const renamed = ds({ name: 'node-agent-v2' });
const upgraded = ds({ image: 'example.com/node-agent:2.0.0' });
const kubeProxy = ds({ name: 'kube-proxy', namespace: 'kube-system', image: 'registry.k8s.io/kube-proxy:v1.30.2', labels: { 'k8s-app': 'kube-proxy' } });
const otherNamespace = ds({ namespace: 'observability' });

const at = (severity: ExpectedFinding['severity'], text: string, messageIncludes?: string[], needle = 'name: node-agent'): ExpectedFinding => ({
  severity,
  key: KEY,
  line: lineOf(text, needle),
  ...(messageIncludes ? { messageIncludes } : {}),
});

ruleTester(newDaemonset).run({
  valid: [
    // kube-proxy and CNI agents are judged by blast-radius/network-daemonset (high when new), not twice.
    { name: 'a new kube-proxy DaemonSet is left to blast-radius/network-daemonset', config: FLEET, files: { [CANARY]: kubeProxy } },
    { name: 'a DaemonSet the base already has in the cluster, unchanged', config: FLEET, base: { [CANARY]: agent }, files: { [CANARY]: agent } },
    { name: 'a DaemonSet the base already has, with a new image (its updateStrategy applies)', config: FLEET, base: { [CANARY]: agent }, files: { [CANARY]: upgraded } },
    {
      name: 'a DaemonSet moved to another file of the same cluster',
      config: FLEET,
      base: { [CANARY]: agent },
      files: { 'clusters/canary-1/agents/node-agent.yaml': agent },
    },
    { name: 'a Deployment added', config: FLEET, files: { [CANARY]: deployment } },
    { name: 'a DaemonSet removed', config: FLEET, base: { [CANARY]: agent, 'clusters/canary-1/other.yaml': deployment }, files: { 'clusters/canary-1/other.yaml': deployment } },
    {
      name: 'present on the base in canary and prod-us, upgraded in prod-us',
      config: FLEET,
      base: { [CANARY]: agent, [PROD_US]: agent },
      files: { [CANARY]: agent, [PROD_US]: upgraded },
    },
  ],
  invalid: [
    {
      name: 'a DaemonSet added to one 60-node cluster',
      config: FLEET,
      files: { [CANARY]: agent },
      findings: [at('medium', agent, ['new DaemonSet "monitoring/node-agent" in cluster "canary-1" lands on 60 nodes at once: canary-1 (60)', BATCHES])],
    },
    {
      name: 'present on the base in canary only, added to prod-us by the PR',
      config: FLEET,
      base: { [CANARY]: agent },
      files: { [CANARY]: agent, [PROD_US]: agent },
      findings: [at('medium', agent, ['in cluster "prod-us" lands on 4,800 nodes at once: prod-us (4,800);'])],
    },
    {
      name: 'a renamed DaemonSet is new',
      config: FLEET,
      base: { [CANARY]: agent },
      files: { [CANARY]: renamed },
      findings: [at('medium', renamed, ['"monitoring/node-agent-v2"', '60 nodes'], 'name: node-agent-v2')],
    },
    {
      name: 'a DaemonSet moved to another namespace is new',
      config: FLEET,
      base: { [CANARY]: agent },
      files: { [CANARY]: otherNamespace },
      findings: [at('medium', otherNamespace, ['"observability/node-agent"'])],
    },
    {
      name: 'one shared file reaching three clusters: one finding with each node count and the total',
      config: SHARED,
      files: { 'infrastructure/node-agent.yaml': agent },
      findings: [at('medium', agent, ['in 3 clusters lands on 8,060 nodes at once: canary-1 (60), prod-eu (3,200), prod-us (4,800);'])],
    },
    {
      name: 'per-cluster copies added to two clusters: one finding each (different files)',
      config: FLEET,
      base: { [CANARY]: agent },
      files: { [CANARY]: agent, [PROD_US]: agent, [PROD_EU]: agent },
      findings: [at('medium', agent, ['in cluster "prod-']), at('medium', agent, ['in cluster "prod-'])],
    },
  ],
});

describe('blast-radius/new-daemonset details', () => {
  it('reports only the clusters where the DaemonSet is new', () => {
    const result = runCase(newDaemonset, { name: 'x', config: FLEET, base: { [CANARY]: agent }, files: { [CANARY]: agent, [PROD_US]: agent } });
    expect(result.live).toHaveLength(1);
    expect(result.live[0].clusters).toEqual(['prod-us']);
    expect(result.live[0].file).toBe(PROD_US);
    expect(result.live[0].resource).toBe('DaemonSet/monitoring/node-agent');
    expect(result.live[0].data).toMatchObject({ totalNodes: 4800, watchAll: [] });
  });

  it('groups copies of one source across clusters', () => {
    const result = runCase(newDaemonset, { name: 'x', config: SHARED, files: { 'infrastructure/node-agent.yaml': agent } });
    expect(result.live).toHaveLength(1);
    expect(result.live[0].clusters).toEqual(['canary-1', 'prod-eu', 'prod-us']);
    expect(result.live[0].data).toMatchObject({ totalNodes: 8060 });
  });

  it('marks assumed node counts (a file no cluster receives reaches unmapped)', () => {
    const result = runCase(newDaemonset, { name: 'x', config: FLEET, files: { 'elsewhere/node-agent.yaml': agent } });
    expect(result.live.map((f) => f.clusters)).toEqual([['unmapped']]);
    expect(result.live[0].message).toContain('nodes (assumed) at once: unmapped (');
    expect(result.live[0].message).toContain(', assumed)');
  });

  it('keeps the finding suppressed with the ignore annotation', () => {
    const text = ds({ annotations: { 'blast-radius.dev/ignore': 'blast-radius/new-daemonset -- canary only' } });
    const result = runCase(newDaemonset, { name: 'x', config: FLEET, files: { [CANARY]: text } });
    expect(result.live).toEqual([]);
    expect(result.suppressed.map((f) => f.key)).toEqual([KEY]);
  });
});

/** Runs the engine with the real watch-all rule and this one. */
function runBoth(base: Record<string, string>, head: Record<string, string>, rules: Rule[] = [newDaemonset, daemonsetClusterWatch]) {
  return runRules(FLEET, base, head, rules).filter((f) => f.ruleId === newDaemonset.meta.id);
}

describe('blast-radius/new-daemonset with a watch-all finding', () => {
  it('is high when watch-all/daemonset-cluster-watch flags the same DaemonSet, and names that rule', () => {
    const found = runBoth({}, { [CANARY]: agent + RBAC });
    expect(found).toHaveLength(1);
    expect(found[0].severity).toBe('high');
    expect(found[0].suppressed).toBe(false);
    expect(found[0].line).toBe(lineOf(agent, 'name: node-agent'));
    expect(found[0].message).toContain('watch-all/daemonset-cluster-watch also flags it');
    expect(found[0].message).toContain('60 nodes');
    expect(found[0].data).toMatchObject({ watchAll: ['watch-all/daemonset-cluster-watch'] });
  });

  it('stays medium without the watch-all rule, or when the watch-all finding is suppressed', () => {
    expect(runBoth({}, { [CANARY]: agent + RBAC }, [newDaemonset]).map((f) => f.severity)).toEqual(['medium']);
    const ignored = ds({ annotations: { 'blast-radius.dev/ignore': 'watch-all/daemonset-cluster-watch -- reads its node only' } });
    expect(runBoth({}, { [CANARY]: ignored + RBAC }).map((f) => f.severity)).toEqual(['medium']);
  });

  it('stays medium when the watch-all finding is about another DaemonSet', () => {
    const other = ds({ name: 'other-agent', serviceAccount: 'other-agent' });
    const found = runBoth({}, { [CANARY]: agent + RBAC, 'clusters/canary-1/other.yaml': other });
    expect(found.map((f) => [f.resource, f.severity])).toEqual(
      expect.arrayContaining([
        ['DaemonSet/monitoring/node-agent', 'high'],
        ['DaemonSet/monitoring/other-agent', 'medium'],
      ]),
    );
    expect(found).toHaveLength(2);
  });

  it('is quiet for a DaemonSet that is not new, even with a watch-all finding', () => {
    expect(runBoth({ [CANARY]: agent + RBAC }, { [CANARY]: upgraded + RBAC })).toEqual([]);
  });
});
