/**
 * Table tests of watch-all/otel-k8sattributes. Every dangerous case has a safe twin (the same collector,
 * node-scoped). Severities follow the load model at the defaults (30 pods per node, 8 KiB objects, 5,000
 * ReplicaSets, 500 namespaces, three API servers at 1.25 GB/s, a 60 s window):
 * - no node filter, default metadata (pods + ReplicaSets cluster-wide): 5,000 nodes → ratio ≈ 28 (critical);
 *   100 nodes → ≈ 0.029 (low);
 * - node filter, ReplicaSets cluster-wide: 5,000 nodes → ≈ 0.92 (medium); 10,000 nodes → ≈ 1.8 (high by the
 *   model, capped at medium: RULEBOOK SCALE-OTEL-2 is a WARN).
 */
import { describe, expect, it } from 'vitest';
import { otelK8sattributes } from '../../../rules/watch-all/otel-k8sattributes.js';
import { lineContaining, ruleTester, runCase, type ExpectedFinding } from '../../helpers/rule-tester.js';
import { HAS_CORPUS } from '../../helpers/corpus.js';
import { annotatedExample, collectorExample, example, kubeStackExample, lineCount } from '../../helpers/otel-examples.js';

const RULE = 'watch-all/otel-k8sattributes';
const FILE = 'infrastructure/monitoring/otel-agent.yaml';

const fleet = (...clusters: Array<[string, number]>) => ({ fleet: { clusters: clusters.map(([name, nodes]) => ({ name, nodes, paths: ['**'] })) } });
const BIG = fleet(['big', 5000]);
const SMALL = fleet(['staging', 100]);
const HUGE = fleet(['huge', 10000]);
const TRAP = fleet(['canary-1', 60], ['prod-us', 4800]);

/** A collector config with the given `processors:` entries (indented by two), the processor used in a pipeline. */
function relay(processors: string, pipeline = '[k8sattributes, batch]', service = true): string {
  return [
    'receivers:',
    '  otlp:',
    '    protocols: {grpc: {}}',
    'processors:',
    '  batch: {}',
    processors.trimEnd(),
    'exporters:',
    '  debug: {}',
    ...(service ? ['service:', '  pipelines:', '    traces:', '      receivers: [otlp]', `      processors: ${pipeline}`, '      exporters: [debug]'] : []),
    '',
  ].join('\n');
}

const indent = (text: string, by: string) =>
  text
    .trimEnd()
    .split('\n')
    .map((l) => (l ? by + l : l))
    .join('\n');

interface AgentSpec {
  kind?: string;
  /** Env var set from spec.nodeName (null: none). */
  nodeEnv?: string | null;
  annotations?: Record<string, string>;
}

