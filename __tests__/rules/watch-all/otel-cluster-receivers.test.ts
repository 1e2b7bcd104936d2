/**
 * Table tests of watch-all/otel-cluster-receivers. Every dangerous case has a safe twin (the same receiver
 * in a single-replica Deployment, or scoped to the node). Severities follow the load model at the defaults:
 * - k8s_cluster without leader election (13 kinds, pods and nodes cluster-wide; 5,000 objects for each
 *   workload kind, 500 namespaces): 5,000 nodes → ratio ≈ 37 (critical); 100 nodes → ≈ 0.2 (low);
 * - with leader election: N / 3.2 Lease GETs/s against 2,000 requests/s: 5,000 nodes → 0.78 (medium);
 *   100 nodes → 0.016 (low); 10,000 nodes → 1.56 (high by the model, capped at medium: RULEBOOK
 *   SCALE-OTEL-5 is a WARN).
 */
import { describe, expect, it } from 'vitest';
import { durationMs, otelClusterReceivers } from '../../../rules/watch-all/otel-cluster-receivers.js';
import { lineContaining, ruleTester, runCase, type ExpectedFinding } from '../../helpers/rule-tester.js';
import { HAS_CORPUS } from '../../helpers/corpus.js';
import { annotatedExample, collectorExample, example, kubeStackExample, lineCount } from '../../helpers/otel-examples.js';

const RULE = 'watch-all/otel-cluster-receivers';
const FILE = 'infrastructure/monitoring/otel-agent.yaml';

const fleet = (...clusters: Array<[string, number]>) => ({ fleet: { clusters: clusters.map(([name, nodes]) => ({ name, nodes, paths: ['**'] })) } });
const BIG = fleet(['big', 5000]);
const SMALL = fleet(['staging', 100]);
const HUGE = fleet(['huge', 10000]);
const TRAP = fleet(['canary-1', 60], ['prod-us', 4800]);

/** A collector config with the given `receivers:` entries (indented by two) used by a metrics pipeline. */
function relay(receivers: string, pipeline: string, extensions = ''): string {
  return [
    'receivers:',
    '  otlp:',
    '    protocols: {grpc: {}}',
    receivers.trimEnd(),
    ...(extensions ? ['extensions:', extensions.trimEnd()] : []),
    'exporters:',
    '  debug: {}',
    'service:',
    ...(extensions ? [`  extensions: [${[...extensions.matchAll(/^ {2}(\S+):/gm)].map((m) => m[1]).join(', ')}]`] : []),
    '  pipelines:',
    '    metrics:',
    `      receivers: ${pipeline}`,
    '      exporters: [debug]',
    '',
  ].join('\n');
}

const indent = (text: string, by: string) =>
  text
    .trimEnd()
    .split('\n')
    .map((l) => (l ? by + l : l))
    .join('\n');

/** A DaemonSet (or another workload) mounting a ConfigMap whose `relay` key holds the collector config. */
function agent(config: string, kind = 'DaemonSet', annotations?: Record<string, string>): string {
  return [
    'apiVersion: apps/v1',
    `kind: ${kind}`,
    'metadata:',
    '  name: otel-agent',
    '  namespace: monitoring',
    ...(annotations ? ['  annotations:', ...Object.entries(annotations).map(([k, v]) => `    ${k}: ${JSON.stringify(v)}`)] : []),
    'spec:',
    ...(kind === 'Deployment' ? ['  replicas: 1'] : []),
    '  selector:',
    '    matchLabels: {app: otel-agent}',
    '  template:',
    '    metadata:',
    '      labels: {app: otel-agent}',
    '    spec:',
    '      containers:',
    '      - name: otelcol',
    '        image: otel/opentelemetry-collector-k8s:0.158.0',
    '        args: [--config=/conf/relay.yaml]',
    '        volumeMounts:',
    '        - {name: config, mountPath: /conf}',
    '      volumes:',
    '      - name: config',
    '        configMap: {name: otel-agent}',
    '---',
    'apiVersion: v1',
    'kind: ConfigMap',
    'metadata:',
    '  name: otel-agent',
    '  namespace: monitoring',
    'data:',
    '  relay: |',
    indent(config, '    '),
    '',
  ].join('\n');
}

function collectorCr(config: string, mode = 'daemonset'): string {
  return ['apiVersion: opentelemetry.io/v1beta1', 'kind: OpenTelemetryCollector', 'metadata:', '  name: agent', '  namespace: monitoring', 'spec:', `  mode: ${mode}`, '  config:', indent(config, '    '), ''].join('\n');
}

