/**
 * Table tests of watch-all/beats-cluster-scope. Every dangerous case has a safe twin: the same Beat with
 * the provider, processor or module at node scope (or moved to a Deployment). Expected lines are looked up
 * in the case's own YAML, inside the ConfigMap block.
 *
 * Load model (docs/load-model.md, defaults; per agent at N nodes):
 * - pod discovery / add_kubernetes_metadata at cluster scope: pods 30·N + nodes N + namespaces 500 →
 *   N = 5,000: 5.8 TiB, ratio ≈ 28 (critical); N = 100: 2.7 GiB, ratio ≈ 0.013 (low);
 * - resource: service: services 5,000 + namespaces 500 on every node → N = 5,000: ratio ≈ 1.0 (high);
 * - unique: true: no lists, N / 3.2 Lease GETs/s → N = 5,000: 1,563/s, ratio 0.78 (medium, RULEBOOK WARN);
 *   N = 100: 31/s (low).
 */
import { describe, expect, it } from 'vitest';
import { beatsClusterScope } from '../../../rules/watch-all/beats-cluster-scope.js';
import { lineContaining, ruleTester, runCase, type ExpectedFinding } from '../../helpers/rule-tester.js';
import { annotate, HAS_CORPUS, readCorpus } from '../../helpers/corpus.js';

const RULE = 'watch-all/beats-cluster-scope';

function workload(kind = 'DaemonSet', annotations: Record<string, string> = {}): string {
  const ann = Object.entries(annotations);
  return [
    'apiVersion: apps/v1',
    `kind: ${kind}`,
    'metadata:',
    '  name: beat',
    '  namespace: kube-system',
    ...(ann.length ? ['  annotations:', ...ann.map(([k, v]) => `    ${k}: ${JSON.stringify(v)}`)] : []),
    'spec:',
    '  selector:',
    '    matchLabels: {k8s-app: beat}',
    '  template:',
    '    metadata:',
    '      labels: {k8s-app: beat}',
    '    spec:',
    '      serviceAccountName: beat',
    '      containers:',
    '        - name: beat',
    '          image: docker.elastic.co/beats/metricbeat:8.17.0',
    '          env:',
    '            - name: NODE_NAME',
    '              valueFrom: {fieldRef: {fieldPath: spec.nodeName}}',
    '          volumeMounts: [{name: config, mountPath: /etc/beat}]',
    '      volumes:',
    '        - name: config',
    '          configMap: {name: beat-config}',
    '',
  ].join('\n');
}

function configMap(data: Record<string, string>): string {
  const lines = ['---', 'apiVersion: v1', 'kind: ConfigMap', 'metadata:', '  name: beat-config', '  namespace: kube-system', 'data:'];
  for (const [key, text] of Object.entries(data)) lines.push(`  ${key}: |-`, ...text.trimEnd().split('\n').map((l) => (l ? `    ${l}` : '')));
  return `${lines.join('\n')}\n`;
}

const bundle = (data: Record<string, string>, kind = 'DaemonSet', annotations: Record<string, string> = {}) => workload(kind, annotations) + configMap(data);
const file = (text: string) => ({ 'infrastructure/monitoring/beat.yaml': text });
const fleet = (...clusters: Array<[string, number]>) => ({ fleet: { clusters: clusters.map(([name, nodes]) => ({ name, nodes, paths: ['**'] })) } });
const SMALL = fleet(['staging', 100]);
const BIG = fleet(['big', 5000]);
const TRAP = fleet(['canary-1', 60], ['prod-us', 4800]);

const OUTPUT = '\noutput.elasticsearch:\n  hosts: ["elasticsearch:9200"]\n';
const metricbeat = (body: string) => ({ 'metricbeat.yml': body + OUTPUT });
const filebeat = (body: string) => ({ 'filebeat.yml': body + OUTPUT });

/** A kubernetes autodiscover provider with the given extra lines (indented under the list item). */
const provider = (...lines: string[]) =>
  metricbeat(
    ['metricbeat.autodiscover:', '  providers:', '    - type: kubernetes', ...lines.map((l) => `      ${l}`), '      hints.enabled: true'].join('\n'),
  );
