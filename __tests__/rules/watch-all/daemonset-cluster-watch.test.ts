/**
 * Table tests of watch-all/daemonset-cluster-watch. Each dangerous case has a safe twin next to it.
 * Expected lines are looked up in the case's own YAML (`lineOf`), so a case stays readable when edited.
 * Severities follow the load model (docs/load-model.md): a pods-only cluster-wide watch is ratio ≈ 0.011 on
 * 100 nodes (low) and ≈ 27 on 5,000 (critical); scope unknown is one level lower.
 */
import { describe, expect, it } from 'vitest';
import { daemonsetClusterWatch } from '../../../rules/watch-all/daemonset-cluster-watch.js';
import { ruleTester, runCase, type ExpectedFinding, lineContaining } from '../../helpers/rule-tester.js';
import { annotate, HAS_CORPUS, readCorpus } from '../../helpers/corpus.js';

const lineOf = lineContaining;

const RULE = 'watch-all/daemonset-cluster-watch';
const SCOPE = 'blast-radius.dev/api-scope';

interface WorkloadSpec {
  kind?: string;
  name?: string;
  namespace?: string;
  /** `null` leaves serviceAccountName out. */
  serviceAccount?: string | null;
  annotations?: Record<string, string>;
  templateAnnotations?: Record<string, string>;
  labels?: Record<string, string>;
  image?: string;
}

function mapLines(indent: string, key: string, m: Record<string, string> | undefined): string[] {
  if (!m) return [];
  return [`${indent}${key}:`, ...Object.entries(m).map(([k, v]) => `${indent}  ${k}: ${JSON.stringify(v)}`)];
}

/** A DaemonSet (or any pod-template workload) running as a ServiceAccount. */
function workload(w: WorkloadSpec = {}): string {
  const lines = [
    'apiVersion: apps/v1',
    `kind: ${w.kind ?? 'DaemonSet'}`,
    'metadata:',
    `  name: ${w.name ?? 'node-telemetry'}`,
    `  namespace: ${w.namespace ?? 'monitoring'}`,
    ...mapLines('  ', 'labels', w.labels),
    ...mapLines('  ', 'annotations', w.annotations),
    'spec:',
    '  selector:',
    '    matchLabels: {app: node-telemetry}',
    '  template:',
    '    metadata:',
    '      labels: {app: node-telemetry}',
    ...mapLines('      ', 'annotations', w.templateAnnotations),
    '    spec:',
  ];
  if (w.serviceAccount !== null) lines.push(`      serviceAccountName: ${w.serviceAccount ?? 'telemetry'}`);
  lines.push('      containers:', '      - name: agent', `        image: ${w.image ?? 'example.com/telemetry-agent:1.4.0'}`);
  return `${lines.join('\n')}\n`;
}

interface BindingSpec {
  kind?: 'ClusterRoleBinding' | 'RoleBinding';
  name?: string;
  role?: string;
  subject?: string;
}

function binding(b: BindingSpec = {}): string {
  const kind = b.kind ?? 'ClusterRoleBinding';
  return [
    '---',
    'apiVersion: rbac.authorization.k8s.io/v1',
    `kind: ${kind}`,
    'metadata:',
    `  name: ${b.name ?? 'telemetry'}`,
    ...(kind === 'RoleBinding' ? ['  namespace: monitoring'] : []),
    'roleRef:',
    '  apiGroup: rbac.authorization.k8s.io',
    '  kind: ClusterRole',
    `  name: ${b.role ?? 'telemetry'}`,
    'subjects:',
    `- ${b.subject ?? '{kind: ServiceAccount, name: telemetry, namespace: monitoring}'}`,
    '',
  ].join('\n');
}

function clusterRole(rules: string, name = 'telemetry', extra: string[] = []): string {
  return ['---', 'apiVersion: rbac.authorization.k8s.io/v1', 'kind: ClusterRole', 'metadata:', `  name: ${name}`, ...extra, `rules: ${rules}`, ''].join('\n');
}