const file = (text: string) => ({ [FILE]: text });
const at = (severity: ExpectedFinding['severity'], text: string, needle: string, id: string, messageIncludes?: string[], holder = 'ConfigMap/otel-agent/data.relay'): ExpectedFinding => ({
  severity,
  key: `receivers.${id}@${holder}`,
  line: lineContaining(text, needle),
  ...(messageIncludes ? { messageIncludes } : {}),
});

// ---- receivers ------------------------------------------------------------------------------------

const ELECTOR = '  k8s_leader_elector/k8s_cluster:\n    auth_type: serviceAccount\n    lease_name: k8s.cluster.receiver.opentelemetry.io\n    lease_namespace: monitoring\n';
const CLUSTER = '  k8s_cluster:\n    collection_interval: 10s\n';
const CLUSTER_ELECTED = '  k8s_cluster:\n    collection_interval: 10s\n    k8s_leader_elector: k8s_leader_elector/k8s_cluster\n';
const EVENTS = '  k8s_events:\n    auth_type: serviceAccount\n';
const EVENTS_NAMESPACES = '  k8s_events:\n    namespaces: [shop, payments]\n';
const OBJECTS_WATCH_EVENTS = '  k8sobjects:\n    objects:\n    - {name: events, group: events.k8s.io, mode: watch}\n';
const OBJECTS_PULL_NAMESPACES = '  k8s_objects/inventory:\n    objects:\n    - {name: namespaces, mode: pull, interval: 15m}\n';
const OBJECTS_NODE_PODS = '  k8sobjects:\n    objects:\n    - {name: pods, mode: watch, field_selector: "spec.nodeName=${env:K8S_NODE_NAME}"}\n    - {name: nodes, mode: pull, interval: 5m, field_selector: "metadata.name=${env:K8S_NODE_NAME}"}\n';
const OBJECTS_MIXED = '  k8sobjects:\n    objects:\n    - {name: pods, mode: watch, field_selector: "spec.nodeName=${env:K8S_NODE_NAME}"}\n    - {name: services, mode: pull}\n';

const cluster = agent(relay(CLUSTER, '[otlp, k8s_cluster]'));
const clusterElected = agent(relay(CLUSTER_ELECTED, '[otlp, k8s_cluster]', ELECTOR));
const clusterDeployment = agent(relay(CLUSTER, '[otlp, k8s_cluster]'), 'Deployment');
const clusterUnused = agent(relay(CLUSTER, '[otlp]'));
const clusterElectorUnreferenced = agent(relay(CLUSTER, '[otlp, k8s_cluster]', ELECTOR));
const events = agent(relay(EVENTS, '[otlp, k8s_events]'));
const eventsNamespaces = agent(relay(EVENTS_NAMESPACES, '[otlp, k8s_events]'));
const objectsWatchEvents = agent(relay(OBJECTS_WATCH_EVENTS, '[otlp, k8sobjects]'));
const objectsPullNamespaces = agent(relay(OBJECTS_PULL_NAMESPACES, '[otlp, k8s_objects/inventory]'));
const objectsNodePods = agent(relay(OBJECTS_NODE_PODS, '[otlp, k8sobjects]'));
const objectsMixed = agent(relay(OBJECTS_MIXED, '[otlp, k8sobjects]'));
const crCluster = collectorCr(relay(CLUSTER, '[otlp, k8s_cluster]'));
const crClusterElected = collectorCr(relay(CLUSTER_ELECTED, '[otlp, k8s_cluster]', ELECTOR));
const crDeployment = collectorCr(relay(CLUSTER, '[otlp, k8s_cluster]'), 'deployment');
const annotatedOnly = agent(relay(CLUSTER, '[otlp, k8s_cluster]'), 'DaemonSet', { 'example.com/owner': 'observability' });
const ignored = agent(relay(CLUSTER, '[otlp, k8s_cluster]'), 'DaemonSet', { 'blast-radius.dev/ignore': `${RULE} -- a two-node edge cluster` });
const CR = 'OpenTelemetryCollector/agent/spec.config';

const oddInput = [
  agent('receivers: [1]\nservice: {pipelines: 3}\n'),
  agent('receivers:\n  k8s_cluster: 3\n  k8sobjects: {objects: [null, 7, {name: [pods]}, {name: pods, interval: 1y}]}\n  k8s_events: {namespaces: shop}\nservice:\n  pipelines: {m: {receivers: [k8s_cluster, k8sobjects, k8s_events, {a: 1}]}}\n').replace(/otel-agent/g, 'odd-1'),
  'apiVersion: opentelemetry.io/v1beta1\nkind: OpenTelemetryCollector\nmetadata: {name: odd}\nspec: {mode: daemonset, config: "receivers: ["}\n',
].join('---\n');

