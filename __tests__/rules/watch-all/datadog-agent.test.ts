/**
 * Table tests of watch-all/datadog-agent (RULEBOOK A.10, SCALE-DD-1/2/3). Each dangerous case has a safe twin
 * (the same node agent with the cluster agent on, the kubelet used, or the check run as a cluster check).
 *
 * Model figures (defaults; src/load-model.ts):
 * - SCALE-DD-1, cluster agent off with leader election: services listed cluster-wide (5,000 × N × 8 KiB) and
 *   N / 3.2 lease GETs/s. 5,000 nodes: relist 191 GiB → 0.91×, 1,563 GETs/s → 0.78× → medium (the WARN cap);
 *   20 nodes: 0.004× → low.
 * - SCALE-DD-2, DD_KUBELET_USE_API_SERVER: N node-scoped pod LISTs every 5 s. 5,000 nodes: 1,000 req/s →
 *   0.5× → medium; 100 nodes: 20 req/s → 0.01× → low.
 * - SCALE-DD-3, kubernetes_state_core on the node agent: every collector's kind listed cluster-wide by every
 *   node. pods + nodes + services at 5,000 nodes: (150,000 + 5,000 + 5,000) × 5,000 × 8 KiB = 6.0 TiB →
 *   29× → critical; the chart's 25 default collectors: ≈ 101× → critical.
 */
import { describe, expect, it } from 'vitest';
import { datadogAgent, detector } from '../../../rules/watch-all/datadog-agent.js';
import { configScope } from '../../../src/agents/kit.js';
import { treeFromFiles } from '../../../src/tree.js';
import { lineContaining, ruleTester, type ExpectedFinding } from '../../helpers/rule-tester.js';
import { annotate, HAS_CORPUS, readCorpus } from '../../helpers/corpus.js';

const RULE = 'watch-all/datadog-agent';

interface Spec {
  kind?: string;
  image?: string;
  /**
   * Env of each container, in order (the first is `agent`, then `trace-agent`, `process-agent`); a list of
   * pairs to repeat a name, as the chart does when `datadog.env` sets a variable it already rendered.
   */
  containers?: Array<Record<string, string> | Array<[string, string]>>;
  /** Keys of the node agent's confd ConfigMap (`datadog-confd`). */
  confd?: Record<string, string>;
  annotations?: Record<string, string>;
}

const NAMES = ['agent', 'trace-agent', 'process-agent'];

/** A Datadog node agent DaemonSet as the chart renders it (env on each container), and its confd ConfigMap. */
function nodeAgent(s: Spec = {}): string {
  const lines = [
    'apiVersion: apps/v1',
    `kind: ${s.kind ?? 'DaemonSet'}`,
    'metadata:',
    '  name: datadog',
    '  namespace: datadog-agent',
    ...(s.annotations ? ['  annotations:', ...Object.entries(s.annotations).map(([k, v]) => `    ${k}: ${JSON.stringify(v)}`)] : []),
    'spec:',
    '  selector:',
    '    matchLabels: {app: datadog}',
    '  template:',
    '    metadata:',
    '      labels: {app: datadog}',
    '    spec:',
    '      serviceAccountName: datadog',
    '      containers:',
  ];
  (s.containers ?? [{ DD_CLUSTER_AGENT_ENABLED: 'true' }]).forEach((env, i) => {
    lines.push(`      - name: ${NAMES[i] ?? `c${i}`}`, `        image: ${s.image ?? 'registry.datadoghq.com/agent:7.81.1'}`, '        env:');
    lines.push('        - name: DD_API_KEY', '          valueFrom: {secretKeyRef: {name: datadog-secret, key: api-key}}');
    for (const [k, v] of Array.isArray(env) ? env : Object.entries(env)) lines.push(`        - name: ${k}`, `          value: ${JSON.stringify(v)}`);
    if (i === 0 && s.confd) lines.push('        volumeMounts: [{name: confd, mountPath: /conf.d}]');
  });
  if (s.confd) {
    lines.push('      volumes:', '      - name: confd', '        configMap: {name: datadog-confd}');
    lines.push('---', 'apiVersion: v1', 'kind: ConfigMap', 'metadata:', '  name: datadog-confd', '  namespace: datadog-agent', 'data:');
    for (const [k, v] of Object.entries(s.confd)) lines.push(`  ${k}: |-`, ...v.trimEnd().split('\n').map((l) => `    ${l}`));
  }
  return `${lines.join('\n')}\n`;
}