const k8sMeta = (...lines: string[]) =>
  filebeat(
    [
      'filebeat.inputs:',
      '  - type: container',
      '    paths: [/var/log/containers/*.log]',
      '    processors:',
      '      - add_kubernetes_metadata:',
      ...lines.map((l) => `          ${l}`),
      '          matchers:',
      '            - logs_path: {logs_path: /var/log/containers/}',
    ].join('\n'),
  );
const module = (metricsets: string[], ...lines: string[]) => ({
  'kubernetes.yml': ['- module: kubernetes', '  metricsets:', ...metricsets.map((m) => `    - ${m}`), '  period: 10s', ...lines.map((l) => `  ${l}`)].join('\n'),
});
const agent = (...lines: string[]) => ({
  'agent.yml': ['providers:', '  kubernetes:', ...lines.map((l) => `    ${l}`), 'inputs:', '  - id: system-metrics', '    type: system/metrics', 'outputs:', '  default: {type: elasticsearch}'].join('\n'),
});

const key = (k: string, cmKey: string) => `${k}@ConfigMap/beat-config/data.${cmKey}`;
const found = (severity: ExpectedFinding['severity'], text: string, needle: string, k: string, messageIncludes?: string[]): ExpectedFinding => ({
  severity,
  key: k,
  line: lineContaining(text, needle),
  ...(messageIncludes ? { messageIncludes } : {}),
});

// ---- fixtures -------------------------------------------------------------------------------------

const adCluster = bundle(provider('scope: cluster'));
const adClusterOwners = bundle(provider('scope: cluster', 'add_resource_metadata:', '  deployment: true', '  cronjob: true'));
const adNode = bundle(provider('scope: node', 'node: ${NODE_NAME}'));
const adDefault = bundle(provider());
const adNodeResource = bundle(provider('resource: node', 'scope: node', 'node: ${NODE_NAME}'));
const adNodeResourceCluster = bundle(provider('resource: node', 'scope: cluster'));
const adService = bundle(provider('resource: service'));
const adServiceNodeScope = bundle(provider('resource: service', 'scope: node'));
const adUnique = bundle(provider('scope: cluster', 'node: ${NODE_NAME}', 'unique: true'));
const adUniqueDeployment = bundle(provider('scope: cluster', 'unique: true'), 'Deployment');
const adClusterDeployment = bundle(provider('scope: cluster'), 'Deployment');
const adBadScope = bundle(provider('scope: region'));
const adNested = bundle(filebeat(['filebeat:', '  autodiscover:', '    providers:', '      - type: kubernetes', '        scope: cluster', '        hints.enabled: true'].join('\n')));
const adIgnored = bundle(provider('scope: cluster'), 'DaemonSet', { 'blast-radius.dev/ignore': `${RULE} -- three dedicated nodes` });
const adAnnotated = bundle(provider('scope: cluster'), 'DaemonSet', { 'example.com/owner': 'observability' });

const akmCluster = bundle(k8sMeta('scope: cluster'));
const akmNode = bundle(k8sMeta('host: ${NODE_NAME}'));
const akmDefaults = bundle(filebeat('processors:\n  - add_kubernetes_metadata:\n  - add_host_metadata:'));

const modEvent = bundle(module(['event']));
const modState = bundle(module(['state_pod', 'state_node', 'state_deployment'], 'hosts: ["kube-state-metrics:8080"]'));
const modStateNoMeta = bundle(module(['state_pod', 'state_node'], 'hosts: ["kube-state-metrics:8080"]', 'add_metadata: false'));
const modKubelet = bundle(module(['node', 'system', 'pod', 'container', 'volume'], 'host: ${NODE_NAME}', 'hosts: ["https://${NODE_NAME}:10250"]'));
// state_* inside a node-scoped provider's template runs only where the condition's pod runs (one node).
const modInTemplate = bundle(
  metricbeat(
    [
      'metricbeat.autodiscover:',
      '  providers:',
      '    - type: kubernetes',
      '      node: ${NODE_NAME}',
      '      templates:',
      '        - condition: {contains: {kubernetes.labels.app: kube-state-metrics}}',
      '          config:',
      '            - module: kubernetes',
      '              metricsets: [state_pod, state_node]',
      '              hosts: ["${data.host}:8080"]',
    ].join('\n'),
  ),
);