const PODS = '[{apiGroups: [""], resources: [pods], verbs: [get, list, watch]}]';
const GET_ONLY = '[{apiGroups: [""], resources: [pods, nodes], verbs: [get]}]';
const NAMED = '[{apiGroups: [""], resources: [pods], resourceNames: [one-pod], verbs: [get, list, watch]}]';
const SERVICES = '[{apiGroups: [""], resources: [services, configmaps], verbs: [get, list, watch]}]';
const STAR = '[{apiGroups: [""], resources: ["*"], verbs: [list, watch]}]';

/** Workload + ClusterRoleBinding + ClusterRole in one file. */
const bundle = (w: WorkloadSpec = {}, rules = PODS, b: BindingSpec = {}) => workload(w) + binding(b) + clusterRole(rules);
const file = (text: string) => ({ 'infrastructure/monitoring/node-telemetry.yaml': text });

const fleet = (...clusters: Array<[string, number]>) => ({
  fleet: { clusters: clusters.map(([name, nodes]) => ({ name, nodes, paths: ['**'] })) },
});
const SMALL = fleet(['staging', 100]);
const BIG = fleet(['big', 5000]);
const TRAP = fleet(['canary-1', 60], ['prod-us', 4800]);

const KEY = 'serviceaccount:monitoring/telemetry';
const HINT = `declare ${SCOPE}: node on the DaemonSet`;
const expect_ = (severity: ExpectedFinding['severity'], text: string, needle = 'serviceAccountName', messageIncludes?: string[], key = KEY): ExpectedFinding => ({
  severity,
  key,
  line: lineOf(text, needle),
  ...(messageIncludes ? { messageIncludes } : {}),
});

// ---- fixtures -------------------------------------------------------------------------------------

const clusterScoped = bundle({ annotations: { [SCOPE]: 'cluster' } });
const nodeScoped = bundle({ annotations: { [SCOPE]: 'node' } });
const unknown = bundle();
const templateNode = bundle({ templateAnnotations: { [SCOPE]: 'node' } });
const oddScope = bundle({ annotations: { [SCOPE]: 'per-node' } });
const roleBindingOnly = workload() + binding({ kind: 'RoleBinding' }) + clusterRole(PODS);
const getOnly = bundle({}, GET_ONLY);
const named = bundle({}, NAMED);
const servicesOnly = bundle({}, SERVICES);
const star = bundle({ annotations: { [SCOPE]: 'cluster' } }, STAR);
const deployment = bundle({ kind: 'Deployment' });
const kubeProxy = bundle({ name: 'kube-proxy', namespace: 'kube-system', labels: { 'k8s-app': 'kube-proxy' }, image: 'registry.k8s.io/kube-proxy:v1.33.1' }, PODS, {
  subject: '{kind: ServiceAccount, name: telemetry, namespace: kube-system}',
});
const kubeProxyByImage = bundle({ name: 'proxy', image: 'registry.k8s.io/kube-proxy:v1.33.1' });
const calicoNode = bundle({ name: 'calico-node', labels: { 'k8s-app': 'calico-node' }, image: 'docker.io/calico/node:v3.30.0' });
const calicoByImage = bundle({ name: 'networking', image: 'quay.io/calico/node:v3.30.0' });
const otherNamespace = bundle({}, PODS, { subject: '{kind: ServiceAccount, name: telemetry, namespace: observability}' });
const groupSubject = bundle({}, PODS, { subject: '{kind: Group, name: "system:serviceaccounts", apiGroup: rbac.authorization.k8s.io}' });
const groupOtherNamespace = bundle({}, PODS, { subject: '{kind: Group, name: "system:serviceaccounts:observability", apiGroup: rbac.authorization.k8s.io}' });
const defaultSa = workload({ serviceAccount: null }) + binding({ subject: '{kind: ServiceAccount, name: default, namespace: monitoring}' }) + clusterRole(PODS);
const clusterAdmin = workload() + binding({ role: 'cluster-admin' });
const aggregated =
  workload() +
  binding({ role: 'telemetry-aggregate' }) +
  ['---', 'apiVersion: rbac.authorization.k8s.io/v1', 'kind: ClusterRole', 'metadata:', '  name: telemetry-aggregate', 'aggregationRule:', '  clusterRoleSelectors:', '  - matchLabels: {example.com/aggregate-to-telemetry: "true"}', 'rules: []', ''].join('\n') +
  clusterRole(PODS, 'telemetry-pods', ['  labels: {example.com/aggregate-to-telemetry: "true"}']);