ruleTester(otelClusterReceivers).run({
  valid: [
    { name: 'k8s_cluster in a single-replica Deployment (twin of the DaemonSet cases)', files: file(clusterDeployment), config: BIG },
    { name: 'OpenTelemetryCollector in deployment mode', files: file(crDeployment), config: BIG },
    { name: 'a receiver no pipeline uses is never built', files: file(clusterUnused), config: BIG },
    { name: 'k8sobjects reading only its own node (field selectors on spec.nodeName and metadata.name)', files: file(objectsNodePods), config: BIG },
    { name: 'already on the base, reaching the same clusters', base: file(cluster), files: file(cluster), config: TRAP },
    { name: 'already on the base; the PR only adds an unrelated annotation', base: file(cluster), files: file(annotatedOnly), config: TRAP },
    // Same key, lower severity: adding leader election to an existing receiver is not a new finding.
    { name: 'the PR adds leader election to a receiver the base ran on every node', base: file(cluster), files: file(clusterElected), config: BIG },
    { name: 'rule turned off in the config', files: file(cluster), config: { ...BIG, rules: { [RULE]: 'off' } } },
    { name: 'ignore annotation on the DaemonSet suppresses the finding', files: file(ignored), config: BIG, suppressed: [at('critical', ignored, '  k8s_cluster:', 'k8s_cluster')] },
  ],
  invalid: [
    {
      name: 'k8s_cluster without leader election on 5,000 nodes: critical, at the receiver line inside the ConfigMap',
      files: file(cluster),
      config: BIG,
      findings: [
        at('critical', cluster, '  k8s_cluster:', 'k8s_cluster', [
          'per-node agent DaemonSet "monitoring/otel-agent", config ConfigMap "otel-agent" key "relay": receiver "k8s_cluster" has no k8s_leader_elector, so every replica on every node reads pods, nodes, namespaces, services',
          'big (5,000 nodes): relist 7.7 TiB, 37× capacity — overload',
        ]),
      ],
    },
    {
      name: 'k8s_cluster without leader election on 100 nodes: low',
      files: file(cluster),
      config: SMALL,
      findings: [at('low', cluster, '  k8s_cluster:', 'k8s_cluster', ['staging (100 nodes): relist 40.9 GiB, 0.2× capacity — passes'])],
    },
    {
      name: 'staging trap: the 60-node canary passes, the 4,800-node production overloads',
      files: file(cluster),
      config: TRAP,
      findings: [at('critical', cluster, '  k8s_cluster:', 'k8s_cluster', ['canary-1 (60 nodes): relist 24.0 GiB, 0.11× capacity — passes; prod-us (4,800 nodes): 7.1 TiB, 35× — overload'])],
    },
    {
      name: 'a leader elector in service.extensions that the receiver does not reference elects nothing for it',
      files: file(clusterElectorUnreferenced),
      config: BIG,
      findings: [at('critical', clusterElectorUnreferenced, '  k8s_cluster:', 'k8s_cluster')],
    },
    {
      name: 'k8s_cluster with leader election on 5,000 nodes: medium (N / 3.2 Lease GETs/s)',
      files: file(clusterElected),
      config: BIG,
      findings: [
        at('medium', clusterElected, '  k8s_cluster:', 'k8s_cluster', [
          'receiver "k8s_cluster" elects a leader (k8s_leader_elector "k8s_leader_elector/k8s_cluster"): only the leader reads pods, nodes',
          'every replica on every node polls the election\'s Lease',
          'big (5,000 nodes): relist 39.1 MiB, 1,563 req/s, 0.78× capacity — strains',
        ]),
      ],
    },
    {
      name: 'k8s_cluster with leader election on 10,000 nodes: the model says high, the rule caps it at medium',
      files: file(clusterElected),
      config: HUGE,
      findings: [at('medium', clusterElected, '  k8s_cluster:', 'k8s_cluster', ['huge (10,000 nodes): relist 78.1 MiB, 3,125 req/s, 1.6× capacity — overload'])],
    },
    {
      name: 'k8s_cluster with leader election on 100 nodes: low',
      files: file(clusterElected),
      config: SMALL,
      findings: [at('low', clusterElected, '  k8s_cluster:', 'k8s_cluster')],
    },
    {
      name: 'k8s_events on every node: critical',
      files: file(events),
      config: BIG,
      findings: [at('critical', events, '  k8s_events:', 'k8s_events', ['every replica on every node reads events cluster-wide'])],
    },
    {
      name: 'k8s_events limited to namespaces is still not bounded to the node',
      files: file(eventsNamespaces),
      config: BIG,
      findings: [at('critical', eventsNamespaces, '  k8s_events:', 'k8s_events', ['reads events of namespaces "shop" and "payments" cluster-wide'])],
    },
    {
      name: 'k8sobjects watching events on every node: critical',
      files: file(objectsWatchEvents),
      config: BIG,
      findings: [at('critical', objectsWatchEvents, '  k8sobjects:', 'k8sobjects', ['reads events (watch) cluster-wide'])],
    },
    {
      name: 'k8s_objects/<name> pulling namespaces every 15 minutes: low on 5,000 nodes, with the pull rate',
      files: file(objectsPullNamespaces),
      config: BIG,
      findings: [at('low', objectsPullNamespaces, '  k8s_objects/inventory:', 'k8s_objects/inventory', ['namespaces (pull)', 'big (5,000 nodes): relist 19.1 GiB, 6 req/s, 0.09× capacity — passes'])],
    },
    {
      name: 'k8sobjects with own-node pods but cluster-wide services',
      files: file(objectsMixed),
      config: BIG,
      findings: [at('medium', objectsMixed, '  k8sobjects:', 'k8sobjects', ['reads services (pull) cluster-wide (and pods (watch) of its own node only)'])],
    },
    {
      name: 'OpenTelemetryCollector CR in daemonset mode without leader election',
      files: file(crCluster),
      config: BIG,
      findings: [at('critical', crCluster, '  k8s_cluster:', 'k8s_cluster', ['per-node agent OpenTelemetryCollector "monitoring/agent", config "spec.config": receiver "k8s_cluster"'], CR)],
    },
    {
      name: 'OpenTelemetryCollector CR in daemonset mode with leader election',
      files: file(crClusterElected),
      config: BIG,
      findings: [at('medium', crClusterElected, '  k8s_cluster:', 'k8s_cluster', [], CR)],
    },
  ],
});

