/**
 * Table tests of canary/workload-strategy, engine runs with the real watch-all rule
 * (watch-all/daemonset-cluster-watch) for the high case, and real-world manifests from the corpus.
 * Lines are looked up in the case's own YAML.
 */
import { describe, expect, it } from 'vitest';
import { workloadStrategy } from '../../../rules/canary/workload-strategy.js';
import { daemonsetClusterWatch } from '../../../rules/watch-all/daemonset-cluster-watch.js';
import { RULES } from '../../../rules/index.js';
import type { Rule } from '../../../src/rule.js';
import { lineContaining, ruleTester, runCase, type ExpectedFinding, runRules } from '../../helpers/rule-tester.js';
import { annotate, HAS_CORPUS, readCorpus } from '../../helpers/corpus.js';
import { FLEET, NODE_AGENT_RBAC, SHARED } from '../../helpers/fleets.js';

const CANARY = 'clusters/canary-1/app.yaml';
const PROD_US = 'clusters/prod-us/app.yaml';
const PROD_EU = 'clusters/prod-eu/app.yaml';

interface W {
  kind?: 'Deployment' | 'DaemonSet' | 'StatefulSet';
  name?: string;
  namespace?: string;
  replicas?: number | string;
  /** Lines under `spec:` for the strategy (already indented by 2). */
  strategy?: string[];
  probe?: 'readiness' | 'startup' | 'none' | 'sidecar-only';
  image?: string;
  annotations?: Record<string, string>;
  labels?: string;
}

function workload(w: W = {}): string {
  const kind = w.kind ?? 'Deployment';
  const lines = ['apiVersion: apps/v1', `kind: ${kind}`, 'metadata:', `  name: ${w.name ?? 'web'}`, `  namespace: ${w.namespace ?? 'apps'}`];
  if (w.annotations) lines.push('  annotations:', ...Object.entries(w.annotations).map(([k, v]) => `    ${k}: ${JSON.stringify(v)}`));
  lines.push('spec:');
  if (w.replicas !== undefined) lines.push(`  replicas: ${w.replicas}`);
  lines.push(...(w.strategy ?? []));
  lines.push(
    '  selector:',
    '    matchLabels: {app: web}',
    '  template:',
    '    metadata:',
    `      labels: ${w.labels ?? '{app: web}'}`,
    '    spec:',
    '      containers:',
    '      - name: main',
    `        image: ${w.image ?? 'example.com/web:1.0.0'}`,
  );
  const probe = w.probe ?? 'readiness';
  if (probe === 'readiness') lines.push('        readinessProbe:', '          httpGet: {path: /ready, port: 8080}');
  if (probe === 'startup') lines.push('        startupProbe:', '          httpGet: {path: /ready, port: 8080}');
  if (probe === 'sidecar-only') lines.push('      - name: sidecar', '        image: example.com/sidecar:1', '        readinessProbe:', '          tcpSocket: {port: 9000}');
  return `${lines.join('\n')}\n`;
}

const ds = (w: W = {}) => workload({ kind: 'DaemonSet', name: 'node-agent', namespace: 'monitoring', ...w });
const dsPace = (value: string, w: W = {}) => ds({ strategy: ['  updateStrategy:', '    type: RollingUpdate', '    rollingUpdate:', `      maxUnavailable: ${value}`], ...w });
const ON_DELETE = ['  updateStrategy:', '    type: OnDelete'];
const RECREATE = ['  strategy:', '    type: Recreate'];
const deployPace = (value: string) => ['  strategy:', '    type: RollingUpdate', '    rollingUpdate:', `      maxUnavailable: ${value}`];

function pdb(o: { name?: string; namespace?: string | null; selector?: string; apiVersion?: string; extra?: string } = {}): string {
  return [
    '---',
    `apiVersion: ${o.apiVersion ?? 'policy/v1'}`,
    'kind: PodDisruptionBudget',
    'metadata:',
    `  name: ${o.name ?? 'web'}`,
    ...(o.namespace === null ? [] : [`  namespace: ${o.namespace ?? 'apps'}`]),
    'spec:',
    `  ${o.extra ?? 'maxUnavailable: 1'}`,
    `  selector: ${o.selector ?? '{matchLabels: {app: web}}'}`,
    '',
  ].join('\n');
}