const aggregatedNoMatch =
  workload() +
  binding({ role: 'telemetry-aggregate' }) +
  ['---', 'apiVersion: rbac.authorization.k8s.io/v1', 'kind: ClusterRole', 'metadata:', '  name: telemetry-aggregate', 'aggregationRule:', '  clusterRoleSelectors:', '  - matchLabels: {example.com/aggregate-to-telemetry: "true"}', `rules: ${PODS}`, ''].join('\n') +
  clusterRole(PODS, 'telemetry-pods', ['  labels: {example.com/aggregate-to-something-else: "true"}']);

const otel = (mode: string, extra = '') => `apiVersion: opentelemetry.io/v1beta1
kind: OpenTelemetryCollector
metadata:
  name: agent
  namespace: monitoring
spec:
  mode: ${mode}
${extra}  config:
    receivers: {otlp: {protocols: {grpc: {}}}}
    exporters: {debug: {}}
    service: {pipelines: {traces: {receivers: [otlp], exporters: [debug]}}}
`;
const otelSubject = '{kind: ServiceAccount, name: agent-collector, namespace: monitoring}';
const otelDaemonset = otel('daemonset') + binding({ subject: otelSubject }) + clusterRole(PODS);
const otelDeployment = otel('deployment') + binding({ subject: otelSubject }) + clusterRole(PODS);
const otelWrongCase = otel('DaemonSet') + binding({ subject: otelSubject }) + clusterRole(PODS);
const otelPodNode = otel('daemonset', `  podAnnotations:\n    ${SCOPE}: node\n`) + binding({ subject: otelSubject }) + clusterRole(PODS);

const promAgent = (mode: string) => `apiVersion: monitoring.coreos.com/v1alpha1
kind: PrometheusAgent
metadata:
  name: agent
  namespace: monitoring
spec:
  mode: ${mode}
  serviceAccountName: prometheus-agent
  podMonitorSelector: {}
`;
const promSubject = '{kind: ServiceAccount, name: prometheus-agent, namespace: monitoring}';
const promDaemonSet = promAgent('DaemonSet') + binding({ subject: promSubject }) + clusterRole(PODS);
const promStatefulSet = promAgent('StatefulSet') + binding({ subject: promSubject }) + clusterRole(PODS);

const ignored = bundle({ annotations: { 'blast-radius.dev/ignore': `${RULE} -- the agent reads pods through the kubelet API; RBAC kept for a fallback` } });
const annotatedOnly = bundle({ annotations: { 'example.com/owner': 'observability' } });

const oddInput = [
  'apiVersion: apps/v1\nkind: DaemonSet\nmetadata:\n  name: no-spec\n',
  'apiVersion: apps/v1\nkind: DaemonSet\nmetadata:\n  name: odd\nspec:\n  template:\n    spec:\n      serviceAccountName: [1, 2]\n      containers: nope\n',
  'apiVersion: apps/v1\nkind: DaemonSet\n',
  'apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRoleBinding\nmetadata: {name: odd}\nroleRef: 7\nsubjects: [null, 3, {kind: ServiceAccount}]\n',
  'apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata: {name: odd}\nrules: [null, {verbs: list}, {apiGroups: "", resources: pods, verbs: [list]}]\naggregationRule: {clusterRoleSelectors: nope}\n',
  'apiVersion: opentelemetry.io/v1beta1\nkind: OpenTelemetryCollector\nmetadata: {name: odd}\nspec: {mode: daemonset, serviceAccount: {a: 1}}\n',
].join('---\n');

// Promotion: the canary already runs the cluster-wide DaemonSet; the PR makes production receive it too.
const PROMOTION = {
  fleet: {
    clusters: [
      { name: 'canary-1', nodes: 60, stage: 'canary', paths: ['clusters/canary-1/**', 'shared/**'] },
      { name: 'prod-us', nodes: 4800, stage: 'prod', paths: ['clusters/prod-us/**'] },
    ],
  },
};