const agentCluster = bundle(agent('scope: cluster'));
const agentNode = bundle(agent('scope: node', 'node: ${NODE_NAME}'));
const agentService = bundle(agent('node: ${NODE_NAME}', 'resources:', '  service:', '    enabled: true'));
const notAgent = bundle({ 'traefik.yml': 'providers:\n  kubernetes:\n    scope: cluster\n' });

const oddInput = [
  workload(),
  configMap({
    'metricbeat.yml': 'metricbeat.autodiscover:\n  providers: {type: kubernetes}\nprocessors: [null, {add_kubernetes_metadata: [1]}, {add_kubernetes_metadata: {scope: [cluster]}}]\n',
    'kubernetes.yml': '- module: kubernetes\n  metricsets: state_pod\n- module: kubernetes\n  metricsets: [state_, 7, {a: 1}]\n',
    'agent.yml': 'providers: {kubernetes: [1]}\ninputs: []\n',
    'broken.yml': 'a: [\n',
  }),
].join('');

ruleTester(beatsClusterScope).run({
  valid: [
    { name: 'autodiscover scope: node with node: ${NODE_NAME} (twin of scope: cluster)', files: file(adNode), config: BIG },
    { name: 'autodiscover without scope (pod discovery defaults to node scope)', files: file(adDefault), config: BIG },
    { name: 'autodiscover resource: node at node scope', files: file(adNodeResource), config: BIG },
    { name: 'autodiscover scope: cluster in a Deployment (one replica)', files: file(adClusterDeployment), config: BIG },
    { name: 'autodiscover unique: true in a Deployment (twin of the DaemonSet lease polling)', files: file(adUniqueDeployment), config: BIG },
    { name: 'an invalid scope: libbeat refuses to start, nothing is read', files: file(adBadScope), config: BIG },
    { name: 'add_kubernetes_metadata with host: ${NODE_NAME} (twin of scope: cluster)', files: file(akmNode), config: BIG },
    { name: 'add_kubernetes_metadata with its defaults (node scope, node auto-detected)', files: file(akmDefaults), config: BIG },
    { name: 'kubernetes module, kubelet metricsets only', files: file(modKubelet), config: BIG },
    { name: 'kubernetes module state_* with add_metadata: false (twin of the state case)', files: file(modStateNoMeta), config: BIG },
    { name: 'state_* inside a node-scoped provider template (runs where the condition’s pod runs)', files: file(modInTemplate), config: BIG },
    { name: 'Elastic Agent provider kubernetes at node scope (twin of scope: cluster)', files: file(agentNode), config: BIG },
    { name: 'providers.kubernetes in a file that is not an Elastic Agent config', files: file(notAgent), config: BIG },
    { name: 'already on the base, reaching the same clusters', base: file(adCluster), files: file(adCluster), config: TRAP },
    { name: 'already on the base; the PR only adds an annotation to the DaemonSet', base: file(adCluster), files: file(adAnnotated), config: TRAP },
    { name: 'rule turned off in the config', files: file(adCluster), config: { ...BIG, rules: { [RULE]: 'off' } } },
    {
      name: 'ignore annotation on the DaemonSet suppresses the finding',
      files: file(adIgnored),
      config: BIG,
      suppressed: [found('critical', adIgnored, 'scope: cluster', key('autodiscover.scope-cluster', 'metricbeat.yml'))],
    },
    { name: 'odd input never throws', files: { 'odd.yaml': oddInput }, config: BIG },
  ],
  invalid: [
    {
      name: 'autodiscover scope: cluster without unique on 5,000 nodes: critical, at the scope line',
      files: file(adCluster),
      config: BIG,
      findings: [
        found('critical', adCluster, 'scope: cluster', key('autodiscover.scope-cluster', 'metricbeat.yml'), [
          'per-node agent DaemonSet "kube-system/beat", config ConfigMap "beat-config" key "metricbeat.yml": autodiscover provider "kubernetes" (resource pod) has scope: cluster without unique: true: every node lists and watches pods, nodes and namespaces cluster-wide',
          'big (5,000 nodes): relist 5.8 TiB, 28× capacity — overload',
        ]),
      ],
    },
    {
      name: 'autodiscover scope: cluster on 100 nodes: low',
      files: file(adCluster),
      config: SMALL,
      findings: [found('low', adCluster, 'scope: cluster', key('autodiscover.scope-cluster', 'metricbeat.yml'), ['staging (100 nodes): relist 2.7 GiB, 0.01× capacity — passes'])],
    },
    {
      name: 'staging trap: the canary passes, production overloads',
      files: file(adCluster),
      config: TRAP,
      findings: [found('critical', adCluster, 'scope: cluster', key('autodiscover.scope-cluster', 'metricbeat.yml'), ['canary-1 (60 nodes):', '— passes; prod-us (4,800 nodes):', '— overload'])],
    },
    {
      name: 'no config: unmapped, 5,000 nodes assumed',
      files: file(adCluster),
      findings: [found('critical', adCluster, 'scope: cluster', key('autodiscover.scope-cluster', 'metricbeat.yml'), ['unmapped (5,000 nodes, assumed)'])],
    },
    {
      name: 'add_resource_metadata deployment and cronjob add replicasets and jobs',
      files: file(adClusterOwners),
      config: BIG,
      findings: [found('critical', adClusterOwners, 'scope: cluster', key('autodiscover.scope-cluster', 'metricbeat.yml'), ['pods, nodes, namespaces, replicasets and jobs cluster-wide'])],
    },
    {
      name: 'autodiscover resource: node at cluster scope: nodes on every node',
      files: file(adNodeResourceCluster),
      config: BIG,
      findings: [found('medium', adNodeResourceCluster, 'scope: cluster', key('autodiscover.scope-cluster', 'metricbeat.yml'), ['(resource node)', 'lists and watches nodes cluster-wide'])],
    },
    {
      name: 'nested filebeat: autodiscover: providers: form',
      files: file(adNested),
      config: BIG,
      findings: [found('critical', adNested, 'scope: cluster', key('autodiscover.scope-cluster', 'filebeat.yml'))],
    },
    {
      name: 'autodiscover resource: service (SCALE-BEATS-2): services on every node, high at 5,000 nodes',
      files: file(adService),
      config: BIG,
      findings: [found('high', adService, 'resource: service', key('autodiscover.resource-service', 'metricbeat.yml'), ['lists and watches services cluster-wide from every node'])],
    },
    {
      name: 'resource: service cannot be node-scoped: scope: node is ignored',
      files: file(adServiceNodeScope),
      config: BIG,
      findings: [found('high', adServiceNodeScope, 'resource: service', key('autodiscover.resource-service', 'metricbeat.yml'))],
    },
    {
      name: 'unique: true in a DaemonSet (SCALE-BEATS-3): N / 3.2 Lease GETs/s, medium at 5,000 nodes',
      files: file(adUnique),
      config: BIG,
      findings: [found('medium', adUnique, 'unique: true', key('autodiscover.unique', 'metricbeat.yml'), ['every node is a leader-election candidate', 'big (5,000 nodes): relist 0 B, 1,563 req/s, 0.78× capacity — strains'])],
    },
    {
      name: 'unique: true on 100 nodes: low',
      files: file(adUnique),
      config: SMALL,
      findings: [found('low', adUnique, 'unique: true', key('autodiscover.unique', 'metricbeat.yml'), ['31 req/s'])],
    },
    {
      name: 'add_kubernetes_metadata scope: cluster',
      files: file(akmCluster),
      config: BIG,
      findings: [found('critical', akmCluster, 'scope: cluster', key('add_kubernetes_metadata.scope-cluster', 'filebeat.yml'), ['processor "add_kubernetes_metadata" has scope: cluster'])],
    },
    {
      name: 'kubernetes module with the event metricset in the DaemonSet',
      files: file(modEvent),
      config: BIG,
      findings: [found('critical', modEvent, '- event', key('module.kubernetes.event', 'kubernetes.yml'), ['runs the event metricset on every node'])],
    },
    {
      name: 'kubernetes module with state_* metricsets and add_metadata (default) in the DaemonSet',
      files: file(modState),
      config: BIG,
      findings: [found('critical', modState, '- state_pod', key('module.kubernetes.state', 'kubernetes.yml'), ['"state_pod", "state_node" and "state_deployment"', 'pods, nodes, namespaces and deployments cluster-wide'])],
    },
    {
      name: 'Elastic Agent provider kubernetes scope: cluster',
      files: file(agentCluster),
      config: BIG,
      findings: [found('critical', agentCluster, 'scope: cluster', key('agent.kubernetes.scope-cluster', 'agent.yml'))],
    },
    {
      name: 'Elastic Agent provider kubernetes with services enabled',
      files: file(agentService),
      config: BIG,
      findings: [found('high', agentService, 'enabled: true', key('agent.kubernetes.service', 'agent.yml'))],
    },
  ],
});

