/**
 * Table tests of watch-all/kube-state-metrics-daemonset. Every dangerous case has a safe twin: the same
 * kube-state-metrics DaemonSet with `--resources=pods --node=$(NODE_NAME)` (or run as a Deployment).
 * Expected lines are the argument lines of the container.
 *
 * Load model (docs/load-model.md, defaults; per replica at N nodes):
 * - `--resources=pods`, no `--node`: pods 30·N cluster-wide → N = 5,000: 5.6 TiB, ratio ≈ 27 (critical);
 *   N = 100: 2.3 GiB, ratio ≈ 0.01 (low);
 * - `--node` with `--resources=pods,nodes`: 30 pods + N nodes → N = 5,000: ratio ≈ 0.92 (medium);
 * - default resources (33 kinds; the ones the model does not name count 5,000 each): N = 5,000 → critical;
 *   N = 20 → ratio ≈ 0.1 (low).
 */
import { describe, expect, it } from 'vitest';
import { DEFAULT_RESOURCES, kubeStateMetricsDaemonset } from '../../../rules/watch-all/kube-state-metrics-daemonset.js';
import { lineContaining, ruleTester, runCase, type ExpectedFinding } from '../../helpers/rule-tester.js';
import { HAS_CORPUS, readCorpus } from '../../helpers/corpus.js';

const RULE = 'watch-all/kube-state-metrics-daemonset';
const KEY = 'kube-state-metrics@DaemonSet/kube-state-metrics/spec.template.spec.containers.0';
const IMAGE = 'registry.k8s.io/kube-state-metrics/kube-state-metrics:v2.13.0';

interface Spec {
  kind?: string;
  args?: string[];
  command?: string[];
  image?: string;
  annotations?: Record<string, string>;
}

function ksm(s: Spec = {}): string {
  const ann = Object.entries(s.annotations ?? {});
  const list = (field: string, items?: string[]) => (items ? [`          ${field}:`, ...items.map((a) => `            - ${JSON.stringify(a)}`)] : []);
  return [
    'apiVersion: apps/v1',
    `kind: ${s.kind ?? 'DaemonSet'}`,
    'metadata:',
    '  name: kube-state-metrics',
    '  namespace: monitoring',
    ...(ann.length ? ['  annotations:', ...ann.map(([k, v]) => `    ${k}: ${JSON.stringify(v)}`)] : []),
    'spec:',
    '  selector:',
    '    matchLabels: {app: kube-state-metrics}',
    '  template:',
    '    metadata:',
    '      labels: {app: kube-state-metrics}',
    '    spec:',
    '      serviceAccountName: kube-state-metrics',
    '      containers:',
    '        - name: kube-state-metrics',
    `          image: ${s.image ?? IMAGE}`,
    ...list('command', s.command),
    ...list('args', s.args),
    '          env:',
    '            - name: NODE_NAME',
    '              valueFrom: {fieldRef: {fieldPath: spec.nodeName}}',
    '',
  ].join('\n');
}

const file = (text: string) => ({ 'infrastructure/monitoring/kube-state-metrics.yaml': text });
const fleet = (...clusters: Array<[string, number]>) => ({ fleet: { clusters: clusters.map(([name, nodes]) => ({ name, nodes, paths: ['**'] })) } });
const TINY = fleet(['dev', 20]);
const SMALL = fleet(['staging', 100]);
const BIG = fleet(['big', 5000]);
const TRAP = fleet(['canary-1', 60], ['prod-us', 4800]);

const found = (severity: ExpectedFinding['severity'], text: string, needle: string, messageIncludes?: string[]): ExpectedFinding => ({
  severity,
  key: KEY,
  line: lineContaining(text, needle),
  ...(messageIncludes ? { messageIncludes } : {}),
});

// ---- fixtures -------------------------------------------------------------------------------------