// Deployable units: joins happen inside one unit only. Cluster a receives the agent and its RBAC, cluster b
// the agent alone (kustomize bases); in SPLIT the two clusters' files are plain directories.
const agentOnly = workload();
const rbacOnly = binding() + clusterRole(PODS);
const KUSTOMIZED = {
  'base/agent/node-telemetry.yaml': agentOnly,
  'base/agent/kustomization.yaml': 'resources: [node-telemetry.yaml]\n',
  'base/rbac/rbac.yaml': rbacOnly,
  'base/rbac/kustomization.yaml': 'resources: [rbac.yaml]\n',
  'clusters/a/kustomization.yaml': 'resources: [../../base/agent, ../../base/rbac]\n',
  'clusters/b/kustomization.yaml': 'resources: [../../base/agent]\n',
};
const SPLIT = { 'clusters/a/node-telemetry.yaml': agentOnly, 'clusters/b/rbac.yaml': rbacOnly };
const SPLIT_CONFIG = { fleet: { clusters: [{ name: 'a', nodes: 5000, paths: ['clusters/a/**'] }, { name: 'b', nodes: 5000, paths: ['clusters/b/**'] }] } };

// A repository without deployable units (no config, no cluster layout: everything is unit `.`), holding
// unrelated files that bind the same ServiceAccount name: the binding beside the workload wins.
const localGetOnly = workload() + binding() + clusterRole(GET_ONLY);
const elsewhereList = binding({ name: 'other', role: 'other' }) + clusterRole(PODS, 'other');
const NEAREST = { 'apps/a/agent.yaml': localGetOnly, 'apps/b/other.yaml': elsewhereList };
const NEAREST_NONE = { 'apps/a/agent.yaml': agentOnly, 'apps/b/other.yaml': elsewhereList };