describe('odd input', () => {
  it('never throws', () => {
    const { notes } = runCase(otelClusterReceivers, { name: 'odd', files: { 'odd.yaml': oddInput }, config: BIG });
    expect(notes).toEqual([]);
  });
  it('reads Go durations', () => {
    expect([durationMs('1h'), durationMs('15m'), durationMs('1m30s'), durationMs('500ms'), durationMs('1y'), durationMs('')]).toEqual([3_600_000, 900_000, 90_000, 500, undefined, undefined]);
  });
});

describe('findings carry the model figures', () => {
  it('leader election: one Lease read each and the election term', () => {
    const { live } = runCase(otelClusterReceivers, { name: 'data', files: file(clusterElected), config: BIG });
    expect(live).toHaveLength(1);
    expect(live[0]).toMatchObject({ resource: 'DaemonSet/monitoring/otel-agent', file: FILE });
    expect(live[0].data).toMatchObject({ reads: [{ resource: 'leases', scope: 'node' }], leaderElection: true });
  });
  it('k8sobjects pulls count as polling', () => {
    const { live } = runCase(otelClusterReceivers, { name: 'data', files: file(objectsPullNamespaces), config: BIG });
    expect(live[0].data).toMatchObject({ reads: [{ resource: 'namespaces', scope: 'cluster' }], poll: { intervalMs: 900_000, kinds: 1 } });
  });
});

// ---- real-world manifests -------------------------------------------------------------------------