const HPA = (min: number | null) =>
  [
    '---',
    'apiVersion: autoscaling/v2',
    'kind: HorizontalPodAutoscaler',
    'metadata: {name: web, namespace: apps}',
    'spec:',
    '  scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: web}',
    ...(min === null ? [] : [`  minReplicas: ${min}`]),
    '  maxReplicas: 10',
    '',
  ].join('\n');

/** An expected finding at the line of `text` holding `needle`. */
function at(severity: ExpectedFinding['severity'], key: string, text: string, needle: string, messageIncludes?: string[]): ExpectedFinding {
  return { severity, key, line: lineContaining(text, needle), ...(messageIncludes ? { messageIncludes } : {}) };
}

// Fixtures reused across cases.
const ds100 = dsPace('"100%"');
const deploy3 = workload({ replicas: 3 }) + pdb();
const deploy3NoPdb = workload({ replicas: 3 });
const recreate3 = workload({ replicas: 3, strategy: RECREATE }) + pdb();
const noProbeDs = ds({ probe: 'none' });
const noProbe3 = workload({ replicas: 3, probe: 'none' }) + pdb();

ruleTester(workloadStrategy).run({
  valid: [
    { name: 'DaemonSet with the default pace (maxUnavailable 1) and a readiness probe', config: FLEET, files: { [CANARY]: ds() } },
    { name: 'DaemonSet maxUnavailable 25% without a watch-all finding', config: FLEET, files: { [CANARY]: dsPace('"25%"') } },
    { name: 'DaemonSet maxUnavailable count below the cluster size (10 of 60 nodes)', config: FLEET, files: { [CANARY]: dsPace('10') } },
    { name: 'DaemonSet maxUnavailable 60 in a 4,800-node cluster', config: FLEET, files: { [PROD_US]: dsPace('60') } },
    {
      name: 'DaemonSet maxUnavailable count in a cluster of assumed size (no count, no guess)',
      config: { fleet: { clusters: [{ name: 'prod-x', stage: 'prod', paths: ['clusters/prod-x/**'] }] } },
      files: { 'clusters/prod-x/app.yaml': dsPace('5000') },
    },
    { name: 'DaemonSet already at 100% on the base (not new)', config: FLEET, base: { [CANARY]: ds100 }, files: { [CANARY]: ds100.replace('1.0.0', '1.1.0') } },
    {
      name: 'kube-proxy DaemonSet with OnDelete (the accepted pace for networking agents)',
      config: FLEET,
      files: { [CANARY]: ds({ name: 'kube-proxy', namespace: 'kube-system', strategy: ON_DELETE, image: 'registry.k8s.io/kube-proxy:v1.30.0' }) },
    },
    { name: 'Deployment with an updateStrategy field (not a Deployment field) is not OnDelete', config: FLEET, files: { [CANARY]: workload({ replicas: 3, strategy: ON_DELETE }) + pdb() } },
    { name: 'Recreate with replicas unset (one replica)', config: FLEET, files: { [CANARY]: workload({ strategy: RECREATE }) } },
    { name: 'Recreate with one replica', config: FLEET, files: { [CANARY]: workload({ replicas: 1, strategy: RECREATE }) } },
    { name: 'Recreate with an HPA of minReplicas unset (1)', config: FLEET, files: { [CANARY]: workload({ strategy: RECREATE }) + HPA(null) } },
    { name: 'Deployment maxUnavailable 2 of 3 replicas', config: FLEET, files: { [CANARY]: workload({ replicas: 3, strategy: deployPace('2') }) + pdb() } },
    { name: 'Deployment maxUnavailable 100% with one replica', config: FLEET, files: { [CANARY]: workload({ replicas: 1, strategy: deployPace('"100%"') }) } },
    { name: 'Deployment of 3 replicas with a probe and a matching PodDisruptionBudget', config: FLEET, files: { [CANARY]: deploy3 } },
    { name: 'probe on a sidecar gates the pod', config: FLEET, files: { [CANARY]: workload({ replicas: 3, probe: 'sidecar-only' }) + pdb() } },
    { name: 'startupProbe gates readiness too', config: FLEET, files: { [CANARY]: ds({ probe: 'startup' }) } },
    { name: 'single-replica Deployment without a probe or PodDisruptionBudget', config: FLEET, files: { [CANARY]: workload({ probe: 'none' }) } },
    {
      name: 'PodDisruptionBudget with no namespace written matches the workload',
      config: FLEET,
      files: { [CANARY]: deploy3NoPdb + pdb({ namespace: null }) },
    },
    { name: 'policy/v1 PodDisruptionBudget with an empty selector covers every pod of its namespace', config: FLEET, files: { [CANARY]: deploy3NoPdb + pdb({ selector: '{}' }) } },
    {
      name: 'probe-less workload whose image the PR bumps: the finding is not new (state rule)',
      config: FLEET,
      base: { [CANARY]: noProbeDs },
      files: { [CANARY]: ds({ probe: 'none', image: 'example.com/web:2.0.0' }) },
    },
    {
      name: 'probe-less container added next to a probed one',
      config: FLEET,
      base: { [CANARY]: workload({ replicas: 3 }) + pdb() },
      files: { [CANARY]: workload({ replicas: 3, probe: 'sidecar-only' }).replace('      - name: sidecar', '      - name: logger\n        image: example.com/logger:1\n      - name: sidecar') + pdb() },
    },
    { name: 'annotation-only edit of a Recreate Deployment', config: FLEET, base: { [CANARY]: recreate3 }, files: { [CANARY]: workload({ replicas: 3, strategy: RECREATE, annotations: { 'example.com/owner': 'team-a' } }) + pdb() } },
    {
      name: 'odd input: strings where maps are expected, replicas as a string',
      config: FLEET,
      files: {
        [CANARY]: [
          'apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: a, namespace: apps}\nspec: nonsense\n',
          '---\napiVersion: apps/v1\nkind: Deployment\nmetadata: {name: b, namespace: apps}\nspec: {replicas: "3", strategy: Recreate, template: {spec: {containers: {a: 1}}}}\n',
          '---\napiVersion: apps/v1\nkind: DaemonSet\nmetadata: {name: c, namespace: apps}\nspec: {updateStrategy: [1, 2], template: {spec: {containers: [a, 1, null]}}}\n',
          '---\napiVersion: apps/v1\nkind: DaemonSet\nmetadata: {name: d, namespace: apps}\nspec: {updateStrategy: {rollingUpdate: {maxUnavailable: "abc"}}, template: {spec: {containers: [{name: x, readinessProbe: {exec: {}}}]}}}\n',
          '---\napiVersion: policy/v1\nkind: PodDisruptionBudget\nmetadata: {name: p, namespace: apps}\nspec: [1]\n',
        ].join(''),
      },
    },
  ],
  invalid: [
    {
      name: 'DaemonSet maxUnavailable 100% in the canary only: low',
      config: FLEET,
      files: { [CANARY]: ds100 },
      findings: [at('low', 'daemonset-max-unavailable', ds100, 'maxUnavailable', ['maxUnavailable "100%"', "every node of the cluster's pod down"])],
    },
    {
      name: 'DaemonSet maxUnavailable 100% in a shared file reaching the whole fleet: medium, one finding',
      config: SHARED,
      files: { 'infrastructure/agent.yaml': ds100 },
      findings: [at('medium', 'daemonset-max-unavailable', ds100, 'maxUnavailable', ["it reaches 8,060 of the fleet's 8,060 nodes"])],
    },
    {
      name: 'DaemonSet maxUnavailable 100% in prod-us alone (4,800 of 8,060 nodes): medium',
      config: FLEET,
      files: { [PROD_US]: ds100 },
      findings: [at('medium', 'daemonset-max-unavailable', ds100, 'maxUnavailable', ["4,800 of the fleet's 8,060 nodes"])],
    },
    {
      name: 'DaemonSet maxUnavailable 100% in prod-eu alone (3,200 of 8,060 nodes): low',
      config: FLEET,
      files: { [PROD_EU]: ds100 },
      findings: [at('low', 'daemonset-max-unavailable', ds100, 'maxUnavailable')],
    },
    {
      name: 'DaemonSet maxUnavailable count equal to the canary node count',
      config: FLEET,
      files: { [CANARY]: dsPace('60') },
      findings: [at('low', 'daemonset-max-unavailable', dsPace('60'), 'maxUnavailable', ['maxUnavailable "60"'])],
    },
    {
      name: 'the PR widens the DaemonSet pace to 100%',
      config: FLEET,
      base: { [CANARY]: ds() },
      files: { [CANARY]: ds100 },
      findings: [at('low', 'daemonset-max-unavailable', ds100, 'maxUnavailable')],
    },
    {
      name: 'calico-node at 100% is still a configuration finding (network-daemonset judges the pace of changes)',
      config: FLEET,
      files: { [CANARY]: dsPace('"100%"', { name: 'calico-node', namespace: 'kube-system' }) },
      findings: [at('low', 'daemonset-max-unavailable', ds100, 'maxUnavailable')],
    },
    {
      name: 'DaemonSet with OnDelete',
      config: FLEET,
      files: { [CANARY]: ds({ strategy: ON_DELETE }) },
      findings: [at('low', 'on-delete', ds({ strategy: ON_DELETE }), 'type: OnDelete', ['hides a change: nothing rolls until pods are deleted'])],
    },
    {
      name: 'StatefulSet with OnDelete in a shared file: medium',
      config: SHARED,
      files: { 'shared/db.yaml': workload({ kind: 'StatefulSet', strategy: ON_DELETE }) },
      findings: [at('medium', 'on-delete', workload({ kind: 'StatefulSet', strategy: ON_DELETE }), 'type: OnDelete')],
    },
    {
      name: 'Deployment Recreate with 3 replicas',
      config: FLEET,
      files: { [CANARY]: recreate3 },
      findings: [at('low', 'recreate', recreate3, 'type: Recreate', ['strategy Recreate of Deployment "apps/web" with 3 replicas'])],
    },
    {
      name: 'Deployment Recreate with an HPA of minReplicas 2',
      config: FLEET,
      files: { [CANARY]: workload({ strategy: RECREATE }) + HPA(2) + pdb() },
      findings: [at('low', 'recreate', workload({ strategy: RECREATE }), 'type: Recreate', ['at least 2 replicas (HorizontalPodAutoscaler minReplicas)'])],
    },
    {
      name: 'Deployment maxUnavailable 100% with 3 replicas',
      config: FLEET,
      files: { [CANARY]: workload({ replicas: 3, strategy: deployPace('"100%"') }) + pdb() },
      findings: [at('low', 'deployment-max-unavailable', workload({ replicas: 3, strategy: deployPace('"100%"') }), 'maxUnavailable', ['maxUnavailable "100%"'])],
    },
    {
      name: 'Deployment maxUnavailable 3 with 3 replicas',
      config: FLEET,
      files: { [CANARY]: workload({ replicas: 3, strategy: deployPace('3') }) + pdb() },
      findings: [at('low', 'deployment-max-unavailable', workload({ replicas: 3, strategy: deployPace('3') }), 'maxUnavailable')],
    },
    {
      name: 'new DaemonSet without any probe',
      config: FLEET,
      files: { [CANARY]: noProbeDs },
      findings: [at('low', 'no-readiness', noProbeDs, '- name: main', ['its container "main"'])],
    },
    {
      name: 'the PR removes the only readiness probe',
      config: FLEET,
      base: { [CANARY]: deploy3 },
      files: { [CANARY]: noProbe3 },
      findings: [at('low', 'no-readiness', noProbe3, '- name: main')],
    },
    {
      name: 'multi-replica Deployment without a PodDisruptionBudget',
      config: FLEET,
      files: { [CANARY]: deploy3NoPdb },
      findings: [at('low', 'no-pdb', deploy3NoPdb, 'replicas: 3', ['selects the pods of Deployment "apps/web", with 3 replicas'])],
    },
    {
      name: 'the PR deletes the PodDisruptionBudget',
      config: FLEET,
      base: { [CANARY]: deploy3 },
      files: { [CANARY]: deploy3NoPdb },
      findings: [at('low', 'no-pdb', deploy3NoPdb, 'replicas: 3')],
    },
    {
      name: 'the PR raises replicas from 1 to 3 without a PodDisruptionBudget',
      config: FLEET,
      base: { [CANARY]: workload({ replicas: 1 }) },
      files: { [CANARY]: deploy3NoPdb },
      findings: [at('low', 'no-pdb', deploy3NoPdb, 'replicas: 3')],
    },
    {
      name: 'the PR relabels the pods so the PodDisruptionBudget no longer selects them',
      config: FLEET,
      base: { [CANARY]: deploy3 },
      files: { [CANARY]: workload({ replicas: 3, labels: '{app: web-v2}' }) + pdb() },
      findings: [at('low', 'no-pdb', deploy3NoPdb, 'replicas: 3')],
    },
    {
      name: 'PodDisruptionBudgets that do not protect: other namespace, other labels, 100%, v1beta1 empty selector, other cluster',
      config: FLEET,
      files: {
        [CANARY]: deploy3NoPdb + pdb({ name: 'a', namespace: 'other' }) + pdb({ name: 'b', selector: '{matchLabels: {app: api}}' }) + pdb({ name: 'c', extra: 'maxUnavailable: "100%"' }) + pdb({ name: 'd', apiVersion: 'policy/v1beta1', selector: '{}' }),
        [PROD_US]: pdb(),
      },
      findings: [at('low', 'no-pdb', deploy3NoPdb, 'replicas: 3')],
    },
    {
      name: 'Deployment of 3 replicas with neither probe nor PodDisruptionBudget: two findings',
      config: FLEET,
      files: { [CANARY]: workload({ replicas: 3, probe: 'none' }) },
      findings: [at('low', 'no-readiness', noProbe3, '- name: main'), at('low', 'no-pdb', noProbe3, 'replicas: 3')],
    },
    {
      name: 'Recreate copied from the canary into each prod folder: each new copy by its own reach; the canary file, untouched, is not reported again',
      config: FLEET,
      base: { [CANARY]: recreate3 },
      files: { [CANARY]: recreate3, [PROD_US]: recreate3, [PROD_EU]: recreate3 },
      findings: [
        at('medium', 'recreate', recreate3, 'type: Recreate', ["4,800 of the fleet's 8,060 nodes"]),
        at('low', 'recreate', recreate3, 'type: Recreate'),
      ],
    },
  ],
});