const file = (text: string) => ({ 'infrastructure/datadog/datadog.yaml': text });
const fleet = (...clusters: Array<[string, number]>) => ({ fleet: { clusters: clusters.map(([name, nodes]) => ({ name, nodes, paths: ['**'] })) } });
const BIG = fleet(['big', 5000]);
const TINY = fleet(['edge', 20]);
const SMALL = fleet(['staging', 100]);

const C = (i: number) => `DaemonSet/datadog/spec.template.spec.containers.${i}`;
/** The line of the `nth` env var `name`'s value. */
const envAt = (text: string, name: string, nth = 1) => lineContaining(text, `- name: ${name}`, nth) + 1;
const find = (severity: ExpectedFinding['severity'], key: string, line: number, messageIncludes?: string[]): ExpectedFinding => ({ severity, key, line, ...(messageIncludes ? { messageIncludes } : {}) });

// ---- fixtures -------------------------------------------------------------------------------------

const dcaOn = nodeAgent({ containers: [{ DD_CLUSTER_AGENT_ENABLED: 'true', DD_KUBELET_USE_API_SERVER: 'false' }, { DD_CLUSTER_AGENT_ENABLED: 'true' }] });
const dcaOff = nodeAgent({ containers: [{ DD_CLUSTER_AGENT_ENABLED: 'false', DD_LEADER_ELECTION: 'true', DD_COLLECT_KUBERNETES_EVENTS: 'true' }] });
const dcaOffNoLeader = nodeAgent({ containers: [{ DD_CLUSTER_AGENT_ENABLED: 'false' }] });
// What the chart renders for clusterAgent.enabled: false: leader election on the agent container, the
// cluster agent switched off explicitly on the others.
const chartOff = nodeAgent({
  containers: [
    { DD_LEADER_ELECTION: 'true', DD_LEADER_ELECTION_DEFAULT_RESOURCE: 'configmap', DD_COLLECT_KUBERNETES_EVENTS: 'true' },
    { DD_CLUSTER_AGENT_ENABLED: 'false' },
    { DD_CLUSTER_AGENT_ENABLED: 'false' },
  ],
});
const leaderWithDca = nodeAgent({ containers: [{ DD_CLUSTER_AGENT_ENABLED: 'true', DD_LEADER_ELECTION: 'true' }] });
const neither = nodeAgent({ containers: [{ DD_LOG_LEVEL: 'info' }] });
const useApi = nodeAgent({ containers: [{ DD_CLUSTER_AGENT_ENABLED: 'true', DD_KUBELET_USE_API_SERVER: 'true' }, { DD_KUBELET_USE_API_SERVER: 'true' }] });
// The chart renders its own value first and the user's `datadog.env` later in the same container: the last
// entry of a name wins in Kubernetes.
const useApiDup = nodeAgent({ containers: [[['DD_CLUSTER_AGENT_ENABLED', 'true'], ['DD_KUBELET_USE_API_SERVER', 'false'], ['DD_LOG_LEVEL', 'info'], ['DD_KUBELET_USE_API_SERVER', 'true']]] });
const useApiDupOff = nodeAgent({ containers: [[['DD_CLUSTER_AGENT_ENABLED', 'true'], ['DD_KUBELET_USE_API_SERVER', 'true'], ['DD_LOG_LEVEL', 'info'], ['DD_KUBELET_USE_API_SERVER', 'false']]] });
const dcaDupOff = nodeAgent({ containers: [[['DD_CLUSTER_AGENT_ENABLED', 'true'], ['DD_LOG_LEVEL', 'info'], ['DD_CLUSTER_AGENT_ENABLED', 'false']]] });
const dcaDupOn = nodeAgent({ containers: [[['DD_CLUSTER_AGENT_ENABLED', 'false'], ['DD_LOG_LEVEL', 'info'], ['DD_CLUSTER_AGENT_ENABLED', 'true']]] });
const KSM = 'init_config:\ninstances:\n  - collectors:\n    - pods\n    - nodes\n    - services\n';
const ksm = nodeAgent({ confd: { 'redisdb.yaml': 'init_config:\ninstances:\n  - host: redis\n', 'kubernetes_state_core.yaml': KSM } });
const ksmClusterCheck = nodeAgent({ confd: { 'kubernetes_state_core.yaml': `cluster_check: true\n${KSM}` } });
const ksmDefault = nodeAgent({ confd: { 'kubernetes_state_core.yaml.default': 'init_config:\ninstances:\n  - {}\n' } });
const ksmLegacy = nodeAgent({ confd: { 'kubernetes_state.yaml': 'init_config:\ninstances:\n  - kube_state_url: http://kube-state-metrics:8080/metrics\n' } });
const ksmEnv = nodeAgent({ containers: [{ DD_CLUSTER_AGENT_ENABLED: 'true', DD_KUBE_STATE_METRICS_CORE_ENABLED: 'true' }] });
const ksmEnvOff = nodeAgent({ containers: [{ DD_CLUSTER_AGENT_ENABLED: 'true', DD_KUBE_STATE_METRICS_CORE_ENABLED: 'false' }] });
const notDatadog = nodeAgent({ image: 'example.com/agent:1', containers: [{ DD_CLUSTER_AGENT_ENABLED: 'false', DD_LEADER_ELECTION: 'true' }] }).replace(
  /        - name: DD_API_KEY\n.*\n/g,
  '',
);
const clusterAgentDeployment = nodeAgent({ kind: 'Deployment', image: 'registry.datadoghq.com/cluster-agent:7.81.1', confd: { 'kubernetes_state_core.yaml': KSM } });
const ignored = nodeAgent({
  containers: [{ DD_CLUSTER_AGENT_ENABLED: 'true', DD_KUBELET_USE_API_SERVER: 'true' }],
  annotations: { 'blast-radius.dev/ignore': `${RULE} -- GKE Autopilot: the kubelet is unreachable` },
});
const odd = [
  'apiVersion: apps/v1\nkind: DaemonSet\nmetadata: {name: odd, namespace: x}\nspec:\n  template:\n    spec:\n      containers: [{image: gcr.io/datadoghq/agent:7, env: [null, {name: DD_LEADER_ELECTION}, {value: "true"}, {name: DD_KUBELET_USE_API_SERVER, value: [1]}]}, 7]\n      volumes: [{name: c, configMap: {name: c}}]\n',
  'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c, namespace: x}\ndata:\n  kubernetes_state_core.yaml: "{{ not yaml"\n  kubernetes_state.d--x.yaml: "- 1"\n',
].join('---\n');