const NODE = '--node=$(NODE_NAME)';
const podsNoNode = ksm({ args: ['--port=8080', '--resources=pods'] });
const podsNode = ksm({ args: ['--port=8080', '--resources=pods', NODE] });
const podsNodeSpaced = ksm({ args: ['--resources', 'pods', '--node', '$(NODE_NAME)'] });
const podsNodeShell = ksm({ command: ['/bin/sh', '-c', 'exec kube-state-metrics --resources=pods --node=$(NODE_NAME)'] });
const podsNodesWithNode = ksm({ args: ['--resources=pods,nodes', NODE] });
// Repeated --resources flags add up (kube-state-metrics ResourceSet.Set): the later `nodes` is exported too.
const repeatedNodes = ksm({ args: ['--resources=pods', NODE, '--port=8080', '--resources=nodes'] });
const repeatedNodesSpaced = ksm({ args: ['--resources', 'pods', '--node', '$(NODE_NAME)', '--resources', 'nodes'] });
const repeatedPods = ksm({ args: ['--resources=pods', NODE, '--port=8080', '--resources', 'pods'] });
const repeatedEmpty = ksm({ args: ['--resources=pods', NODE, '--resources='] });
const nodesThenPodsNode = ksm({ args: ['--resources=nodes', NODE, '--resources=pods'] });
const repeatedNoNode = ksm({ args: ['--resources=nodes', '--port=8080', '--resources=pods'] });
const defaults = ksm({ args: ['--port=8080', '--telemetry-port=8081'] });
const defaultsWithNode = ksm({ args: ['--port=8080', NODE] });
const emptyNode = ksm({ args: ['--resources=pods', '--node='] });
const collectors = ksm({ args: ['--collectors=pods'] });
const deployment = ksm({ kind: 'Deployment', args: ['--port=8080'] });
const otherImage = ksm({ image: 'example.com/pod-exporter:1.0', args: ['--resources=pods'] });
const ignored = ksm({ args: ['--resources=pods'], annotations: { 'blast-radius.dev/ignore': `${RULE} -- runs on the three infra nodes only` } });
const annotated = ksm({ args: ['--port=8080', '--resources=pods'], annotations: { 'example.com/owner': 'observability' } });

const oddInput = [
  ksm({ args: ['--resources', '--node'] }),
  '---\napiVersion: apps/v1\nkind: DaemonSet\nmetadata: {name: odd}\nspec:\n  template:\n    spec:\n      containers: [{name: x, image: [kube-state-metrics]}, {image: kube-state-metrics, args: [1, null, {a: b}]}]\n',
].join('---\n');