describe('canary/workload-strategy details', () => {
  it('passes the clusters of each copy and the reach as data', () => {
    const result = runCase(workloadStrategy, { name: 'x', config: SHARED, files: { 'infrastructure/agent.yaml': ds100 } });
    expect(result.live).toHaveLength(1);
    expect(result.live[0].clusters).toEqual(['canary-1', 'prod-eu', 'prod-us']);
    expect(result.live[0].data).toMatchObject({ nodes: 8060, totalNodes: 8060 });
    expect(result.live[0].resource).toBe('DaemonSet/monitoring/node-agent');
  });

  it('keeps the finding suppressed with the ignore annotation', () => {
    const text = dsPace('"100%"', { annotations: { 'blast-radius.dev/ignore': 'canary/workload-strategy -- bootstrap cluster' } });
    const result = runCase(workloadStrategy, { name: 'x', config: FLEET, files: { [CANARY]: text } });
    expect(result.live).toEqual([]);
    expect(result.suppressed.map((f) => f.key)).toEqual(['daemonset-max-unavailable']);
  });

  it('is low without a fleet config (the implicit cluster is not part of the fleet)', () => {
    const result = runCase(workloadStrategy, { name: 'x', files: { 'agent.yaml': ds100 } });
    expect(result.live.map((f) => [f.severity, f.clusters])).toEqual([['low', ['unmapped']]]);
  });
});

