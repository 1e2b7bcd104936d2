/**
 * Table tests of watch-all/prometheus-sd. Each dangerous case has a safe twin: the same agent properly
 * node-scoped, or (for roles that cannot be node-scoped) the same config in a central Deployment. No case
 * carries RBAC objects: the config alone is the evidence (the Prometheus DaemonSet whose
 * ServiceAccount has no RBAC in the repository). Severities follow the load model at the defaults: pods
 * cluster-wide ≈ 27× at 5,000 nodes (critical), 0.01× at 100 (low); nodes, services or ingresses ≈ 0.91×
 * at 5,000 (medium); endpoints(+services+pods) ≈ 55× (critical).
 */
import { describe, expect, it } from 'vitest';
import { configScope } from '../../../src/agents/kit.js';
import { treeFromFiles } from '../../../src/tree.js';
import { detector, fieldNames, prometheusSd } from '../../../rules/watch-all/prometheus-sd.js';
import { lineContaining, ruleTester, runCase, type ExpectedFinding } from '../../helpers/rule-tester.js';
import { annotate, HAS_CORPUS, readCorpus } from '../../helpers/corpus.js';

const lineOf = lineContaining;
const RULE = 'watch-all/prometheus-sd';

const fleet = (...clusters: Array<[string, number]>) => ({ fleet: { clusters: clusters.map(([name, nodes]) => ({ name, nodes, paths: ['**'] })) } });
const SMALL = fleet(['staging', 100]);
const BIG = fleet(['big', 5000]);
const TRAP = fleet(['canary-1', 60], ['prod-us', 4800]);

const indent = (text: string, by: string) =>
  text
    .trim()
    .split('\n')
    .map((l) => (l ? by + l : l))
    .join('\n');

interface AgentSpec {
  kind?: string;
  name?: string;
  image?: string;
  key?: string;
  annotations?: Record<string, string>;
}

/** A per-node agent (DaemonSet) and the ConfigMap holding its config in a `|` block; no RBAC. */
function agent(config: string, a: AgentSpec = {}): string {
  const name = a.name ?? 'prometheus-agent';
  const ann = a.annotations ? ['  annotations:', ...Object.entries(a.annotations).map(([k, v]) => `    ${k}: ${JSON.stringify(v)}`)] : [];
  return [
    'apiVersion: apps/v1',
    `kind: ${a.kind ?? 'DaemonSet'}`,
    'metadata:',
    `  name: ${name}`,
    '  namespace: monitoring',
    ...ann,
    'spec:',
    `  selector: {matchLabels: {app: ${name}}}`,
    '  template:',
    `    metadata: {labels: {app: ${name}}}`,
    '    spec:',
    `      serviceAccountName: ${name}`,
    '      containers:',
    '        - name: agent',
    `          image: ${a.image ?? 'quay.io/prometheus/prometheus:v3.5.0'}`,
    `          args: ["--config.file=/etc/agent/${a.key ?? 'prometheus.yml'}", "--agent"]`,
    '          env:',
    '            - name: NODE_NAME',
    '              valueFrom: {fieldRef: {fieldPath: spec.nodeName}}',
    '          volumeMounts: [{name: config, mountPath: /etc/agent}]',
    '      volumes:',
    '        - name: config',
    `          configMap: {name: ${name}}`,
    '---',
    'apiVersion: v1',
    'kind: ConfigMap',
    'metadata:',
    `  name: ${name}`,
    '  namespace: monitoring',
    'data:',
    `  ${a.key ?? 'prometheus.yml'}: |`,
    indent(config, '    '),
    '',
  ].join('\n');
}

const FILE = 'infrastructure/monitoring/prometheus-agent.yaml';
const file = (text: string) => ({ [FILE]: text });

/** One scrape job with one kubernetes_sd_configs entry (`sd` is the entry's YAML after `- `). */
const scrape = (sd: string, job = 'kubernetes-pods', more = '') => `global:
  scrape_interval: 30s
scrape_configs:
  - job_name: ${job}
    kubernetes_sd_configs:
      - ${indent(sd, '        ').trimStart()}
    relabel_configs:
      - source_labels: [__meta_kubernetes_pod_annotation_prometheus_io_scrape]
        action: keep
        regex: "true"${more}`;