if (HAS_CORPUS) {
  const annotated = annotatedExample;
  const lines = lineCount;

  const clusterMetrics = example(collectorExample('daemonset-cluster-metrics'));
  const kubernetesObjects = example(collectorExample('daemonset-kubernetes-objects'));
  const deploymentClusterMetrics = example(collectorExample('deployment-cluster-metrics'));
  const daemonsetAndDeployment = example(collectorExample('daemonset-and-deployment'));
  const daemonsetOnly = example(collectorExample('daemonset-only'));
  const stackDefault = example(kubeStackExample('default'));
  const stackNoLeader = example(kubeStackExample('no-leader-election-extension'));
  const stackObjects = example(kubeStackExample('daemonset-kubernetes-objects'));

  describe('real-world manifests: the annotation-only PRs really change the workloads', () => {
    it('annotates the one per-node collector of each example', () => {
      for (const files of [clusterMetrics, kubernetesObjects, stackDefault, stackObjects]) expect(lines(annotated(files))).toBe(lines(files) + 2);
    });
  });

  // Expected from RULEBOOK A.2 / A.3 and the load model before the rule ever ran on these files (no config:
  // everything reaches `unmapped`, 5,000 nodes assumed). Leader election: 5,000 / 3.2 = 1,563 Lease GETs/s,
  // ratio 0.78 → medium (SCALE-OTEL-5, WARN), relist of one Lease each = 39.1 MiB:
  // - opentelemetry-collector daemonset-cluster-metrics: preset clusterMetrics in daemonset mode (chart
  //   ≥ 0.141.1 wires k8s_leader_elector/k8s_cluster) → medium at `k8s_cluster:` in the agent ConfigMap's
  //   `relay` (configmap-agent.yaml line 42);
  // - daemonset-kubernetes-objects: preset kubernetesObjects, k8sobjects with k8s_leader_elector/k8s_objects
  //   → medium at `k8sobjects:` (configmap-agent.yaml line 42);
  // - deployment-cluster-metrics (a Deployment), daemonset-and-deployment, daemonset-only (no cluster
  //   receivers in the agent) → quiet;
  // - opentelemetry-kube-stack default: the daemonset CR "example-daemon" runs k8s_cluster (line 183) and
  //   k8s_objects watching events.k8s.io events (line 196), each with its own leader elector → two mediums;
  // - kube-stack no-leader-election-extension: k8s_cluster and k8s_objects without leader election, but in
  //   the Deployment "example-cluster-stats"; the daemonset CR has none → quiet;
  // - kube-stack daemonset-kubernetes-objects: k8s_objects with leader election → medium (line 99).
  const ELECTED = ['every replica on every node polls the election\'s Lease', 'unmapped (5,000 nodes, assumed): relist 39.1 MiB, 1,563 req/s, 0.78× capacity — strains'];
  const configMapFinding = (id: string, line: number): ExpectedFinding => ({
    severity: 'medium',
    key: `receivers.${id}@ConfigMap/example-opentelemetry-collector-agent/data.relay`,
    line,
    messageIncludes: ['DaemonSet "default/example-opentelemetry-collector-agent", config ConfigMap "example-opentelemetry-collector-agent" key "relay"', ...ELECTED],
  });
  const crFinding = (id: string, line: number): ExpectedFinding => ({
    severity: 'medium',
    key: `receivers.${id}@OpenTelemetryCollector/example-daemon/spec.config`,
    line,
    messageIncludes: ['OpenTelemetryCollector "default/example-daemon"', ...ELECTED],
  });

  ruleTester(otelClusterReceivers).run({
    valid: [
      { name: 'collector deployment-cluster-metrics: a Deployment', files: deploymentClusterMetrics },
      { name: 'collector daemonset-and-deployment: no cluster receivers in the agent', files: daemonsetAndDeployment },
      { name: 'collector daemonset-only: no cluster receivers', files: daemonsetOnly },
      { name: 'kube-stack no-leader-election-extension: the cluster receivers are in a Deployment', files: stackNoLeader },
      { name: 'collector daemonset-cluster-metrics: only an annotation added to the DaemonSet', base: clusterMetrics, files: annotated(clusterMetrics) },
      { name: 'collector daemonset-kubernetes-objects: only an annotation added to the DaemonSet', base: kubernetesObjects, files: annotated(kubernetesObjects) },
      { name: 'kube-stack default: only an annotation added to the collector', base: stackDefault, files: annotated(stackDefault) },
      { name: 'kube-stack daemonset-kubernetes-objects: only an annotation added to the collector', base: stackObjects, files: annotated(stackObjects) },
    ],
    invalid: [
      { name: 'collector daemonset-cluster-metrics', files: clusterMetrics, findings: [configMapFinding('k8s_cluster', 42)] },
      { name: 'collector daemonset-kubernetes-objects', files: kubernetesObjects, findings: [configMapFinding('k8sobjects', 42)] },
      { name: 'kube-stack default collector.yaml', files: stackDefault, findings: [crFinding('k8s_cluster', 183), crFinding('k8s_objects', 196)] },
      { name: 'kube-stack daemonset-kubernetes-objects collector.yaml', files: stackObjects, findings: [crFinding('k8s_objects', 99)] },
    ],
  });
} else {
  describe.skip('real-world manifests (../shared/corpus is absent)', () => {
    it('skipped', () => {});
  });
}