const RBAC = NODE_AGENT_RBAC;

/** Adds `serviceAccountName: node-agent` to a DaemonSet fixture. */
const withSa = (text: string) => text.replace('    spec:\n      containers:', '    spec:\n      serviceAccountName: node-agent\n      containers:');

function runWith(base: Record<string, string>, head: Record<string, string>, rules: Rule[], config = FLEET) {
  return runRules(config, base, head, rules).filter((f) => f.ruleId === workloadStrategy.meta.id && !f.suppressed);
}

describe('canary/workload-strategy with a watch-all finding', () => {
  const both = [workloadStrategy, daemonsetClusterWatch];
  const fast = withSa(dsPace('"10%"'));

  it('is high for a DaemonSet above 5% that a watch-all rule flags', () => {
    const found = runWith({}, { [PROD_US]: fast + RBAC }, both);
    expect(found.map((f) => [f.severity, f.key, f.line])).toEqual([['high', 'daemonset-max-unavailable', lineContaining(fast, 'maxUnavailable')]]);
    expect(found[0].message).toContain('every step restarts up to 480 agents at once (cluster "prod-us", 4,800 nodes)');
  });

  it('is high for a count above 5% of the cluster (4 of 60 nodes), not for 1', () => {
    const four = withSa(dsPace('4'));
    expect(runWith({}, { [CANARY]: four + RBAC }, both).map((f) => f.severity)).toEqual(['high']);
    expect(runWith({}, { [CANARY]: withSa(ds()) + RBAC }, both)).toEqual([]);
  });

  it('is high for maxSurge above 5% with a watch-all finding only', () => {
    const surge = withSa(ds({ strategy: ['  updateStrategy:', '    rollingUpdate:', '      maxUnavailable: 0', '      maxSurge: "20%"'] }));
    expect(runWith({}, { [CANARY]: surge + RBAC }, both).map((f) => [f.severity, f.key, f.line])).toEqual([['high', 'daemonset-max-surge', lineContaining(surge, 'maxSurge')]]);
    expect(runWith({}, { [CANARY]: surge + RBAC }, [workloadStrategy])).toEqual([]);
  });

  it('stays quiet at 10% without the watch-all rule, and at 5% with it', () => {
    expect(runWith({}, { [PROD_US]: fast + RBAC }, [workloadStrategy])).toEqual([]);
    expect(runWith({}, { [PROD_US]: withSa(dsPace('"5%"')) + RBAC }, both)).toEqual([]);
  });

  it('is high only in the clusters where the watch-all finding holds', () => {
    // The ClusterRole reaches prod-us only: the canary copy has no cluster-wide reads.
    const found = runWith({}, { [CANARY]: fast, [PROD_US]: fast + RBAC }, both);
    expect(found.map((f) => [f.severity, f.clusters])).toEqual([['high', ['prod-us']]]);
  });

  it('is not new when the base already had it', () => {
    expect(runWith({ [PROD_US]: fast + RBAC }, { [PROD_US]: fast.replace('1.0.0', '1.1.0') + RBAC }, both)).toEqual([]);
  });
});