const NODE_SEL = 'selectors:\n  - role: pod\n    field: spec.nodeName=${NODE_NAME}';
const POD_WIDE = scrape('role: pod');
const POD_NODE = scrape(`role: pod\n${NODE_SEL}`);
const RELABEL = `
      - source_labels: [__meta_kubernetes_pod_node_name]
        action: keep
        regex: \${NODE_NAME}`;
const POD_RELABEL = scrape('role: pod', 'kubernetes-pods', RELABEL);
const POD_NODE_RELABEL = scrape(`role: pod\n${NODE_SEL}`, 'kubernetes-pods', RELABEL);
const ENDPOINTS = scrape('role: endpoints', 'kubernetes-service-endpoints');
const SLICES_NODE_PODS = scrape(`role: endpointslice\n${NODE_SEL}`, 'kubernetes-endpointslices');
const SERVICES = scrape('role: service', 'blackbox-services');
const INGRESSES = scrape('role: ingress', 'blackbox-ingresses');
const NODES = scrape('role: node', 'kubelet');
const NODES_SCOPED = scrape('role: node\nselectors:\n  - role: node\n    field: metadata.name=${NODE_NAME}', 'kubelet');
const NAMESPACED = scrape('role: pod\nnamespaces:\n  names: [ingress-nginx, payments]');
const NAMESPACED_NODE = scrape(`role: pod\nnamespaces:\n  names: [ingress-nginx, payments]\n${NODE_SEL}`);
const ATTACH = scrape(`role: pod\nattach_metadata:\n  node: true\n${NODE_SEL}`);
const ATTACH_SCOPED = scrape(`role: pod\nattach_metadata:\n  node: true\n${NODE_SEL}\n  - role: node\n    field: metadata.name=\${NODE_NAME}`);
const ATTACH_WIDE = scrape('role: pod\nattach_metadata:\n  node: true');
const SHARED = `scrape_configs:
  - job_name: pods-a
    kubernetes_sd_configs:
      - role: pod
  - job_name: pods-b
    kubernetes_sd_configs:
      - role: pod
  - job_name: static
    static_configs:
      - targets: [localhost:9090]`;

// Grafana Agent static mode: metrics (Prometheus semantics) and logs (embedded Promtail).
const agentStatic = (metricsSd: string) => `server:
  log_level: info
metrics:
  global:
    scrape_interval: 30s
  configs:
    - name: default
      scrape_configs:
        - job_name: kubernetes-pods
          kubernetes_sd_configs:
            - ${indent(metricsSd, '              ').trimStart()}
logs:
  configs:
    - name: default
      positions:
        filename: /tmp/positions.yaml
      clients:
        - url: http://loki:3100/loki/api/v1/push
      scrape_configs:
        - job_name: pod-logs
          kubernetes_sd_configs:
            - role: pod`;
const AGENT_STATIC_WIDE = agentStatic('role: pod');
const AGENT_STATIC_NODE = agentStatic(`role: pod\n${NODE_SEL}`);

const promtail = (sd: string) => `server:
  http_listen_port: 3101
positions:
  filename: /run/promtail/positions.yaml
clients:
  - url: http://loki-gateway/loki/api/v1/push
scrape_configs:
  - job_name: kubernetes-pods
    kubernetes_sd_configs:
      - ${indent(sd, '        ').trimStart()}
    relabel_configs:
      - source_labels: [__meta_kubernetes_pod_node_name]
        target_label: __host__`;
const PROMTAIL_IMAGE = 'docker.io/grafana/promtail:3.5.1';
const promtailAgent = (sd: string) => agent(promtail(sd), { name: 'promtail', image: PROMTAIL_IMAGE, key: 'promtail.yaml' });
const PROMTAIL_POD = promtailAgent('role: pod');
const PROMTAIL_OWN_SELECTORS = promtailAgent('role: pod\nselectors:\n  - role: pod\n    label: app.kubernetes.io/part-of=payments');
const PROMTAIL_OWN_NODE = promtailAgent('role: pod\nselectors:\n  - role: pod\n    label: app.kubernetes.io/part-of=payments\n    field: spec.nodeName=${HOSTNAME}');
const PROMTAIL_ENDPOINTS = promtailAgent('role: endpoints');
// Promtail recognised by its image alone (clients given with -client.url, no positions block).
const PROMTAIL_BY_IMAGE = agent('scrape_configs:\n  - job_name: pods\n    kubernetes_sd_configs:\n      - role: pod', { name: 'promtail', image: PROMTAIL_IMAGE, key: 'promtail.yaml' });