ruleTester(daemonsetClusterWatch).run({
  valid: [
    { name: 'no units: the get-only binding in the workload\'s own file wins over a list binding elsewhere', files: NEAREST },
    { name: 'the DaemonSet and its RBAC reach different clusters (different units)', files: SPLIT, config: SPLIT_CONFIG },
    { name: 'api-scope node on the DaemonSet (twin of the cluster-scope cases)', files: file(nodeScoped), config: BIG },
    { name: 'api-scope node on the pod template', files: file(templateNode), config: BIG },
    { name: 'RoleBinding only: namespaced, never a cluster-wide list', files: file(roleBindingOnly), config: BIG },
    { name: 'ClusterRole with get only', files: file(getOnly), config: BIG },
    { name: 'resourceNames: list only with a metadata.name field selector', files: file(named), config: BIG },
    { name: 'services and configmaps only: not node-scaling', files: file(servicesOnly), config: BIG },
    { name: 'Deployment instead of DaemonSet', files: file(deployment), config: BIG },
    { name: 'kube-proxy is judged by blast-radius', files: file(kubeProxy), config: BIG },
    { name: 'kube-proxy recognised by its image', files: file(kubeProxyByImage), config: BIG },
    { name: 'calico-node (CNI) is judged by blast-radius', files: file(calicoNode), config: BIG },
    { name: 'calico recognised by its image', files: file(calicoByImage), config: BIG },
    { name: 'binding names the ServiceAccount in another namespace', files: file(otherNamespace), config: BIG },
    { name: 'group of another namespace’s ServiceAccounts', files: file(groupOtherNamespace), config: BIG },
    { name: 'aggregated ClusterRole whose selectors match nothing (its own rules are overwritten)', files: file(aggregatedNoMatch), config: BIG },
    { name: 'OpenTelemetryCollector in deployment mode', files: file(otelDeployment), config: BIG },
    // The operator's enum is lower-case: `DaemonSet` is rejected by the CRD, never a DaemonSet.
    { name: 'OpenTelemetryCollector mode DaemonSet (not an operator value)', files: file(otelWrongCase), config: BIG },
    { name: 'OpenTelemetryCollector with api-scope node in podAnnotations', files: file(otelPodNode), config: BIG },
    { name: 'PrometheusAgent in StatefulSet mode', files: file(promStatefulSet), config: BIG },
    { name: 'already on the base, reaching the same clusters', base: file(unknown), files: file(unknown), config: TRAP },
    { name: 'already on the base; the PR only adds an unrelated annotation', base: file(unknown), files: file(annotatedOnly), config: TRAP },
    { name: 'rule turned off in the config', files: file(clusterScoped), config: { ...BIG, rules: { [RULE]: 'off' } } },
    {
      name: 'ignore annotation suppresses the finding',
      files: file(ignored),
      config: BIG,
      suppressed: [expect_('high', ignored)],
    },
    { name: 'odd input never throws', files: { 'odd.yaml': oddInput }, config: BIG },
  ],
  invalid: [
    {
      name: 'no units and no binding beside the workload: the binding elsewhere in the repository applies',
      files: NEAREST_NONE,
      findings: [expect_('high', agentOnly, 'serviceAccountName', ['ClusterRoleBinding "other" → ClusterRole "other"', 'unmapped (5,000 nodes, assumed)'])],
    },
    {
      name: 'cluster scope, pods list/watch, one 100-node cluster: low',
      files: file(clusterScoped),
      config: SMALL,
      findings: [
        expect_('low', clusterScoped, 'serviceAccountName', [
          'per-node agent DaemonSet "monitoring/node-telemetry" runs as ServiceAccount "monitoring/telemetry", which may list and watch pods cluster-wide',
          'ClusterRoleBinding "telemetry" → ClusterRole "telemetry"',
          `declared ${SCOPE}: cluster`,
          'staging (100 nodes): relist 2.3 GiB, 0.01× capacity — passes',
        ]),
      ],
    },
    {
      name: 'cluster scope, pods list/watch, one 5,000-node cluster: critical',
      files: file(clusterScoped),
      config: BIG,
      findings: [expect_('critical', clusterScoped, 'serviceAccountName', ['big (5,000 nodes): relist 5.6 TiB, 27× capacity — overload'])],
    },
    {
      name: 'scope unknown on 5,000 nodes: one level below critical, with the declare hint',
      files: file(unknown),
      config: BIG,
      findings: [expect_('high', unknown, 'serviceAccountName', ['api-scope unknown', "one level below the model's critical", HINT, 'big (5,000 nodes): relist 5.6 TiB, 27× capacity'])],
    },
    {
      name: 'scope unknown on 100 nodes: low stays low',
      files: file(unknown),
      config: SMALL,
      findings: [expect_('low', unknown, 'serviceAccountName', ["one level below the model's low", HINT])],
    },
    {
      name: 'an api-scope value that is neither node nor cluster is unknown',
      files: file(oddScope),
      config: BIG,
      findings: [expect_('high', oddScope, 'serviceAccountName', [`${SCOPE} "per-node" is neither node nor cluster`])],
    },
    {
      name: 'staging trap: the 60-node canary passes, the 4,800-node production overloads (issue example)',
      files: file(unknown),
      config: TRAP,
      findings: [expect_('high', unknown, 'serviceAccountName', ['canary-1 (60 nodes): relist 0.8 GiB, 0.004× capacity — passes; prod-us (4,800 nodes): 5.1 TiB, 25× — overload'])],
    },
    {
      name: 'no config: the file reaches unmapped, 5,000 nodes assumed',
      files: file(unknown),
      findings: [expect_('high', unknown, 'serviceAccountName', ['unmapped (5,000 nodes, assumed): relist 5.6 TiB, 27× capacity — overload'])],
    },
    {
      name: 'promotion: the canary ran it on the base, the PR adds production',
      base: { 'shared/node-telemetry.yaml': unknown },
      files: { 'shared/node-telemetry.yaml': unknown, 'clusters/prod-us/node-telemetry.yaml': unknown },
      config: PROMOTION,
      findings: [
        // The shared copy still reaches only the canary: not new. The production copy is.
        expect_('high', unknown, 'serviceAccountName', ['prod-us (4,800 nodes): relist 5.1 TiB, 25× capacity — overload']),
      ],
    },
    {
      name: 'a shared base: only the unit that also receives the RBAC is flagged',
      files: KUSTOMIZED,
      config: SPLIT_CONFIG,
      findings: [expect_('high', agentOnly, 'serviceAccountName', ['a (5,000 nodes): relist 5.6 TiB'])],
    },
    {
      name: 'resources "*" on the core group: every node-scaling kind',
      files: file(star),
      config: BIG,
      findings: [expect_('critical', star, 'serviceAccountName', ['list and watch pods, nodes, endpoints and events cluster-wide (resources "*" read as every node-scaling kind)'])],
    },
    {
      name: 'aggregated ClusterRole',
      files: file(aggregated),
      config: BIG,
      findings: [expect_('high', aggregated, 'serviceAccountName', ['ClusterRole "telemetry-aggregate" (aggregating "telemetry-pods")'])],
    },
    {
      name: 'Group system:serviceaccounts grants every ServiceAccount',
      files: file(groupSubject),
      config: BIG,
      findings: [expect_('high', groupSubject, 'serviceAccountName', ['(subject Group "system:serviceaccounts")'])],
    },
    {
      name: 'Kubernetes default cluster-admin',
      files: file(clusterAdmin),
      config: BIG,
      findings: [expect_('high', clusterAdmin, 'serviceAccountName', ['ClusterRole "cluster-admin" (Kubernetes default)', 'verbs "*"'])],
    },
    {
      name: 'no serviceAccountName: the namespace default ServiceAccount, reported at the pod spec',
      files: file(defaultSa),
      config: BIG,
      findings: [expect_('high', defaultSa, '    spec:', ['ServiceAccount "monitoring/default" (the default)'], 'serviceaccount:monitoring/default')],
    },
    {
      name: 'OpenTelemetryCollector in daemonset mode (ServiceAccount <name>-collector)',
      files: file(otelDaemonset),
      config: BIG,
      findings: [expect_('high', otelDaemonset, 'mode:', ['OpenTelemetryCollector "monitoring/agent"', 'ServiceAccount "monitoring/agent-collector"'], 'serviceaccount:monitoring/agent-collector')],
    },
    {
      name: 'PrometheusAgent in DaemonSet mode',
      files: file(promDaemonSet),
      config: BIG,
      findings: [expect_('high', promDaemonSet, 'serviceAccountName', ['PrometheusAgent "monitoring/agent"'], 'serviceaccount:monitoring/prometheus-agent')],
    },
    {
      name: 'config severity override applies',
      files: file(unknown),
      config: { ...BIG, rules: { [RULE]: { severity: 'medium' } } },
      findings: [expect_('medium', unknown)],
    },
  ],
});