describe.skipIf(!HAS_CORPUS)('canary/workload-strategy on real manifests', () => {
  const wsOnly = (files: Record<string, string>, base: Record<string, string> = {}) =>
    runWith(base, files, [...RULES.filter((r) => r.meta.family === 'watch-all'), workloadStrategy], SHARED);

  it('kube-prometheus manifests: node-exporter has no readiness probe (low); PDB-covered adapter and single replicas quiet', () => {
    const dir = 'prometheus-operator+kube-prometheus/manifests/';
    const names = ['nodeExporter-daemonset.yaml', 'prometheusAdapter-deployment.yaml', 'prometheusAdapter-podDisruptionBudget.yaml', 'kubeStateMetrics-deployment.yaml', 'blackboxExporter-deployment.yaml', 'grafana-deployment.yaml', 'prometheusOperator-deployment.yaml'];
    const files = Object.fromEntries(names.map((n) => [`monitoring/${n}`, readCorpus(dir + n)]));
    const found = wsOnly(files);
    expect(found.map((f) => [f.severity, f.key, f.resource])).toEqual([['medium', 'no-readiness', 'DaemonSet/monitoring/node-exporter']]);
    // An annotation-only edit of the DaemonSet is quiet.
    const edited = { ...files, 'monitoring/nodeExporter-daemonset.yaml': annotate(files['monitoring/nodeExporter-daemonset.yaml'], 'DaemonSet') };
    expect(wsOnly(edited, files)).toEqual([]);
  });

  it('ingress-nginx cloud deploy: quiet (one controller replica with a readiness probe)', () => {
    expect(wsOnly({ 'ingress/deploy.yaml': readCorpus('kubernetes+ingress-nginx/deploy/static/provider/cloud/deploy.yaml') })).toEqual([]);
  });

  it('calico.yaml: quiet (calico-node at maxUnavailable 1 with probes); at 100% a finding; OnDelete quiet', () => {
    const calico = readCorpus('projectcalico+calico/manifests/calico.yaml');
    expect(wsOnly({ 'cni/calico.yaml': calico })).toEqual([]);
    const at100 = calico.replace(/(kind: DaemonSet[\s\S]*?maxUnavailable: )1/, '$1"100%"');
    expect(at100).not.toBe(calico);
    expect(wsOnly({ 'cni/calico.yaml': at100 }, { 'cni/calico.yaml': calico }).map((f) => [f.severity, f.key, f.resource])).toEqual([
      ['medium', 'daemonset-max-unavailable', 'DaemonSet/kube-system/calico-node'],
    ]);
    const onDelete = calico.replace(/(kind: DaemonSet[\s\S]*?updateStrategy:\n)    type: RollingUpdate\n    rollingUpdate:\n      maxUnavailable: 1\n/, '$1    type: OnDelete\n');
    expect(onDelete).not.toBe(calico);
    expect(wsOnly({ 'cni/calico.yaml': onDelete }, { 'cni/calico.yaml': calico })).toEqual([]);
  });
});