/** An OpenTelemetry Collector CR with a prometheus receiver. */
const otel = (mode: string, sd: string) => `apiVersion: opentelemetry.io/v1beta1
kind: OpenTelemetryCollector
metadata:
  name: node-agent
  namespace: monitoring
spec:
  mode: ${mode}
  config:
    receivers:
      prometheus/pods:
        config:
          scrape_configs:
            - job_name: kubernetes-pods
              kubernetes_sd_configs:
                - ${indent(sd, '                  ').trimStart()}
    exporters: {debug: {}}
    service:
      pipelines:
        metrics: {receivers: [prometheus/pods], exporters: [debug]}
`;
const OTEL_WIDE = otel('daemonset', 'role: pod');
const OTEL_NODE = otel('daemonset', 'role: pod\nselectors:\n  - role: pod\n    field: spec.nodeName=${env:K8S_NODE_NAME}');

const STATIC_ONLY = agent('scrape_configs:\n  - job_name: self\n    static_configs:\n      - targets: [localhost:9090]');
const IGNORED = agent(POD_WIDE, { annotations: { 'blast-radius.dev/ignore': `${RULE} -- two-node edge site, never grows` } });

const oddInput = [
  agent('scrape_configs: "not a list"', { name: 'a' }),
  agent('scrape_configs:\n  - job_name: x\n    kubernetes_sd_configs: null\n  - 7\n  - kubernetes_sd_configs: [null, {role: 5}, {role: Pod}, {selectors: [{role: pod}]}]', { name: 'b' }),
  agent('[INPUT]\n    Name tail', { name: 'c', key: 'fluent-bit.conf' }),
  agent('- just\n- a list', { name: 'd' }),
  agent('anchors: &a {scrape_configs: [{kubernetes_sd_configs: [{role: 7}]}]}\nagain: *a', { name: 'e' }),
].join('---\n');

const ALIASED = agent('anchors: &a {scrape_configs: [{kubernetes_sd_configs: [{role: pod, selectors: "spec.nodeName=x"}]}]}\nagain: *a');

const KEY = (job: string, role: string, cm = 'prometheus-agent', key = 'prometheus.yml', prefix = 'scrape_configs') => `${prefix}/${job}/${role}@ConfigMap/${cm}/data.${key}`;
const at = (severity: ExpectedFinding['severity'], text: string, needle: string, key: string, messageIncludes?: string[], nth = 1): ExpectedFinding => ({
  severity,
  key,
  line: lineOf(text, needle, nth),
  ...(messageIncludes ? { messageIncludes } : {}),
});

const podWide = agent(POD_WIDE);