describe('findings carry the model figures', () => {
  it('a shared base reaches only the clusters whose unit holds the RBAC', () => {
    const { live } = runCase(daemonsetClusterWatch, { name: 'units', files: KUSTOMIZED, config: SPLIT_CONFIG });
    expect(live.map((f) => f.clusters)).toEqual([['a']]);
  });
  it('data holds the scope, the model severity and the largest cluster', () => {
    const { live } = runCase(daemonsetClusterWatch, { name: 'data', files: file(unknown), config: TRAP });
    expect(live).toHaveLength(1);
    expect(live[0].clusters).toEqual(['canary-1', 'prod-us']);
    expect(live[0].data).toMatchObject({ scope: 'unknown', modelSeverity: 'critical', resources: ['pods'], nodeScaling: ['pods'], clusterRoles: ['telemetry'] });
    expect((live[0].data as { largest: { name: string; nodes: number } }).largest).toMatchObject({ name: 'prod-us', nodes: 4800 });
  });
});

// ---- real-world manifests -------------------------------------------------------------------------

const FILEBEAT = 'elastic+beats/deploy/kubernetes/filebeat-kubernetes.yaml';
const METRICBEAT = 'elastic+beats/deploy/kubernetes/metricbeat-kubernetes.yaml';
const DATADOG = 'DataDog+helm-charts/test/datadog/baseline/manifests/daemonset_default.yaml';
const CALICO = 'projectcalico+calico/manifests/calico.yaml';