ruleTester(kubeStateMetricsDaemonset).run({
  valid: [
    { name: '--resources=pods --node=$(NODE_NAME): DaemonSet sharding (twin of the pods case)', files: file(podsNode), config: BIG },
    { name: 'flag values as separate arguments', files: file(podsNodeSpaced), config: BIG },
    { name: 'flags inside an sh -c command', files: file(podsNodeShell), config: BIG },
    { name: '--resources=pods repeated (= and separate argument) with --node: still pods only (twin of the repeated nodes case)', files: file(repeatedPods), config: BIG },
    { name: 'a later empty --resources= adds nothing: pods with --node stay node-scoped', files: file(repeatedEmpty), config: BIG },
    { name: 'kube-state-metrics as a Deployment (twin of the default-resources case)', files: file(deployment), config: BIG },
    { name: 'another image with a --resources flag', files: file(otherImage), config: BIG },
    { name: 'already on the base, reaching the same clusters', base: file(podsNoNode), files: file(podsNoNode), config: TRAP },
    { name: 'already on the base; the PR only adds an annotation', base: file(podsNoNode), files: file(annotated), config: TRAP },
    { name: 'rule turned off in the config', files: file(podsNoNode), config: { ...BIG, rules: { [RULE]: 'off' } } },
    { name: 'ignore annotation suppresses the finding', files: file(ignored), config: BIG, suppressed: [found('critical', ignored, '--resources=pods')] },
  ],
  invalid: [
    {
      name: '--resources=pods without --node on 5,000 nodes: critical, at the --resources argument',
      files: file(podsNoNode),
      config: BIG,
      findings: [
        found('critical', podsNoNode, '--resources=pods', [
          'per-node agent DaemonSet "monitoring/kube-state-metrics", config "container kube-state-metrics": kube-state-metrics has no --node (--resources "pods"): every node lists and watches pods cluster-wide',
          'big (5,000 nodes): relist 5.6 TiB, 27× capacity — overload',
        ]),
      ],
    },
    {
      name: '--resources=pods without --node on 100 nodes: low',
      files: file(podsNoNode),
      config: SMALL,
      findings: [found('low', podsNoNode, '--resources=pods', ['staging (100 nodes): relist 2.3 GiB, 0.01× capacity — passes'])],
    },
    {
      name: 'staging trap',
      files: file(podsNoNode),
      config: TRAP,
      findings: [found('critical', podsNoNode, '--resources=pods', ['canary-1 (60 nodes): relist 0.8 GiB, 0.004× capacity — passes; prod-us (4,800 nodes): 5.1 TiB, 25× — overload'])],
    },
    {
      name: 'no config: unmapped, 5,000 nodes assumed',
      files: file(podsNoNode),
      findings: [found('critical', podsNoNode, '--resources=pods', ['unmapped (5,000 nodes, assumed)'])],
    },
    {
      name: '--node scopes pods only: nodes stay cluster-wide (medium at 5,000 nodes)',
      files: file(podsNodesWithNode),
      config: BIG,
      findings: [found('medium', podsNodesWithNode, '--resources=pods,nodes', ['--node "$(NODE_NAME)" scopes only pods: every node still lists and watches nodes cluster-wide'])],
    },
    {
      name: 'repeated --resources add up: --resources=pods --node … --resources=nodes lists nodes cluster-wide, at the --resources that adds them',
      files: file(repeatedNodes),
      config: BIG,
      findings: [
        found('medium', repeatedNodes, '--resources=nodes', [
          'kube-state-metrics --node "$(NODE_NAME)" scopes only pods: every node still lists and watches nodes cluster-wide (--resources "pods" plus --resources "nodes", repeated flags adding up)',
        ]),
      ],
    },
    {
      name: 'repeated --resources add up: --resources=nodes --node … --resources=pods is not pods-only sharding (twin: --resources=pods --node)',
      files: file(nodesThenPodsNode),
      config: BIG,
      findings: [found('medium', nodesThenPodsNode, '--resources=nodes', ['scopes only pods: every node still lists and watches nodes cluster-wide (--resources "nodes" plus --resources "pods", repeated flags adding up)'])],
    },
    {
      name: 'repeated --resources as separate arguments add up too',
      files: file(repeatedNodesSpaced),
      config: BIG,
      findings: [{ ...found('medium', repeatedNodesSpaced, '- "--resources"', ['scopes only pods: every node still lists and watches nodes cluster-wide']), line: lineContaining(repeatedNodesSpaced, '- "--resources"', 2) }],
    },
    {
      name: 'repeated --resources without --node: both kinds cluster-wide (pods from the later flag count)',
      files: file(repeatedNoNode),
      config: BIG,
      findings: [found('critical', repeatedNoNode, '--resources=nodes', ['has no --node (--resources "nodes" plus --resources "pods", repeated flags adding up): every node lists and watches pods and nodes cluster-wide'])],
    },
    {
      name: 'default resources (no --resources), no --node, 5,000 nodes: critical, at the first argument',
      files: file(defaults),
      config: BIG,
      findings: [found('critical', defaults, '--port=8080', [`no --resources: all ${DEFAULT_RESOURCES.length} default resources`, 'every node lists and watches pods, nodes, leases, endpointslices,'])],
    },
    {
      name: 'default resources on a 20-node cluster: low',
      files: file(defaults),
      config: TINY,
      findings: [found('low', defaults, '--port=8080', ['dev (20 nodes)', '— passes'])],
    },
    {
      name: 'default resources with --node: everything but pods stays cluster-wide, at the --node argument',
      files: file(defaultsWithNode),
      config: BIG,
      findings: [found('critical', defaultsWithNode, NODE, ['scopes only pods: every node still lists and watches nodes, leases, endpointslices,'])],
    },
    {
      name: 'an empty --node= is no node',
      files: file(emptyNode),
      config: BIG,
      findings: [found('critical', emptyNode, '--resources=pods', ['has no --node'])],
    },
    {
      name: 'pre-2.0 --collectors=pods',
      files: file(collectors),
      config: BIG,
      findings: [found('critical', collectors, '--collectors=pods')],
    },
    {
      name: 'odd input never throws; flags without values and non-string args count as absent',
      files: { 'odd.yaml': oddInput },
      config: BIG,
      findings: [
        found('critical', oddInput, '- "--resources"', ['an empty --resources: all 33 default resources']),
        { ...found('critical', oddInput, 'containers: [{name: x'), key: 'kube-state-metrics@DaemonSet/odd/spec.template.spec.containers.1' },
      ],
    },
  ],
});

describe('kube-state-metrics-daemonset details', () => {
  it('reads: pods node-scoped with --node, every other kind cluster-wide', () => {
    const { live } = runCase(kubeStateMetricsDaemonset, { name: 'data', files: file(podsNodesWithNode), config: BIG });
    expect(live[0].data).toMatchObject({ reads: [{ resource: 'pods', scope: 'node' }, { resource: 'nodes', scope: 'cluster' }] });
  });
  it('reads: repeated --resources flags are the union, pods still node-scoped with --node', () => {
    const { live } = runCase(kubeStateMetricsDaemonset, { name: 'data', files: file(repeatedNodes), config: BIG });
    expect(live[0].data).toMatchObject({ reads: [{ resource: 'pods', scope: 'node' }, { resource: 'nodes', scope: 'cluster' }] });
  });
});