ruleTester(prometheusSd).run({
  valid: [
    { name: 'role pod with a spec.nodeName selector (twin of the cluster-wide pod cases)', files: file(agent(POD_NODE)), config: BIG },
    { name: 'node selector plus a relabel keep: the selector scopes, the relabel is harmless', files: file(agent(POD_NODE_RELABEL)), config: BIG },
    { name: 'endpoints discovery in a central Prometheus Deployment (twin of the endpoints case)', files: file(agent(ENDPOINTS, { kind: 'Deployment' })), config: BIG },
    { name: 'service discovery in a StatefulSet', files: file(agent(SERVICES, { kind: 'StatefulSet' })), config: BIG },
    { name: 'cluster-wide pod discovery in a Deployment', files: file(agent(POD_WIDE, { kind: 'Deployment' })), config: BIG },
    { name: 'role node with a metadata.name selector (twin of the node case)', files: file(agent(NODES_SCOPED)), config: BIG },
    { name: 'namespaces plus a node selector (twin of the namespaced case)', files: file(agent(NAMESPACED_NODE)), config: BIG },
    { name: 'attach_metadata node with a node selector too (twin of the attach case)', files: file(agent(ATTACH_SCOPED)), config: BIG },
    { name: 'Promtail pod discovery: Promtail adds spec.nodeName itself', files: file(PROMTAIL_POD), config: BIG },
    { name: 'Promtail recognised by its image', files: file(PROMTAIL_BY_IMAGE), config: BIG },
    { name: 'Promtail with its own selectors that name the node (twin of the own-selectors case)', files: file(PROMTAIL_OWN_NODE), config: BIG },
    { name: 'Grafana Agent static mode, node-scoped metrics and Promtail-style logs (twin)', files: file(agent(AGENT_STATIC_NODE, { name: 'grafana-agent', image: 'docker.io/grafana/agent:v0.44.2', key: 'agent.yaml' })), config: BIG },
    { name: 'OpenTelemetry Collector daemonset, prometheus receiver with ${env:…} node selector (twin)', files: file(OTEL_NODE), config: BIG },
    { name: 'OpenTelemetry Collector in deployment mode', files: file(otel('deployment', 'role: pod')), config: BIG },
    // The operator moves the receivers' scrape configs to the target allocator (a Deployment).
    { name: 'OpenTelemetry Collector daemonset with the target allocator enabled', files: file(OTEL_WIDE.replace('  mode: daemonset\n', '  mode: daemonset\n  targetAllocator:\n    enabled: true\n')), config: BIG },
    { name: 'static_configs only', files: file(STATIC_ONLY), config: BIG },
    { name: 'already on the base, reaching the same clusters', base: file(podWide), files: file(podWide), config: TRAP },
    { name: 'rule turned off in the config', files: file(podWide), config: { ...BIG, rules: { [RULE]: 'off' } } },
    { name: 'odd input never throws', files: { 'odd.yaml': oddInput }, config: BIG },
    {
      name: 'ignore annotation suppresses the finding',
      files: file(IGNORED),
      config: BIG,
      suppressed: [at('critical', IGNORED, '- role: pod', KEY('kubernetes-pods', 'pod'))],
    },
  ],
  invalid: [
    {
      name: 'Prometheus DaemonSet, role pod without a node selector, no RBAC in the repo, 5,000 nodes: critical',
      files: file(podWide),
      config: BIG,
      findings: [
        at('critical', podWide, '- role: pod', KEY('kubernetes-pods', 'pod'), [
          'per-node agent DaemonSet "monitoring/prometheus-agent", config ConfigMap "prometheus-agent" key "prometheus.yml"',
          'scrape_configs job "kubernetes-pods" kubernetes_sd_configs role "pod" lists and watches pods cluster-wide: no selectors entry {role: pod, field: "spec.nodeName=<node>"}',
          'big (5,000 nodes): relist 5.6 TiB, 27× capacity — overload',
        ]),
      ],
    },
    {
      name: 'the same on one 100-node cluster: low',
      files: file(podWide),
      config: SMALL,
      findings: [at('low', podWide, '- role: pod', KEY('kubernetes-pods', 'pod'), ['staging (100 nodes): relist 2.3 GiB, 0.01× capacity — passes'])],
    },
    {
      name: 'staging trap: the 60-node canary passes, the 4,800-node production overloads',
      files: file(podWide),
      config: TRAP,
      findings: [at('critical', podWide, '- role: pod', KEY('kubernetes-pods', 'pod'), ['canary-1 (60 nodes): relist 0.8 GiB, 0.004× capacity — passes; prod-us (4,800 nodes): 5.1 TiB, 25× — overload'])],
    },
    {
      name: 'no config: unmapped, 5,000 nodes assumed',
      files: file(podWide),
      findings: [at('critical', podWide, '- role: pod', KEY('kubernetes-pods', 'pod'), ['unmapped (5,000 nodes, assumed): relist 5.6 TiB, 27× capacity — overload'])],
    },
    {
      name: 'relabel-only node filtering: still the model severity, and the message says why',
      files: file(agent(POD_RELABEL)),
      config: BIG,
      findings: [
        at('critical', agent(POD_RELABEL), '- role: pod', KEY('kubernetes-pods', 'pod'), [
          `relabel_configs keep on "__meta_kubernetes_pod_node_name" drops other nodes' targets only after discovery, so the API servers still send every object to every replica`,
        ]),
      ],
    },
    {
      name: 'role endpoints: endpoints, services and pods cluster-wide',
      files: file(agent(ENDPOINTS)),
      config: BIG,
      findings: [at('critical', agent(ENDPOINTS), '- role: endpoints', KEY('kubernetes-service-endpoints', 'endpoints'), ['lists and watches endpoints, services and pods cluster-wide: endpoints cannot be bounded to a node'])],
    },
    {
      name: 'role endpointslice with a pod node selector: the slices stay cluster-sized',
      files: file(agent(SLICES_NODE_PODS)),
      config: BIG,
      findings: [at('critical', agent(SLICES_NODE_PODS), '- role: endpointslice', KEY('kubernetes-endpointslices', 'endpointslice'), ['lists and watches endpointslices and services cluster-wide: endpointslices cannot be bounded to a node, and discovery also lists the services they point at'])],
    },
    {
      name: 'role service: services cluster-wide, medium at 5,000 nodes',
      files: file(agent(SERVICES)),
      config: BIG,
      findings: [at('medium', agent(SERVICES), '- role: service', KEY('blackbox-services', 'service'), ['lists and watches services cluster-wide: services cannot be bounded to a node', 'big (5,000 nodes): relist 191 GiB, 0.91× capacity — strains'])],
    },
    {
      name: 'role ingress: ingresses cluster-wide',
      files: file(agent(INGRESSES)),
      config: BIG,
      findings: [at('medium', agent(INGRESSES), '- role: ingress', KEY('blackbox-ingresses', 'ingress'), ['lists and watches ingresses cluster-wide'])],
    },
    {
      name: 'role node without a metadata.name selector: medium at 5,000 nodes',
      files: file(agent(NODES)),
      config: BIG,
      findings: [at('medium', agent(NODES), '- role: node', KEY('kubelet', 'node'), ['lists and watches nodes cluster-wide: no selectors entry {role: node, field: "metadata.name=<node>"}'])],
    },
    {
      name: 'role node on 100 nodes: low',
      files: file(agent(NODES)),
      config: SMALL,
      findings: [at('low', agent(NODES), '- role: node', KEY('kubelet', 'node'))],
    },
    {
      name: 'namespaces.names: capped at high',
      files: file(agent(NAMESPACED)),
      config: BIG,
      findings: [at('high', agent(NAMESPACED), '- role: pod', KEY('kubernetes-pods', 'pod'), ['namespaces.names "ingress-nginx" and "payments" lowers the count but not its growth with nodes (capped at high)'])],
    },
    {
      name: 'attach_metadata node on a node-scoped pod discovery: a cluster-wide node watch, at most medium',
      files: file(agent(ATTACH)),
      config: BIG,
      findings: [at('medium', agent(ATTACH), 'node: true', `${KEY('kubernetes-pods', 'pod').replace('/pod@', '/pod.attach_metadata.node@')}`, ['lists pods of its own node, but attach_metadata node watches nodes cluster-wide'])],
    },
    {
      name: 'attach_metadata node on a cluster-wide pod discovery: pods and nodes',
      files: file(agent(ATTACH_WIDE)),
      config: BIG,
      findings: [at('critical', agent(ATTACH_WIDE), '- role: pod', KEY('kubernetes-pods', 'pod'), ['lists and watches pods and nodes cluster-wide', 'attach_metadata node adds a cluster-wide node watch'])],
    },
    {
      name: 'identical SD configs in two jobs are one discovery: one finding',
      files: file(agent(SHARED)),
      config: BIG,
      findings: [at('critical', agent(SHARED), '- role: pod', KEY('pods-a', 'pod'), ['scrape_configs job "pods-a" (shared with "pods-b") kubernetes_sd_configs role "pod"'])],
    },
    {
      name: 'Grafana Agent static mode: metrics pod discovery cluster-wide (the logs one is Promtail: quiet)',
      files: file(agent(AGENT_STATIC_WIDE, { name: 'grafana-agent', image: 'docker.io/grafana/agent:v0.44.2', key: 'agent.yaml' })),
      config: BIG,
      findings: [
        at('critical', agent(AGENT_STATIC_WIDE, { name: 'grafana-agent', image: 'docker.io/grafana/agent:v0.44.2', key: 'agent.yaml' }), '- role: pod', KEY('kubernetes-pods', 'pod', 'grafana-agent', 'agent.yaml', 'metrics.configs[default].scrape_configs')),
      ],
    },
    {
      name: 'OpenTelemetry Collector daemonset: prometheus receiver pod discovery cluster-wide, at the line in the CR',
      files: file(OTEL_WIDE),
      config: BIG,
      findings: [
        {
          severity: 'critical',
          key: 'receivers.prometheus/pods.config.scrape_configs/kubernetes-pods/pod@OpenTelemetryCollector/node-agent/spec.config',
          line: lineOf(OTEL_WIDE, '- role: pod'),
          messageIncludes: ['per-node agent OpenTelemetryCollector "monitoring/node-agent", config "spec.config"'],
        },
      ],
    },
    {
      name: 'Promtail pod discovery with selectors of its own and no node field: Promtail adds nothing',
      files: file(PROMTAIL_OWN_SELECTORS),
      config: BIG,
      findings: [
        at('critical', PROMTAIL_OWN_SELECTORS, '- role: pod', KEY('kubernetes-pods', 'pod', 'promtail', 'promtail.yaml'), [
          'Promtail scrape_configs job "kubernetes-pods"',
          'Promtail adds its spec.nodeName selector only to pod discovery without selectors, and these selectors name no node',
        ]),
      ],
    },
    {
      name: 'Promtail role endpoints: SCALE-PT-2, capped at medium',
      files: file(PROMTAIL_ENDPOINTS),
      config: BIG,
      findings: [at('medium', PROMTAIL_ENDPOINTS, '- role: endpoints', KEY('kubernetes-pods', 'endpoints', 'promtail', 'promtail.yaml'), ['56× capacity — overload'])],
    },
    {
      name: 'a YAML alias repeating a scrape_configs list is read once, at the anchor; a string selectors is no selector',
      files: file(ALIASED),
      config: BIG,
      findings: [at('critical', ALIASED, 'anchors:', KEY('#1', 'pod', 'prometheus-agent', 'prometheus.yml', 'anchors.scrape_configs'))],
    },
    {
      name: 'a PR that only edits the ConfigMap to drop the node selector is new',
      base: file(agent(POD_NODE)),
      files: file(podWide),
      config: BIG,
      findings: [at('critical', podWide, '- role: pod', KEY('kubernetes-pods', 'pod'))],
    },
  ],
});