if (HAS_CORPUS) {
  const filebeat = readCorpus(FILEBEAT);
  const metricbeat = readCorpus(METRICBEAT);
  const datadog = readCorpus(DATADOG);
  const calico = readCorpus(CALICO);

  describe('real-world manifests: the annotation-only PRs really change the DaemonSets', () => {
    it('annotates one DaemonSet per file', () => {
      for (const text of [filebeat, metricbeat, datadog, calico]) expect(annotate(text, 'DaemonSet').split('\n').length).toBe(text.split('\n').length + 2);
    });
  });

  // Expected from RULEBOOK A.0 / B.4 and the issue before the rule ever ran on these files (no config: every
  // file reaches `unmapped`, 5,000 nodes assumed; none declares blast-radius.dev/api-scope, so scope unknown):
  // - filebeat: DaemonSet kube-system/filebeat, ServiceAccount filebeat, ClusterRoleBinding → ClusterRole
  //   filebeat: get/list/watch namespaces, pods, nodes and apps replicasets. Per agent at 5,000 nodes:
  //   150,000 pods + 5,000 nodes + 500 namespaces + 5,000 replicasets → 6.0 TiB, ratio ≈ 29 → critical;
  //   unknown scope → high, at serviceAccountName. (Its add_kubernetes_metadata uses `host: ${NODE_NAME}`,
  //   which the RBAC join cannot see.) Since issue 4 the agent's config settles the scope: the
  //   watch-all/beats-cluster-scope detector proves node-scoped reads (RULEBOOK A.9), so → quiet.
  // - metricbeat: the same join, plus events, services, statefulsets, deployments, jobs → ratio ≈ 60 →
  //   critical; unknown → high, at serviceAccountName. The leases Role is a RoleBinding: ignored.
  // - datadog daemonset_default: the node agent's ClusterRole `datadog` has only get (endpoints, leases,
  //   node subresources); cluster-wide lists live in the cluster agent, a Deployment → quiet.
  // - calico.yaml: calico-node is a CNI agent (judged by blast-radius) → quiet.
  ruleTester(daemonsetClusterWatch).run({
    valid: [
      { name: 'datadog daemonset_default: node agent has get only', files: { [DATADOG]: datadog } },
      { name: 'filebeat-kubernetes.yaml: its config (add_kubernetes_metadata host: ${NODE_NAME}) proves node scope', files: { [FILEBEAT]: filebeat } },
      { name: 'calico.yaml: CNI agent', files: { [CALICO]: calico } },
      { name: 'filebeat: only an annotation added to the DaemonSet', base: { [FILEBEAT]: filebeat }, files: { [FILEBEAT]: annotate(filebeat, 'DaemonSet') } },
      { name: 'metricbeat: only an annotation added to the DaemonSet', base: { [METRICBEAT]: metricbeat }, files: { [METRICBEAT]: annotate(metricbeat, 'DaemonSet') } },
      { name: 'datadog: only an annotation added to the DaemonSet', base: { [DATADOG]: datadog }, files: { [DATADOG]: annotate(datadog, 'DaemonSet') } },
      { name: 'calico: only an annotation added to the DaemonSet', base: { [CALICO]: calico }, files: { [CALICO]: annotate(calico, 'DaemonSet') } },
    ],
    invalid: [
      {
        name: 'metricbeat-kubernetes.yaml',
        files: { [METRICBEAT]: metricbeat },
        findings: [
          {
            severity: 'high',
            key: 'serviceaccount:kube-system/metricbeat',
            line: lineOf(metricbeat, 'serviceAccountName: metricbeat'),
            messageIncludes: ['DaemonSet "kube-system/metricbeat"', 'pods, nodes, events', "one level below the model's critical"],
          },
        ],
      },
    ],
  });
} else {
  describe.skip('real-world manifests (../shared/corpus is absent)', () => {
    it('skipped', () => {});
  });
}