/** A DaemonSet (or another workload) mounting a ConfigMap whose `relay` key holds the collector config. */
function agent(config: string, a: AgentSpec = {}): string {
  const env = a.nodeEnv === null ? [] : ['        env:', `        - name: ${a.nodeEnv ?? 'K8S_NODE_NAME'}`, '          valueFrom:', '            fieldRef: {fieldPath: spec.nodeName}'];
  return [
    'apiVersion: apps/v1',
    `kind: ${a.kind ?? 'DaemonSet'}`,
    'metadata:',
    '  name: otel-agent',
    '  namespace: monitoring',
    ...(a.annotations ? ['  annotations:', ...Object.entries(a.annotations).map(([k, v]) => `    ${k}: ${JSON.stringify(v)}`)] : []),
    'spec:',
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
    ...env,
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

/** An OpenTelemetryCollector CR; `config` as a mapping (v1beta1) or, with `asString`, a `|` block. */
function collectorCr(config: string, mode = 'daemonset', asString = false, nodeEnv: string | null = 'K8S_NODE_NAME'): string {
  return [
    'apiVersion: opentelemetry.io/v1beta1',
    'kind: OpenTelemetryCollector',
    'metadata:',
    '  name: agent',
    '  namespace: monitoring',
    'spec:',
    `  mode: ${mode}`,
    ...(nodeEnv ? ['  env:', `  - name: ${nodeEnv}`, '    valueFrom:', '      fieldRef: {fieldPath: spec.nodeName}'] : []),
    asString ? '  config: |' : '  config:',
    indent(config, '    '),
    '',
  ].join('\n');
}

const file = (text: string) => ({ [FILE]: text });
const at = (severity: ExpectedFinding['severity'], text: string, needle: string, messageIncludes?: string[], key = 'processors.k8sattributes@ConfigMap/otel-agent/data.relay'): ExpectedFinding => ({
  severity,
  key,
  line: lineContaining(text, needle),
  ...(messageIncludes ? { messageIncludes } : {}),
});

// ---- processors -----------------------------------------------------------------------------------

const UNFILTERED = '  k8sattributes:\n    passthrough: false\n';
const NODE_FILTER_FULL = '  k8sattributes:\n    filter:\n      node_from_env_var: K8S_NODE_NAME\n    extract:\n      deployment_name_from_replicaset: true\n';
const NODE_FILTER_RS = '  k8sattributes:\n    filter:\n      node_from_env_var: K8S_NODE_NAME\n    extract:\n      metadata: [k8s.namespace.name, k8s.pod.name, k8s.deployment.name]\n';
const NODE_FILTER_DEFAULTS = '  k8sattributes:\n    filter:\n      node_from_env_var: K8S_NODE_NAME\n';
const NODE_FILTER_NO_DEPLOYMENT = '  k8sattributes:\n    filter:\n      node_from_env_var: K8S_NODE_NAME\n    extract:\n      metadata: [k8s.namespace.name, k8s.pod.name, k8s.pod.uid, k8s.node.name]\n';
const STATIC_NODE = '  k8sattributes:\n    filter:\n      node: ip-10-0-0-1.ec2.internal\n    extract:\n      deployment_name_from_replicaset: true\n';
const FIELDS_NODE = '  k8sattributes:\n    filter:\n      fields:\n      - {key: spec.nodeName, value: "${env:K8S_NODE_NAME}"}\n    extract:\n      metadata: [k8s.pod.name, k8s.pod.uid]\n';
const FIELDS_NOT_EQUALS = '  k8sattributes:\n    filter:\n      fields:\n      - {key: spec.nodeName, value: "${env:K8S_NODE_NAME}", op: not-equals}\n    extract:\n      metadata: [k8s.pod.name, k8s.pod.uid]\n';
const NAMESPACE_ONLY = '  k8sattributes:\n    filter:\n      namespace: shop\n    extract:\n      metadata: [k8s.pod.name, k8s.pod.uid]\n';
const DEPLOYMENT_UID = '  k8sattributes:\n    filter:\n      node_from_env_var: K8S_NODE_NAME\n    extract:\n      deployment_name_from_replicaset: true\n      metadata: [k8s.pod.name, k8s.deployment.name, k8s.deployment.uid]\n';
const FROM_NAMESPACE = '  k8sattributes:\n    filter:\n      node_from_env_var: K8S_NODE_NAME\n    extract:\n      metadata: [k8s.pod.name]\n      labels:\n      - {tag_name: team, key: team, from: namespace}\n';
const PASSTHROUGH = '  k8sattributes:\n    passthrough: true\n';
const NULL_VALUE = '  k8sattributes:\n';

const unfiltered = agent(relay(UNFILTERED));
const nodeFiltered = agent(relay(NODE_FILTER_FULL));
const nodeFilteredRs = agent(relay(NODE_FILTER_RS));
const nodeFilteredDefaults = agent(relay(NODE_FILTER_DEFAULTS));
const nodeFilteredNoDeployment = agent(relay(NODE_FILTER_NO_DEPLOYMENT));
const envMissing = agent(relay(NODE_FILTER_FULL), { nodeEnv: null });
const envOtherName = agent(relay(NODE_FILTER_FULL), { nodeEnv: 'MY_NODE' });
const staticNode = agent(relay(STATIC_NODE), { nodeEnv: null });
const fieldsNode = agent(relay(FIELDS_NODE));
const fieldsNotEquals = agent(relay(FIELDS_NOT_EQUALS));
const namespaceOnly = agent(relay(NAMESPACE_ONLY));
const deploymentUid = agent(relay(DEPLOYMENT_UID));
const fromNamespace = agent(relay(FROM_NAMESPACE));
const passthrough = agent(relay(PASSTHROUGH));
const nullValue = agent(relay(NULL_VALUE));
const unused = agent(relay(UNFILTERED, '[batch]'));
const fragment = agent(relay(UNFILTERED, '', false));
const newName = agent(relay(UNFILTERED.replace('k8sattributes:', 'k8s_attributes/agent:'), '[k8s_attributes/agent]'));
const newNameFiltered = agent(relay(NODE_FILTER_FULL.replace('k8sattributes:', 'k8s_attributes/agent:'), '[k8s_attributes/agent]'));
const deployment = agent(relay(UNFILTERED), { kind: 'Deployment' });
const ignored = agent(relay(UNFILTERED), { annotations: { 'blast-radius.dev/ignore': `${RULE} -- this DaemonSet runs on the three ingress nodes only` } });
const annotatedOnly = agent(relay(UNFILTERED), { annotations: { 'example.com/owner': 'observability' } });

const crUnfiltered = collectorCr(relay(UNFILTERED.replace('k8sattributes:', 'k8s_attributes:'), '[k8s_attributes, batch]'));
const crFiltered = collectorCr(relay(NODE_FILTER_FULL.replace('k8sattributes:', 'k8s_attributes:'), '[k8s_attributes, batch]'));
const crStringRs = collectorCr(relay(NODE_FILTER_RS), 'daemonset', true);
const crStringFull = collectorCr(relay(NODE_FILTER_FULL), 'daemonset', true);
const crNoEnv = collectorCr(relay(NODE_FILTER_FULL), 'daemonset', true, null);
const crDeployment = collectorCr(relay(UNFILTERED), 'deployment');
const CR_KEY = 'processors.k8s_attributes@OpenTelemetryCollector/agent/spec.config';
const CR_STRING_KEY = 'processors.k8sattributes@OpenTelemetryCollector/agent/spec.config';

const oddInput = [
  agent('processors: [1, 2]\nservice: 7\n'),
  agent('processors:\n  k8sattributes: [a]\n  k8s_attributes: 3\nservice:\n  pipelines: {traces: {processors: [k8s_attributes, {x: 1}]}}\n').replace(/otel-agent/g, 'odd-1'),
  agent('processors:\n  k8sattributes:\n    filter: {fields: [null, 3, {key: spec.nodeName, op: [x]}], node_from_env_var: [1]}\n    extract: {metadata: k8s.deployment.name, labels: [null, {from: 7}]}\n').replace(/otel-agent/g, 'odd-2'),
  agent('{{ .Values.config }}\n').replace(/otel-agent/g, 'odd-3'),
  'apiVersion: opentelemetry.io/v1beta1\nkind: OpenTelemetryCollector\nmetadata: {name: odd}\nspec: {mode: daemonset, config: 12, env: {a: 1}}\n',
].join('---\n');

ruleTester(otelK8sattributes).run({
  valid: [
    { name: 'node filter and deployment_name_from_replicaset (twin of the unfiltered cases)', files: file(nodeFiltered), config: BIG },
    { name: 'node filter without deployment extraction', files: file(nodeFilteredNoDeployment), config: BIG },
    { name: 'filter.node with a static node name', files: file(staticNode), config: BIG },
    { name: 'filter.fields entry on spec.nodeName', files: file(fieldsNode), config: BIG },
    { name: 'node filter set from an env var of another name that the DaemonSet sets', files: file(agent(relay(NODE_FILTER_FULL.replace('K8S_NODE_NAME', 'MY_NODE')), { nodeEnv: 'MY_NODE' })), config: BIG },
    { name: 'new component name k8s_attributes/<name>, node-filtered', files: file(newNameFiltered), config: BIG },
    { name: 'passthrough: true makes no API calls', files: file(passthrough), config: BIG },
    { name: 'a processor no pipeline uses is never built', files: file(unused), config: BIG },
    { name: 'Deployment (a gateway) is not per-node', files: file(deployment), config: BIG },
    { name: 'OpenTelemetryCollector in deployment mode', files: file(crDeployment), config: BIG },
    { name: 'OpenTelemetryCollector in daemonset mode, node-filtered (mapping config)', files: file(crFiltered), config: BIG },
    { name: 'OpenTelemetryCollector in daemonset mode, node-filtered (string config)', files: file(crStringFull), config: BIG },
    { name: 'already on the base, reaching the same clusters', base: file(unfiltered), files: file(unfiltered), config: TRAP },
    { name: 'already on the base; the PR only adds an unrelated annotation', base: file(unfiltered), files: file(annotatedOnly), config: TRAP },
    // Same key, lower severity, same clusters: adding the node filter is not a new finding even though
    // the ReplicaSet watch remains.
    { name: 'the PR adds the node filter but keeps the ReplicaSet watch', base: file(unfiltered), files: file(nodeFilteredDefaults), config: BIG },
    { name: 'rule turned off in the config', files: file(unfiltered), config: { ...BIG, rules: { [RULE]: 'off' } } },
    { name: 'ignore annotation on the DaemonSet suppresses the finding', files: file(ignored), config: BIG, suppressed: [at('critical', ignored, '  k8sattributes:')] },
  ],
  invalid: [
    {
      name: 'no node filter on 5,000 nodes: critical, at the processor line inside the ConfigMap',
      files: file(unfiltered),
      config: BIG,
      findings: [
        at('critical', unfiltered, '  k8sattributes:', [
          'per-node agent DaemonSet "monitoring/otel-agent", config ConfigMap "otel-agent" key "relay": processor "k8sattributes" lists and watches pods cluster-wide on every node: no filter.node_from_env_var, filter.node or filter.fields entry on spec.nodeName',
          'it also watches replicasets (the default extract.metadata (with "k8s.deployment.name") without extract.deployment_name_from_replicaset: true) cluster-wide',
          'big (5,000 nodes): relist 5.8 TiB, 28× capacity — overload',
        ]),
      ],
    },
    {
      name: 'no node filter on 100 nodes: low',
      files: file(unfiltered),
      config: SMALL,
      findings: [at('low', unfiltered, '  k8sattributes:', ['staging (100 nodes): relist 6.1 GiB, 0.03× capacity — passes'])],
    },
    {
      name: 'staging trap: the 60-node canary passes, the 4,800-node production overloads',
      files: file(unfiltered),
      config: TRAP,
      findings: [at('critical', unfiltered, '  k8sattributes:', ['canary-1 (60 nodes): relist 3.1 GiB, 0.01× capacity — passes; prod-us (4,800 nodes): 5.3 TiB, 26× — overload'])],
    },
    {
      name: 'no config: the file reaches unmapped, 5,000 nodes assumed',
      files: file(unfiltered),
      findings: [at('critical', unfiltered, '  k8sattributes:', ['unmapped (5,000 nodes, assumed)'])],
    },
    {
      name: 'a processor with no value is the default config (no filter)',
      files: file(nullValue),
      config: BIG,
      findings: [at('critical', nullValue, '  k8sattributes:')],
    },
    {
      name: 'node_from_env_var names a variable the DaemonSet never sets (SCALE-OTEL-1b): cluster-wide, at the filter',
      files: file(envMissing),
      config: BIG,
      findings: [at('critical', envMissing, 'node_from_env_var:', ['filter.node_from_env_var "K8S_NODE_NAME" names an env var the DaemonSet never sets', 'Set that env var'.slice(0, 0)])],
    },
    {
      name: 'node_from_env_var names K8S_NODE_NAME, the DaemonSet sets MY_NODE',
      files: file(envOtherName),
      config: BIG,
      findings: [at('critical', envOtherName, 'node_from_env_var:')],
    },
    {
      name: 'filter.fields on spec.nodeName with op not-equals is no node filter',
      files: file(fieldsNotEquals),
      config: BIG,
      findings: [at('critical', fieldsNotEquals, '  k8sattributes:')],
    },
    {
      name: 'filter.namespace alone does not bound pods to the node',
      files: file(namespaceOnly),
      config: BIG,
      findings: [at('critical', namespaceOnly, '  k8sattributes:', ['filter.namespace "shop" narrows them to a namespace, not to the node'])],
    },
    {
      name: 'config without service.pipelines (a fragment): the processor counts as used',
      files: file(fragment),
      config: BIG,
      findings: [at('critical', fragment, '  k8sattributes:')],
    },
    {
      name: 'new component name k8s_attributes/<name>',
      files: file(newName),
      config: BIG,
      findings: [at('critical', newName, '  k8s_attributes/agent:', ['processor "k8s_attributes/agent"'], 'processors.k8s_attributes/agent@ConfigMap/otel-agent/data.relay')],
    },
    {
      name: 'node filter, k8s.deployment.name without deployment_name_from_replicaset on 5,000 nodes: medium, at the metadata entry',
      files: file(nodeFilteredRs),
      config: BIG,
      findings: [
        at('medium', nodeFilteredRs, 'metadata: [', [
          'processor "k8sattributes" reads only its node\'s pods (filter.node_from_env_var "K8S_NODE_NAME") but every replica still watches replicasets (extract.metadata "k8s.deployment.name" without extract.deployment_name_from_replicaset: true) cluster-wide',
          'big (5,000 nodes): relist 192 GiB, 0.92× capacity — strains',
        ]),
      ],
    },
    {
      name: 'node filter, ReplicaSet watch on 10,000 nodes: the model says high, the rule caps it at medium',
      files: file(nodeFilteredRs),
      config: HUGE,
      findings: [at('medium', nodeFilteredRs, 'metadata: [', ['huge (10,000 nodes): relist 384 GiB, 1.8× capacity — overload'])],
    },
    {
      name: 'node filter, default metadata: the ReplicaSet watch is reported at the processor',
      files: file(nodeFilteredDefaults),
      config: BIG,
      findings: [at('medium', nodeFilteredDefaults, '  k8sattributes:', ['the default extract.metadata (with "k8s.deployment.name")'])],
    },
    {
      name: 'node filter, ReplicaSet watch on 100 nodes: low',
      files: file(nodeFilteredRs),
      config: SMALL,
      findings: [at('low', nodeFilteredRs, 'metadata: [')],
    },
    {
      name: 'k8s.deployment.uid needs the ReplicaSet watch even with deployment_name_from_replicaset',
      files: file(deploymentUid),
      config: BIG,
      findings: [at('medium', deploymentUid, 'metadata: [', ['extract.metadata "k8s.deployment.uid"'])],
    },
    {
      name: 'labels from: namespace watch every namespace (500 by default): low on 5,000 nodes',
      files: file(fromNamespace),
      config: BIG,
      findings: [at('low', fromNamespace, 'from: namespace', ['namespaces (extract.labels from: namespace) cluster-wide'])],
    },
    {
      name: 'OpenTelemetryCollector CR in daemonset mode, mapping config, no node filter',
      files: file(crUnfiltered),
      config: BIG,
      findings: [at('critical', crUnfiltered, '  k8s_attributes:', ['per-node agent OpenTelemetryCollector "monitoring/agent", config "spec.config": processor "k8s_attributes" lists and watches pods cluster-wide'], CR_KEY)],
    },
    {
      name: 'OpenTelemetryCollector CR, string config, node-filtered but watching ReplicaSets: inside the block',
      files: file(crStringRs),
      config: BIG,
      findings: [at('medium', crStringRs, 'metadata: [k8s.namespace.name', [], CR_STRING_KEY)],
    },
    {
      name: 'OpenTelemetryCollector CR whose spec.env lacks the node variable',
      files: file(crNoEnv),
      config: BIG,
      findings: [at('critical', crNoEnv, 'node_from_env_var:', ['names an env var the OpenTelemetryCollector never sets'], CR_STRING_KEY)],
    },
    {
      name: 'config severity override applies',
      files: file(unfiltered),
      config: { ...BIG, rules: { [RULE]: { severity: 'medium' } } },
      findings: [at('medium', unfiltered, '  k8sattributes:')],
    },
  ],
});

describe('odd input', () => {
  it('never throws, and a processor whose value is not a mapping reads nothing', () => {
    const { notes, live } = runCase(otelK8sattributes, { name: 'odd', files: { 'odd.yaml': oddInput }, config: BIG });
    expect(notes).toEqual([]);
    // odd-2 is readable: a fields entry on spec.nodeName (its op is not a string) and default metadata.
    expect(live.map((f) => [f.resource, f.severity])).toEqual([['DaemonSet/monitoring/odd-2', 'medium']]);
  });
});

describe('findings carry the model figures', () => {
  it('reads: pods and replicasets cluster-wide without a node filter', () => {
    const { live } = runCase(otelK8sattributes, { name: 'data', files: file(unfiltered), config: TRAP });
    expect(live).toHaveLength(1);
    expect(live[0]).toMatchObject({ resource: 'DaemonSet/monitoring/otel-agent', file: FILE, clusters: ['canary-1', 'prod-us'] });
    expect(live[0].data).toMatchObject({ reads: [{ resource: 'pods', scope: 'cluster' }, { resource: 'replicasets', scope: 'cluster' }], leaderElection: false });
  });
  it('reads: node-scoped pods, cluster-wide replicasets with the node filter', () => {
    const { live } = runCase(otelK8sattributes, { name: 'data', files: file(nodeFilteredRs), config: BIG });
    expect(live[0].data).toMatchObject({ reads: [{ resource: 'pods', scope: 'node' }, { resource: 'replicasets', scope: 'cluster' }] });
  });
});

// ---- real-world manifests -------------------------------------------------------------------------



if (HAS_CORPUS) {
  const annotated = annotatedExample;
  const lines = lineCount;

  const clusterMetrics = example(collectorExample('daemonset-cluster-metrics'));
  const kubernetesObjects = example(collectorExample('daemonset-kubernetes-objects'));
  const daemonsetAndDeployment = example(collectorExample('daemonset-and-deployment'));
  const daemonsetOnly = example(collectorExample('daemonset-only'));
  const kubernetesAttributes = example(collectorExample('kubernetesAttributes'));
  const stackDefault = example(kubeStackExample('default'));
  const stackNoLeader = example(kubeStackExample('no-leader-election-extension'));
  const stackObjects = example(kubeStackExample('daemonset-kubernetes-objects'));

  describe('real-world manifests: the annotation-only PRs really change the workloads', () => {
    it('annotates the one per-node collector of each example', () => {
      for (const files of [stackDefault, stackNoLeader, stackObjects, daemonsetAndDeployment]) expect(lines(annotated(files))).toBe(lines(files) + 2);
    });
  });

  // Expected from RULEBOOK A.1 / A.3 and the load model before the rule ever ran on these files (no config:
  // everything reaches `unmapped`, 5,000 nodes assumed):
  // - opentelemetry-collector examples daemonset-cluster-metrics, daemonset-kubernetes-objects,
  //   daemonset-and-deployment, daemonset-only: no k8sattributes processor in the agent's `relay` → quiet;
  // - kubernetesAttributes: the preset's k8s_attributes has no node filter, but `mode: deployment` (a
  //   gateway, not per-node; A.3: "in deployment mode no filter ... fine") → quiet;
  // - opentelemetry-kube-stack `default`: OpenTelemetryCollector "default/example-daemon" (daemonset) has
  //   k8s_attributes with filter.node_from_env_var OTEL_K8S_NODE_NAME, and spec.env sets that variable from
  //   spec.nodeName (SCALE-OTEL-1 and 1b satisfied), but extract.metadata lists k8s.deployment.name without
  //   deployment_name_from_replicaset (SCALE-OTEL-2, WARN): pods node-scoped + 5,000 ReplicaSets per replica
  //   → 5,000 × 5,030 × 8 KiB = 192 GiB, 55 s, ratio 0.92 → medium, at the `- k8s.deployment.name` entry
  //   (line 48); k8s.cluster.uid reads kube-system only and labels come from pods: nothing else;
  // - kube-stack `no-leader-election-extension`: the same medium on "example-daemon" (line 206); the
  //   `example-cluster-stats` collector is a Deployment → quiet;
  // - kube-stack `daemonset-kubernetes-objects`: the same medium on "example-daemon" (line 44).
  const RS_MESSAGE = [
    'OpenTelemetryCollector "default/example-daemon"',
    'reads only its node\'s pods (filter.node_from_env_var "OTEL_K8S_NODE_NAME") but every replica still watches replicasets',
    'unmapped (5,000 nodes, assumed): relist 192 GiB, 0.92× capacity — strains',
  ];
  const stackFinding = (line: number): ExpectedFinding => ({
    severity: 'medium',
    key: 'processors.k8s_attributes@OpenTelemetryCollector/example-daemon/spec.config',
    line,
    messageIncludes: RS_MESSAGE,
  });

  ruleTester(otelK8sattributes).run({
    valid: [
      { name: 'collector daemonset-cluster-metrics: no k8sattributes', files: clusterMetrics },
      { name: 'collector daemonset-kubernetes-objects: no k8sattributes', files: kubernetesObjects },
      { name: 'collector daemonset-and-deployment: no k8sattributes', files: daemonsetAndDeployment },
      { name: 'collector daemonset-only: no k8sattributes', files: daemonsetOnly },
      { name: 'collector kubernetesAttributes: unfiltered, but a Deployment', files: kubernetesAttributes },
      { name: 'kube-stack default: only an annotation added to the collector', base: stackDefault, files: annotated(stackDefault) },
      { name: 'kube-stack no-leader-election-extension: only an annotation added', base: stackNoLeader, files: annotated(stackNoLeader) },
      { name: 'kube-stack daemonset-kubernetes-objects: only an annotation added', base: stackObjects, files: annotated(stackObjects) },
    ],
    invalid: [
      { name: 'kube-stack default collector.yaml', files: stackDefault, findings: [stackFinding(48)] },
      // Line 39 holds the Deployment collector's (example-cluster-stats) k8s.deployment.name: not per-node.
      { name: 'kube-stack no-leader-election-extension collector.yaml', files: stackNoLeader, findings: [stackFinding(206)] },
      { name: 'kube-stack daemonset-kubernetes-objects collector.yaml', files: stackObjects, findings: [stackFinding(44)] },
    ],
  });
} else {
  describe.skip('real-world manifests (../shared/corpus is absent)', () => {
    it('skipped', () => {});
  });
}