describe('prometheus-sd detector', () => {
  const scopeOf = (text: string) => {
    const t = treeFromFiles('head', [{ path: 'a.yaml', text }]);
    const w = t.objects.find((o) => o.kind === 'DaemonSet' || o.kind === 'OpenTelemetryCollector')!;
    return configScope(w, t.objects, [detector])?.scope;
  };
  it('settles the agent scope for the RBAC rule: node when scoped, cluster when not', () => {
    expect(scopeOf(agent(POD_NODE))).toBe('node');
    expect(scopeOf(PROMTAIL_POD)).toBe('node');
    expect(scopeOf(OTEL_NODE)).toBe('node');
    expect(scopeOf(podWide)).toBe('cluster');
    expect(scopeOf(agent(POD_RELABEL))).toBe('cluster');
    expect(scopeOf(agent(SERVICES))).toBeUndefined(); // services do not scale with nodes
  });
  it('reads a field selector term by term', () => {
    expect(fieldNames('spec.nodeName=node-a', 'spec.nodeName')).toBe(true);
    expect(fieldNames('status.phase=Running,spec.nodeName==node-a', 'spec.nodeName')).toBe(true);
    expect(fieldNames('spec.nodeName!=node-a', 'spec.nodeName')).toBe(false);
    expect(fieldNames('spec.nodeName=', 'spec.nodeName')).toBe(false);
    expect(fieldNames('spec.nodeName=', 'spec.nodeName', true)).toBe(true);
    expect(fieldNames('metadata.name=node-a', 'spec.nodeName')).toBe(false);
    expect(fieldNames('metadata.name=node-a', 'metadata.name')).toBe(true);
  });
});