ruleTester(datadogAgent).run({
  valid: [
    { name: 'cluster agent on (twin of the cluster-agent-off cases): quiet evidence', files: file(dcaOn), config: BIG },
    { name: 'leader election with the cluster agent on', files: file(leaderWithDca), config: BIG },
    { name: 'neither variable: the setting may be in datadog.yaml', files: file(neither), config: BIG },
    { name: 'DD_KUBELET_USE_API_SERVER false (twin of true)', files: file(dcaOn), config: SMALL },
    { name: 'kubernetes_state_core with cluster_check: true (twin of the node-agent check)', files: file(ksmClusterCheck), config: BIG },
    { name: 'DD_KUBE_STATE_METRICS_CORE_ENABLED false (twin of true)', files: file(ksmEnvOff), config: BIG },
    { name: 'not a Datadog agent (other image, no DD_API_KEY)', files: file(notDatadog), config: BIG },
    { name: 'the cluster agent Deployment runs kubernetes_state_core by design', files: file(clusterAgentDeployment), config: BIG },
    { name: 'already on the base', base: file(chartOff), files: file(chartOff), config: BIG },
    { name: 'ignore annotation', files: file(ignored), config: BIG, suppressed: [find('medium', `kubelet-use-api-server@${C(0)}`, envAt(ignored, 'DD_KUBELET_USE_API_SERVER'))] },
    { name: 'DD_KUBELET_USE_API_SERVER true, then false later in the same container: the last wins (twin of the duplicate true)', files: file(useApiDupOff), config: BIG },
    { name: 'DD_CLUSTER_AGENT_ENABLED false, then true later in the same container: the last wins (twin of the duplicate false)', files: file(dcaDupOn), config: BIG },
    { name: 'odd input never throws', files: { 'odd.yaml': odd }, config: BIG },
  ],
  invalid: [
    {
      name: 'SCALE-DD-1: DD_CLUSTER_AGENT_ENABLED=false with leader election on 5,000 nodes: medium (WARN cap; model 0.91×)',
      files: file(dcaOff),
      config: BIG,
      findings: [
        find('medium', `cluster-agent-disabled@${C(0)}`, envAt(dcaOff, 'DD_CLUSTER_AGENT_ENABLED'), [
          'per-node agent DaemonSet "datadog-agent/datadog", config "container agent": "DD_CLUSTER_AGENT_ENABLED=false": node agents run without the cluster agent, so every node agent reads cluster metadata (services) from the API server itself and, with "DD_LEADER_ELECTION=true", polls the leader lock',
          'big (5,000 nodes): relist 191 GiB, 1,563 req/s, 0.91× capacity — strains',
        ]),
      ],
    },
    {
      name: 'SCALE-DD-1 on 20 nodes: low',
      files: file(dcaOff),
      config: TINY,
      findings: [find('low', `cluster-agent-disabled@${C(0)}`, envAt(dcaOff, 'DD_CLUSTER_AGENT_ENABLED'), ['edge (20 nodes)', '— passes'])],
    },
    {
      name: 'SCALE-DD-1 without leader election',
      files: file(dcaOffNoLeader),
      config: BIG,
      findings: [find('medium', `cluster-agent-disabled@${C(0)}`, envAt(dcaOffNoLeader, 'DD_CLUSTER_AGENT_ENABLED'), ['reads cluster metadata (services) from the API server itself: big'])],
    },
    {
      name: 'SCALE-DD-1 as the chart renders clusterAgent.enabled: false: one finding, on the agent container',
      files: file(chartOff),
      config: BIG,
      findings: [
        find('medium', `cluster-agent-disabled@${C(0)}`, envAt(chartOff, 'DD_LEADER_ELECTION'), [
          '"DD_LEADER_ELECTION=true" with no "DD_CLUSTER_AGENT_ENABLED=true" (what the chart renders for clusterAgent.enabled: false)',
        ]),
      ],
    },
    {
      name: 'SCALE-DD-2: DD_KUBELET_USE_API_SERVER=true on 5,000 nodes: medium (1,000 req/s)',
      files: file(useApi),
      config: BIG,
      findings: [
        find('medium', `kubelet-use-api-server@${C(0)}`, envAt(useApi, 'DD_KUBELET_USE_API_SERVER'), [
          '"DD_KUBELET_USE_API_SERVER=true" (datadog.kubelet.useApiServer): every node agent lists its node\'s pods from the API server instead of its kubelet, once per 5 s workloadmeta pull',
          'big (5,000 nodes): relist 1.1 GiB, 1,000 req/s, 0.5× capacity — strains',
        ]),
      ],
    },
    {
      name: 'SCALE-DD-2: the chart\'s DD_KUBELET_USE_API_SERVER=false, then datadog.env\'s true: the last entry wins, and the finding points at it',
      files: file(useApiDup),
      config: BIG,
      findings: [find('medium', `kubelet-use-api-server@${C(0)}`, envAt(useApiDup, 'DD_KUBELET_USE_API_SERVER', 2), ['"DD_KUBELET_USE_API_SERVER=true" (datadog.kubelet.useApiServer)', '1,000 req/s'])],
    },
    {
      name: 'SCALE-DD-1: DD_CLUSTER_AGENT_ENABLED=true, then false later in the same container: the last entry wins, and the finding points at it',
      files: file(dcaDupOff),
      config: BIG,
      findings: [find('medium', `cluster-agent-disabled@${C(0)}`, envAt(dcaDupOff, 'DD_CLUSTER_AGENT_ENABLED', 2), ['"DD_CLUSTER_AGENT_ENABLED=false": node agents run without the cluster agent'])],
    },
    {
      name: 'SCALE-DD-2 on 100 nodes: low',
      files: file(useApi),
      config: SMALL,
      findings: [find('low', `kubelet-use-api-server@${C(0)}`, envAt(useApi, 'DD_KUBELET_USE_API_SERVER'), ['20 req/s'])],
    },
    {
      name: 'SCALE-DD-3: kubernetes_state_core in the node agent confd: critical (pods, nodes, services cluster-wide)',
      files: file(ksm),
      config: BIG,
      findings: [
        find('critical', 'ksm-core@ConfigMap/datadog-confd/data.kubernetes_state_core.yaml', lineContaining(ksm, 'instances:', 2), [
          'config ConfigMap "datadog-confd" key "kubernetes_state_core.yaml": check "kubernetes_state_core" (key "kubernetes_state_core.yaml") runs on the node agent without "cluster_check: true": every node runs kube-state-metrics and lists pods, nodes and services cluster-wide',
          'big (5,000 nodes): relist 6.0 TiB, 29× capacity — overload',
        ]),
      ],
    },
    {
      name: 'SCALE-DD-3: kubernetes_state_core.yaml.default with no collectors: the chart defaults',
      files: file(ksmDefault),
      config: BIG,
      findings: [find('critical', 'ksm-core@ConfigMap/datadog-confd/data.kubernetes_state_core.yaml.default', lineContaining(ksmDefault, 'instances:'), ['lists secrets, configmaps, nodes, pods, services and 20 more kinds cluster-wide', '101× capacity'])],
    },
    {
      name: 'SCALE-DD-3 by DD_KUBE_STATE_METRICS_CORE_ENABLED=true on a node agent container',
      files: file(ksmEnv),
      config: BIG,
      findings: [find('critical', `ksm-core-env@${C(0)}`, envAt(ksmEnv, 'DD_KUBE_STATE_METRICS_CORE_ENABLED'), ['"DD_KUBE_STATE_METRICS_CORE_ENABLED=true" turns on the kubernetes_state_core check in the node agent'])],
    },
    {
      name: 'legacy kubernetes_state check on the node agent: medium (load on kube-state-metrics)',
      files: file(ksmLegacy),
      config: BIG,
      findings: [find('medium', 'ksm-legacy@ConfigMap/datadog-confd/data.kubernetes_state.yaml', lineContaining(ksmLegacy, 'instances:'), ['legacy check "kubernetes_state"', 'not the API server'])],
    },
    {
      name: 'legacy check is medium on a small cluster too',
      files: file(ksmLegacy),
      config: TINY,
      findings: [find('medium', 'ksm-legacy@ConfigMap/datadog-confd/data.kubernetes_state.yaml', lineContaining(ksmLegacy, 'instances:'))],
    },
  ],
});