// ---- real-world manifests -------------------------------------------------------------------------

const KUBE_PROMETHEUS = 'prometheus-operator+kube-prometheus/manifests/kubeStateMetrics-deployment.yaml';
const KUBE_STACK = 'open-telemetry+opentelemetry-helm-charts/charts/opentelemetry-kube-stack/examples/prometheus-otel/rendered/kube-state-metrics/deployment.yaml';

if (HAS_CORPUS) {
  const kp = readCorpus(KUBE_PROMETHEUS);
  const stack = readCorpus(KUBE_STACK);
  // The corpus has no kube-state-metrics DaemonSet (kubernetes/kube-state-metrics is not in it); both
  // renderings run it as a Deployment. The kube-prometheus one, turned into a DaemonSet (kind changed,
  // replicas dropped), stands in for the mistake.
  // Expected from RULEBOOK A.11 before running (no config: unmapped, 5,000 nodes assumed):
  // - kube-prometheus kubeStateMetrics-deployment.yaml (Deployment, args --host/--port/--telemetry-*): not a
  //   per-node workload → quiet;
  // - opentelemetry-kube-stack prometheus-otel kube-state-metrics Deployment (28 explicit resources) → quiet;
  // - the kube-prometheus Deployment as a DaemonSet: no --node, no --resources → SCALE-KSM-1, every default
  //   resource cluster-wide on every node → critical, on container kube-state-metrics at its first argument
  //   (`--host=127.0.0.1`); its kube-rbac-proxy sidecars are not kube-state-metrics → nothing;
  // - that DaemonSet with `--resources=pods` and `--node=$(NODE_NAME)` added → quiet;
  // - that DaemonSet with only an annotation added in the PR → no new finding.
  const asDaemonSet = kp.replace('kind: Deployment', 'kind: DaemonSet').replace('  replicas: 1\n', '');
  const sharded = asDaemonSet.replace('        - --host=127.0.0.1\n', '        - --host=127.0.0.1\n        - --resources=pods\n        - --node=$(NODE_NAME)\n');
  const annotatedDs = asDaemonSet.replace('  name: kube-state-metrics\n  namespace: monitoring\nspec:', '  name: kube-state-metrics\n  namespace: monitoring\n  annotations:\n    example.com/reviewed-by: platform-team\nspec:');
  ruleTester(kubeStateMetricsDaemonset).run({
    valid: [
      { name: 'kube-prometheus kube-state-metrics Deployment', files: { [KUBE_PROMETHEUS]: kp } },
      { name: 'opentelemetry-kube-stack kube-state-metrics Deployment', files: { [KUBE_STACK]: stack } },
      { name: 'kube-prometheus kube-state-metrics as a DaemonSet with --resources=pods --node', files: { [KUBE_PROMETHEUS]: sharded } },
      { name: 'kube-prometheus kube-state-metrics DaemonSet: only an annotation added', base: { [KUBE_PROMETHEUS]: asDaemonSet }, files: { [KUBE_PROMETHEUS]: annotatedDs } },
    ],
    invalid: [
      {
        name: 'kube-prometheus kube-state-metrics turned into a DaemonSet',
        files: { [KUBE_PROMETHEUS]: asDaemonSet },
        findings: [
          {
            severity: 'critical',
            key: 'kube-state-metrics@DaemonSet/kube-state-metrics/spec.template.spec.containers.0',
            line: lineContaining(asDaemonSet, '--host=127.0.0.1'),
            messageIncludes: ['per-node agent DaemonSet "monitoring/kube-state-metrics"', 'has no --node (no --resources: all 33 default resources)', 'unmapped (5,000 nodes, assumed)'],
          },
        ],
      },
    ],
  });
  describe('real-world manifests: fixtures', () => {
    it('the derived manifests really differ from the original', () => {
      expect(asDaemonSet).not.toBe(kp);
      expect(sharded).not.toBe(asDaemonSet);
      expect(annotatedDs).not.toBe(asDaemonSet);
    });
  });
} else {
  describe.skip('real-world manifests (../shared/corpus is absent)', () => {
    it('skipped', () => {});
  });
}