// ---- real-world manifests -------------------------------------------------------------------------

const KUBE_STACK = 'open-telemetry+opentelemetry-helm-charts/charts/opentelemetry-kube-stack/examples';
const KS_DEFAULT = `${KUBE_STACK}/default/rendered/collector.yaml`;
const KS_PRESETS = `${KUBE_STACK}/daemonset-prometheus-presets/rendered/collector.yaml`;
const DD_OTEL = 'DataDog+helm-charts/test/datadog/baseline/manifests/otel-agent_full.yaml';
const NGINX_PROM = 'kubernetes+ingress-nginx/deploy/prometheus';

if (HAS_CORPUS) {
  const ksDefault = readCorpus(KS_DEFAULT);
  const ksPresets = readCorpus(KS_PRESETS);
  const ddOtel = readCorpus(DD_OTEL);
  const nginx = Object.fromEntries(['kustomization.yaml', 'prometheus.yaml', 'deployment.yaml', 'role.yaml', 'role-binding.yaml', 'service-account.yaml', 'service.yaml'].map((f) => [`${NGINX_PROM}/${f}`, readCorpus(`${NGINX_PROM}/${f}`)]));
  // A copy of the kube-stack default with the pod discovery's node selector removed (the corpus is read-only).
  const selector = '              selectors:\n              - field: spec.nodeName=${env:OTEL_K8S_NODE_NAME}\n                role: pod\n';
  const ksUnscoped = ksDefault.replace(selector, '');

  describe('real-world manifests: the variants really differ', () => {
    it('the unscoped copy lost exactly the pod selector, and the annotation lands on the CR', () => {
      expect(ksDefault).toContain(selector);
      expect(ksUnscoped.split('\n').length).toBe(ksDefault.split('\n').length - 3);
      expect(annotate(ksUnscoped, 'OpenTelemetryCollector').split('\n').length).toBe(ksUnscoped.split('\n').length + 2);
    });
  });

  // Expected from RULEBOOK A.6 before the rule ever ran on these files (no config: unmapped, 5,000 nodes
  // assumed). prometheus-community/helm-charts holds no rendered DaemonSet-mode Prometheus (only the values
  // file charts/prometheus/ci/17-daemonset-values.yaml), and grafana/helm-charts Promtail only values: none
  // is used here. The rendered per-node Prometheus SD in the corpus is the OpenTelemetry kube-stack's:
  // - kube-stack default: OpenTelemetryCollector "default/example-daemon", mode daemonset; its prometheus
  //   receiver has job kubernetes-pods (role pod, selector spec.nodeName=${env:OTEL_K8S_NODE_NAME}) and job
  //   kubelet (role node, selector metadata.name=${env:OTEL_K8S_NODE_NAME}) → both node-scoped → quiet;
  // - kube-stack daemonset-prometheus-presets: the same pod discovery, node-scoped → quiet;
  // - the same default with the pod selector removed (a copy) → critical, at the `- role: pod` line inside
  //   the CR, key receivers.prometheus.config.scrape_configs/kubernetes-pods/pod, 27× at 5,000 nodes;
  // - DataDog otel-agent_full: its prometheus receiver has static_configs only → quiet;
  // - ingress-nginx deploy/prometheus: a Deployment (role pod in namespace ingress-nginx) → quiet.
  ruleTester(prometheusSd).run({
    valid: [
      { name: 'kube-stack default: node-scoped pod and node discovery', files: { [KS_DEFAULT]: ksDefault } },
      { name: 'kube-stack daemonset-prometheus-presets', files: { [KS_PRESETS]: ksPresets } },
      { name: 'DataDog otel-agent_full: static_configs only', files: { [DD_OTEL]: ddOtel } },
      { name: 'ingress-nginx deploy/prometheus: a Deployment', files: nginx },
      { name: 'kube-stack unscoped copy: only an annotation added to the CR', base: { [KS_DEFAULT]: ksUnscoped }, files: { [KS_DEFAULT]: annotate(ksUnscoped, 'OpenTelemetryCollector') } },
    ],
    invalid: [
      {
        name: 'kube-stack default without its pod node selector (a copy)',
        files: { [KS_DEFAULT]: ksUnscoped },
        findings: [
          {
            severity: 'critical',
            key: 'receivers.prometheus.config.scrape_configs/kubernetes-pods/pod@OpenTelemetryCollector/example-daemon/spec.config',
            line: lineOf(ksUnscoped, '- role: pod'),
            messageIncludes: ['OpenTelemetryCollector "default/example-daemon"', 'unmapped (5,000 nodes, assumed): relist 5.6 TiB, 27× capacity — overload'],
          },
        ],
      },
    ],
  });

  describe('real-world manifests: scope evidence', () => {
    it('the kube-stack daemon collector is node-scoped by its prometheus receiver', () => {
      const t = treeFromFiles('head', [{ path: KS_DEFAULT, text: ksDefault }]);
      const daemon = t.objects.find((o) => o.kind === 'OpenTelemetryCollector' && o.name === 'example-daemon')!;
      expect(configScope(daemon, t.objects, [detector])).toMatchObject({ scope: 'node' });
    });
    it('no finding on any corpus file without a config', () => {
      const { live } = runCase(prometheusSd, { name: 'all', files: { [KS_DEFAULT]: ksDefault, [KS_PRESETS]: ksPresets, [DD_OTEL]: ddOtel } });
      expect(live).toEqual([]);
    });
  });
} else {
  describe.skip('real-world manifests (../shared/corpus is absent)', () => {
    it('skipped', () => {});
  });
}