describe('evidence for watch-all/daemonset-cluster-watch (configScope)', () => {
  const scopeOf = (text: string) => {
    const t = treeFromFiles('head', [{ path: 'a.yaml', text }]);
    const ds = t.objects.find((o) => o.kind === 'DaemonSet')!;
    return configScope(ds, t.objects, [detector])?.scope;
  };
  it('cluster agent on or kubelet via API: node-scoped pods; KSM core in the DaemonSet: cluster-wide; DCA off: no node-scaling read', () => {
    expect(scopeOf(dcaOn)).toBe('node');
    expect(scopeOf(useApi)).toBe('node');
    expect(scopeOf(ksm)).toBe('cluster');
    expect(scopeOf(chartOff)).toBeUndefined();
  });
});

// ---- real-world manifests -------------------------------------------------------------------------

const DIR = 'DataDog+helm-charts/test/datadog/baseline/manifests/';
const DEFAULT = `${DIR}daemonset_default.yaml`;
const DCA_OFF = `${DIR}otel-agent_full.yaml`;
const KUBELET_API = `${DIR}gke_autopilot_allowlistedv2workload_kubelet_apiserver.yaml`;
const CONFD = `${DIR}confd.yaml`;

if (HAS_CORPUS) {
  const byDefault = readCorpus(DEFAULT);
  const dcaOffChart = readCorpus(DCA_OFF);
  const kubeletApi = readCorpus(KUBELET_API);
  const confd = readCorpus(CONFD);
  // A copy of confd.yaml whose node-agent confd (datadog-confd, mounted by the DaemonSet) also holds a
  // kubernetes_state_core check — what `datadog.confd: {kubernetes_state_core.yaml: …}` renders.
  const REDIS = '  redisdb.yaml: |-\n    init_config:\n    instances:\n      - host: "redis"\n        port: "6379"\n';
  const confdKsm = confd.replace(REDIS, `${REDIS}  kubernetes_state_core.yaml: |-\n    init_config:\n    instances:\n      - collectors:\n        - pods\n        - nodes\n        - services\n`);

  describe('real-world manifests: the edits really happen', () => {
    it('annotates the DaemonSets and adds the KSM check to the node agent confd', () => {
      for (const text of [dcaOffChart, kubeletApi]) expect(annotate(text, 'DaemonSet').split('\n').length).toBe(text.split('\n').length + 2);
      expect(confdKsm.split('\n').length).toBe(confd.split('\n').length + 7);
    });
  });

  // Expected from RULEBOOK A.10 and the chart values before the rule ran (no config: unmapped, 5,000 nodes):
  // - daemonset_default (clusterAgent on, DD_CLUSTER_AGENT_ENABLED=true, DD_KUBELET_USE_API_SERVER=false,
  //   KSM core in the cluster agent's confd only): no finding;
  // - otel-agent_full (values: clusterAgent.enabled: false): SCALE-DD-1, medium (WARN), once, on the agent
  //   container's DD_LEADER_ELECTION value (the chart gives the agent container leader election and events,
  //   the trace-agent / otel-agent containers DD_CLUSTER_AGENT_ENABLED=false);
  // - gke_autopilot_allowlistedv2workload_kubelet_apiserver (datadog.kubelet.useApiServer: true): SCALE-DD-2,
  //   medium, on the agent container's DD_KUBELET_USE_API_SERVER value;
  // - confd (datadog.confd: redisdb only): no finding; the copy with kubernetes_state_core in datadog-confd:
  //   SCALE-DD-3, critical at 5,000 nodes (pods, nodes, services cluster-wide: 29×).
  // No corpus manifest runs KSM core on the node agent: every baseline keeps it in datadog-cluster-agent-confd,
  // which only the cluster agent Deployment mounts.
  ruleTester(datadogAgent).run({
    valid: [
      { name: 'daemonset_default', files: { [DEFAULT]: byDefault } },
      { name: 'confd.yaml (node confd holds redisdb only)', files: { [CONFD]: confd } },
      { name: 'otel-agent_full: only an annotation added to the DaemonSet', base: { [DCA_OFF]: dcaOffChart }, files: { [DCA_OFF]: annotate(dcaOffChart, 'DaemonSet') } },
      { name: 'kubelet_apiserver: only an annotation added to the DaemonSet', base: { [KUBELET_API]: kubeletApi }, files: { [KUBELET_API]: annotate(kubeletApi, 'DaemonSet') } },
    ],
    invalid: [
      {
        name: 'otel-agent_full.yaml (clusterAgent.enabled: false)',
        files: { [DCA_OFF]: dcaOffChart },
        findings: [
          find('medium', `cluster-agent-disabled@${C(0)}`, envAt(dcaOffChart, 'DD_LEADER_ELECTION'), [
            'DaemonSet "datadog-agent/datadog"',
            '"DD_LEADER_ELECTION=true" with no "DD_CLUSTER_AGENT_ENABLED=true"',
            'unmapped (5,000 nodes, assumed)',
          ]),
        ],
      },
      {
        name: 'gke_autopilot_allowlistedv2workload_kubelet_apiserver.yaml (datadog.kubelet.useApiServer: true)',
        files: { [KUBELET_API]: kubeletApi },
        findings: [find('medium', `kubelet-use-api-server@${C(0)}`, envAt(kubeletApi, 'DD_KUBELET_USE_API_SERVER'), ['1,000 req/s, 0.5× capacity'])],
      },
      {
        name: 'confd.yaml with kubernetes_state_core added to the node agent confd',
        files: { [CONFD]: confdKsm },
        findings: [find('critical', 'ksm-core@ConfigMap/datadog-confd/data.kubernetes_state_core.yaml', lineContaining(confdKsm, '  kubernetes_state_core.yaml: |-') + 2, ['lists pods, nodes and services cluster-wide', '29× capacity'])],
      },
    ],
  });
} else {
  describe.skip('real-world manifests (../shared/corpus is absent)', () => {
    it('skipped', () => {});
  });
}