describe('beats-cluster-scope details', () => {
  it('a unique provider carries lease polling and no reads', () => {
    const { live } = runCase(beatsClusterScope, { name: 'data', files: file(adUnique), config: BIG });
    expect(live).toHaveLength(1);
    expect(live[0].data).toMatchObject({ reads: [], leaderElection: true });
  });
});

// ---- real-world manifests -------------------------------------------------------------------------

const FILEBEAT = 'elastic+beats/deploy/kubernetes/filebeat-kubernetes.yaml';
const METRICBEAT = 'elastic+beats/deploy/kubernetes/metricbeat-kubernetes.yaml';

if (HAS_CORPUS) {
  const filebeatText = readCorpus(FILEBEAT);
  const metricbeatText = readCorpus(METRICBEAT);

  // Expected from RULEBOOK A.9 before the rule ever ran on these files (no config: unmapped, 5,000 nodes assumed):
  // - filebeat-kubernetes.yaml: DaemonSet kube-system/filebeat, ConfigMap filebeat-config key filebeat.yml:
  //   add_kubernetes_metadata with host: ${NODE_NAME} and the default node scope → quiet node-scoped evidence,
  //   no finding (the autodiscover block is commented out).
  // - metricbeat-kubernetes.yaml (this snapshot has the DaemonSet only, no Deployment): ConfigMap
  //   metricbeat-daemonset-config key metricbeat.yml, autodiscover provider kubernetes with scope: cluster,
  //   node: ${NODE_NAME} and unique: true → not SCALE-BEATS-1 (unique is set) but SCALE-BEATS-3 (WARN): every
  //   node polls the leader Lease, 5,000 / 3.2 = 1,563 GETs/s, ratio 0.78 → medium, at `unique: true` (line 25);
  //   its templates (state_* and apiserver) run on the leader only. metricbeat-daemonset-modules kubernetes.yml
  //   holds kubelet metricsets only → not judged.
  ruleTester(beatsClusterScope).run({
    valid: [
      { name: 'filebeat-kubernetes.yaml: add_kubernetes_metadata at node scope', files: { [FILEBEAT]: filebeatText } },
      { name: 'filebeat: only an annotation added to the DaemonSet', base: { [FILEBEAT]: filebeatText }, files: { [FILEBEAT]: annotate(filebeatText, 'DaemonSet') } },
      { name: 'metricbeat: only an annotation added to the DaemonSet', base: { [METRICBEAT]: metricbeatText }, files: { [METRICBEAT]: annotate(metricbeatText, 'DaemonSet') } },
    ],
    invalid: [
      {
        name: 'metricbeat-kubernetes.yaml: unique: true provider in the DaemonSet',
        files: { [METRICBEAT]: metricbeatText },
        findings: [
          {
            severity: 'medium',
            key: 'autodiscover.unique@ConfigMap/metricbeat-daemonset-config/data.metricbeat.yml',
            line: 25,
            messageIncludes: ['per-node agent DaemonSet "kube-system/metricbeat"', 'unmapped (5,000 nodes, assumed): relist 0 B, 1,563 req/s, 0.78× capacity — strains'],
          },
        ],
      },
    ],
  });
  describe('real-world manifests: fixtures', () => {
    it('line 25 of metricbeat-kubernetes.yaml is the unique: true line', () => {
      expect(lineContaining(metricbeatText, 'unique: true')).toBe(25);
    });
    it('the annotation-only PRs really change the DaemonSets', () => {
      for (const text of [filebeatText, metricbeatText]) expect(annotate(text, 'DaemonSet').split('\n').length).toBe(text.split('\n').length + 2);
    });
  });
} else {
  describe.skip('real-world manifests (../shared/corpus is absent)', () => {
    it('skipped', () => {});
  });
}
