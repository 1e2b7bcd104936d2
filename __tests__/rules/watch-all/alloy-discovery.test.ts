/**
 * Table tests of watch-all/alloy-discovery and its River block scanner. Each dangerous case has a safe twin:
 * the same Alloy properly node-scoped, or (for what cannot be node-scoped) the same config in a Deployment.
 * No case carries RBAC: the config alone is the evidence. Severities follow the load model at the defaults
 * (pods or events cluster-wide ≈ 27× at 5,000 nodes: critical; nodes, services, ingresses ≈ 0.91×:
 * medium; endpoints(+services+pods) ≈ 56×: critical; anything at 100 nodes: low).
 */
import { existsSync, readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { configScope } from '../../../src/agents/kit.js';
import { treeFromFiles } from '../../../src/tree.js';
import { allBlocks, alloyDiscovery, detector, scanRiver } from '../../../rules/watch-all/alloy-discovery.js';
import { lineContaining, ruleTester, runCase, type ExpectedFinding } from '../../helpers/rule-tester.js';
import { annotate, CORPUS_DIR, HAS_CORPUS, readCorpus } from '../../helpers/corpus.js';

const lineOf = lineContaining;
const RULE = 'watch-all/alloy-discovery';

const fleet = (...clusters: Array<[string, number]>) => ({ fleet: { clusters: clusters.map(([name, nodes]) => ({ name, nodes, paths: ['**'] })) } });
const SMALL = fleet(['staging', 100]);
const BIG = fleet(['big', 5000]);
const TRAP = fleet(['canary-1', 60], ['prod-us', 4800]);

interface AlloySpec {
  kind?: string;
  key?: string;
  annotations?: Record<string, string>;
}

/** An Alloy DaemonSet (HOSTNAME from spec.nodeName, as the chart sets it) and its ConfigMap; no RBAC. */
function alloy(config: string, a: AlloySpec = {}): string {
  const key = a.key ?? 'config.alloy';
  const ann = a.annotations ? ['  annotations:', ...Object.entries(a.annotations).map(([k, v]) => `    ${k}: ${JSON.stringify(v)}`)] : [];
  return [
    'apiVersion: apps/v1',
    `kind: ${a.kind ?? 'DaemonSet'}`,
    'metadata:',
    '  name: alloy',
    '  namespace: monitoring',
    ...ann,
    'spec:',
    '  selector: {matchLabels: {app: alloy}}',
    '  template:',
    '    metadata: {labels: {app: alloy}}',
    '    spec:',
    '      serviceAccountName: alloy',
    '      containers:',
    '        - name: alloy',
    '          image: docker.io/grafana/alloy:v1.18.1',
    `          args: [run, /etc/alloy/${key}]`,
    '          env:',
    '            - name: HOSTNAME',
    '              valueFrom: {fieldRef: {fieldPath: spec.nodeName}}',
    '          volumeMounts: [{name: config, mountPath: /etc/alloy}]',
    '      volumes:',
    '        - name: config',
    '          configMap: {name: alloy}',
    '---',
    'apiVersion: v1',
    'kind: ConfigMap',
    'metadata:',
    '  name: alloy',
    '  namespace: monitoring',
    'data:',
    `  ${key}: |`,
    ...config
      .trim()
      .split('\n')
      .map((l) => (l ? `    ${l}` : l)),
    '',
  ].join('\n');
}

const FILE = 'infrastructure/monitoring/alloy.yaml';
const file = (text: string) => ({ [FILE]: text });

const WRITE = `
prometheus.scrape "pods" {
  targets    = discovery.kubernetes.pods.targets
  forward_to = [prometheus.remote_write.default.receiver]
}

prometheus.remote_write "default" {
  endpoint {
    url = "https://prometheus.example.com/api/v1/write"
  }
}`;

const discovery = (label: string, body: string, rest = WRITE) => `logging {
  level  = "info"
  format = "logfmt"
}

discovery.kubernetes "${label}" {
${body
  .trim()
  .split('\n')
  .map((l) => `  ${l}`)
  .join('\n')}
}
${rest}`;

const NODE_SELECTOR = 'selectors {\n  role  = "pod"\n  field = "spec.nodeName=" + sys.env("HOSTNAME")\n}';
const POD_WIDE = discovery('pods', 'role = "pod"');
const POD_NODE = discovery('pods', `role = "pod"\n${NODE_SELECTOR}`);
const POD_FLOW_ENV = discovery('pods', 'role = "pod"\nselectors {\n  role  = "pod"\n  field = "spec.nodeName=" + env("HOSTNAME")\n}');
const POD_COALESCE = discovery('pods', 'role = "pod"\nselectors {\n  role  = "pod"\n  field = "spec.nodeName=" + coalesce(sys.env("HOSTNAME"),\n    constants.hostname)\n}');
const POD_LABEL_ONLY = discovery('pods', 'role = "pod"\nselectors {\n  role  = "pod"\n  label = "app.kubernetes.io/part-of=payments"\n}');
const POD_WRONG_ROLE = discovery('pods', 'role = "pod"\nselectors {\n  role  = "node"\n  field = "spec.nodeName=" + sys.env("HOSTNAME")\n}');
// Braces, quotes and the selector text inside comments and strings must not fool the scanner.
const POD_TRICKY = discovery(
  'pods',
  'role = "pod" // selectors { role = "pod" field = "spec.nodeName=x" }\n/* selectors {\n  role = "pod"\n  field = "spec.nodeName=x"\n} */\nkubeconfig_file = "/etc/{weird}\\"path\\"/config"',
);
const NODES = discovery('nodes', 'role = "node"');
const NODES_SCOPED = discovery('nodes', 'role = "node"\nselectors {\n  role  = "node"\n  field = "metadata.name=" + sys.env("HOSTNAME")\n}');
const ENDPOINTS = discovery('endpoints', 'role = "endpoints"');
const SERVICES = discovery('services', 'role = "service"');
const NAMESPACED = discovery('pods', 'role = "pod"\nnamespaces {\n  names = ["payments", "checkout"]\n}');
const ATTACH = discovery('pods', `role = "pod"\n${NODE_SELECTOR}\nattach_metadata {\n  node = true\n}`);
const ATTACH_SCOPED = discovery('pods', `role = "pod"\n${NODE_SELECTOR}\nselectors {\n  role  = "node"\n  field = "metadata.name=" + sys.env("HOSTNAME")\n}\nattach_metadata {\n  node = true\n}`);
const RELABEL = discovery(
  'pods',
  'role = "pod"',
  `
discovery.relabel "local" {
  targets = discovery.kubernetes.pods.targets
  rule {
    source_labels = ["__meta_kubernetes_pod_node_name"]
    action        = "keep"
    regex         = sys.env("HOSTNAME")
  }
}
${WRITE}`,
);
const CLUSTERED = discovery(
  'pods',
  'role = "pod"',
  `
prometheus.scrape "pods" {
  targets    = discovery.kubernetes.pods.targets
  forward_to = []
  clustering {
    enabled = true
  }
}`,
);
const EVENTS = `loki.source.kubernetes_events "cluster_events" {
  job_name   = "integrations/kubernetes/eventhandler"
  log_format = "logfmt"
  forward_to = [loki.write.default.receiver]
}

loki.write "default" {
  endpoint {
    url = "https://loki.example.com/loki/api/v1/push"
  }
}`;
const EVENTS_NAMESPACED = EVENTS.replace('log_format = "logfmt"', 'namespaces = ["payments"]');
const DECLARED = `declare "pod_metrics" {
  argument "forward_to" {
    optional = false
  }
  discovery.kubernetes "inner" {
    role = "pod"
  }
}

pod_metrics "default" {
  forward_to = []
}`;
const COMMENTED = `// discovery.kubernetes "old" {
//   role = "pod"
// }
/*
discovery.kubernetes "older" {
  role = "endpoints"
}
*/
discovery.kubelet "local" {
  url = "https://" + sys.env("HOSTNAME") + ":10250"
}`;
const IGNORED = alloy(POD_WIDE, { annotations: { 'blast-radius.dev/ignore': `${RULE} -- three-node lab cluster` } });

const oddInput = [
  alloy('discovery.kubernetes "a" {\n  role = "pod"\n  selectors {\n    field = "spec.nodeName=\n'),
  alloy('}}}} discovery.kubernetes { role = } = = "x" {'),
  alloy('discovery.kubernetes "b" {\n  role = sys.env("ROLE")\n}\nlogging { level = "info" }'),
  alloy(`${'a { '.repeat(200)}discovery.kubernetes "deep" { role = "pod" }`),
  alloy('/* never closed\ndiscovery.kubernetes "c" {\n  role = "pod"\n}'),
  alloy('x = `raw\nstring { with braces`\nloki.source.kubernetes_events "y" {'.replace('{', '{}')),
]
  .map((t, i) => t.replace(/name: alloy/g, `name: alloy-${i}`))
  .join('---\n');

const KEY = (component: string) => `${component}@ConfigMap/alloy/data.config.alloy`;
const at = (severity: ExpectedFinding['severity'], text: string, needle: string, key: string, messageIncludes?: string[]): ExpectedFinding => ({
  severity,
  key,
  line: lineOf(text, needle),
  ...(messageIncludes ? { messageIncludes } : {}),
});

const podWide = alloy(POD_WIDE);

ruleTester(alloyDiscovery).run({
  valid: [
    { name: 'role pod with a spec.nodeName selector from sys.env("HOSTNAME") (twin of the pod cases)', files: file(alloy(POD_NODE)), config: BIG },
    { name: 'Agent Flow env("HOSTNAME")', files: file(alloy(POD_FLOW_ENV, { key: 'config.river' })), config: BIG },
    { name: 'coalesce(sys.env("HOSTNAME"), constants.hostname) over two lines', files: file(alloy(POD_COALESCE)), config: BIG },
    { name: 'the same cluster-wide config in a Deployment is not per-node', files: file(alloy(POD_WIDE, { kind: 'Deployment' })), config: BIG },
    { name: 'endpoints discovery in a clustered StatefulSet (twin of the endpoints case)', files: file(alloy(ENDPOINTS, { kind: 'StatefulSet' })), config: BIG },
    { name: 'role node with a metadata.name selector (twin of the node case)', files: file(alloy(NODES_SCOPED)), config: BIG },
    { name: 'attach_metadata node with a node selector too (twin of the attach case)', files: file(alloy(ATTACH_SCOPED)), config: BIG },
    { name: 'kubernetes_events in a Deployment (twin of the events case)', files: file(alloy(EVENTS, { kind: 'Deployment' })), config: BIG },
    { name: 'commented-out discovery and discovery.kubelet only', files: file(alloy(COMMENTED)), config: BIG },
    { name: 'already on the base, reaching the same clusters', base: file(podWide), files: file(podWide), config: TRAP },
    { name: 'rule turned off in the config', files: file(podWide), config: { ...BIG, rules: { [RULE]: 'off' } } },
    {
      name: 'ignore annotation suppresses the finding',
      files: file(IGNORED),
      config: BIG,
      suppressed: [at('critical', IGNORED, 'discovery.kubernetes "pods" {', KEY('discovery.kubernetes.pods'))],
    },
  ],
  invalid: [
    {
      name: 'Alloy DaemonSet, role pod without a node selector, 5,000 nodes: critical at the block line',
      files: file(podWide),
      config: BIG,
      findings: [
        at('critical', podWide, 'discovery.kubernetes "pods" {', KEY('discovery.kubernetes.pods'), [
          'per-node agent DaemonSet "monitoring/alloy", config ConfigMap "alloy" key "config.alloy"',
          'discovery.kubernetes "pods" (role "pod") lists and watches pods cluster-wide: no selectors block with role = "pod" and field = "spec.nodeName=" + sys.env("HOSTNAME")',
          'big (5,000 nodes): relist 5.6 TiB, 27× capacity — overload',
        ]),
      ],
    },
    {
      name: 'the same on 100 nodes: low',
      files: file(podWide),
      config: SMALL,
      findings: [at('low', podWide, 'discovery.kubernetes "pods" {', KEY('discovery.kubernetes.pods'), ['staging (100 nodes): relist 2.3 GiB, 0.01× capacity — passes'])],
    },
    {
      name: 'staging trap and no config',
      files: file(podWide),
      findings: [at('critical', podWide, 'discovery.kubernetes "pods" {', KEY('discovery.kubernetes.pods'), ['unmapped (5,000 nodes, assumed)'])],
    },
    {
      name: 'a label-only pod selector does not scope to the node',
      files: file(alloy(POD_LABEL_ONLY)),
      config: BIG,
      findings: [at('critical', alloy(POD_LABEL_ONLY), 'discovery.kubernetes "pods" {', KEY('discovery.kubernetes.pods'))],
    },
    {
      name: 'a spec.nodeName field on a role "node" selector does not scope pods',
      files: file(alloy(POD_WRONG_ROLE)),
      config: BIG,
      findings: [at('critical', alloy(POD_WRONG_ROLE), 'discovery.kubernetes "pods" {', KEY('discovery.kubernetes.pods'))],
    },
    {
      name: 'selectors in comments and braces in strings are not read',
      files: file(alloy(POD_TRICKY)),
      config: BIG,
      findings: [at('critical', alloy(POD_TRICKY), 'discovery.kubernetes "pods" {', KEY('discovery.kubernetes.pods'))],
    },
    {
      name: 'role node: medium at 5,000 nodes',
      files: file(alloy(NODES)),
      config: BIG,
      findings: [at('medium', alloy(NODES), 'discovery.kubernetes "nodes" {', KEY('discovery.kubernetes.nodes'), ['(role "node") lists and watches nodes cluster-wide'])],
    },
    {
      name: 'role endpoints: endpoints, services and pods',
      files: file(alloy(ENDPOINTS)),
      config: BIG,
      findings: [at('critical', alloy(ENDPOINTS), 'discovery.kubernetes "endpoints" {', KEY('discovery.kubernetes.endpoints'), ['lists and watches endpoints, services and pods cluster-wide', '56× capacity'])],
    },
    {
      name: 'role service: medium',
      files: file(alloy(SERVICES)),
      config: BIG,
      findings: [at('medium', alloy(SERVICES), 'discovery.kubernetes "services" {', KEY('discovery.kubernetes.services'))],
    },
    {
      name: 'namespaces { names }: capped at high',
      files: file(alloy(NAMESPACED)),
      config: BIG,
      findings: [at('high', alloy(NAMESPACED), 'discovery.kubernetes "pods" {', KEY('discovery.kubernetes.pods'), ['namespaces { names } "payments" and "checkout" lowers the count'])],
    },
    {
      name: 'attach_metadata node on a node-scoped pod discovery: medium, at the attach_metadata block',
      files: file(alloy(ATTACH)),
      config: BIG,
      findings: [at('medium', alloy(ATTACH), 'attach_metadata {', KEY('discovery.kubernetes.pods.attach_metadata.node'))],
    },
    {
      name: 'relabel-only node filtering: the model severity, and the message says why',
      files: file(alloy(RELABEL)),
      config: BIG,
      findings: [at('critical', alloy(RELABEL), 'discovery.kubernetes "pods" {', KEY('discovery.kubernetes.pods'), [`discovery.relabel rule keep on "__meta_kubernetes_pod_node_name" drops other nodes' targets only after discovery`])],
    },
    {
      name: 'clustering does not reduce discovery reads',
      files: file(alloy(CLUSTERED)),
      config: BIG,
      findings: [at('critical', alloy(CLUSTERED), 'discovery.kubernetes "pods" {', KEY('discovery.kubernetes.pods'), ['clustering { enabled = true } shares scrape targets among replicas, not discovery'])],
    },
    {
      name: 'loki.source.kubernetes_events in a DaemonSet: events cluster-wide, critical at 5,000 nodes',
      files: file(alloy(EVENTS)),
      config: BIG,
      findings: [
        at('critical', alloy(EVENTS), 'loki.source.kubernetes_events "cluster_events" {', KEY('loki.source.kubernetes_events.cluster_events'), [
          'loki.source.kubernetes_events "cluster_events" lists and watches events cluster-wide on every node: the component has neither clustering nor leader election',
          '27× capacity — overload',
        ]),
      ],
    },
    {
      name: 'loki.source.kubernetes_events on 100 nodes: low',
      files: file(alloy(EVENTS)),
      config: SMALL,
      findings: [at('low', alloy(EVENTS), 'loki.source.kubernetes_events "cluster_events" {', KEY('loki.source.kubernetes_events.cluster_events'))],
    },
    {
      name: 'loki.source.kubernetes_events limited to namespaces: capped at high',
      files: file(alloy(EVENTS_NAMESPACED)),
      config: BIG,
      findings: [at('high', alloy(EVENTS_NAMESPACED), 'loki.source.kubernetes_events "cluster_events" {', KEY('loki.source.kubernetes_events.cluster_events'), ['namespaces "payments" lowers the count'])],
    },
    {
      name: 'a discovery inside a declare block',
      files: file(alloy(DECLARED)),
      config: BIG,
      findings: [at('critical', alloy(DECLARED), 'discovery.kubernetes "inner" {', KEY('discovery.kubernetes.inner'))],
    },
    {
      // Truncated text, unbalanced braces, a role from an expression, 200 nested blocks (beyond the scanner's
      // depth: skipped), an unclosed comment, a raw string with braces: never throws, reads what it can.
      name: 'odd input never throws and reads what it can',
      files: { 'odd.yaml': oddInput },
      config: BIG,
      findings: [
        { severity: 'critical', key: 'discovery.kubernetes.a@ConfigMap/alloy-0/data.config.alloy', line: lineOf(oddInput, 'discovery.kubernetes "a" {') },
        { severity: 'critical', key: 'loki.source.kubernetes_events.y@ConfigMap/alloy-5/data.config.alloy', line: lineOf(oddInput, 'loki.source.kubernetes_events "y" {') },
      ],
    },
    {
      name: 'a PR that only edits the ConfigMap to drop the node selector is new',
      base: file(alloy(POD_NODE)),
      files: file(podWide),
      config: BIG,
      findings: [at('critical', podWide, 'discovery.kubernetes "pods" {', KEY('discovery.kubernetes.pods'))],
    },
  ],
});

describe('River block scanner', () => {
  it('finds blocks, labels, attributes and 0-based lines through comments and strings', () => {
    const text = ['// a { comment', 'a "x" {', '  b = "}" // }', '  /* { */ c {', '    d = [1,', '      2]', '  }', '}', 'e = `raw', '{`', 'f {}'].join('\n');
    const root = scanRiver(text);
    expect(root.blocks.map((b) => [b.name, b.label, b.line])).toEqual([
      ['a', 'x', 1],
      ['f', undefined, 10],
    ]);
    const a = root.blocks[0];
    expect(a.attrs.get('b')).toMatchObject({ string: '}', line: 2 });
    expect(a.blocks[0]).toMatchObject({ name: 'c', line: 3 });
    expect(a.blocks[0].attrs.get('d')).toMatchObject({ text: '[1,\n      2]', line: 4 });
    expect(root.attrs.get('e')).toMatchObject({ string: 'raw\n{' });
    expect(allBlocks(root).map((b) => b.name)).toEqual(['a', 'c', 'f']);
  });
  it('reads string escapes and expressions', () => {
    const root = scanRiver('s {\n  v = "a\\"b"\n  w = "spec.nodeName=" +\n    sys.env("HOSTNAME")\n}');
    const s = root.blocks[0];
    expect(s.attrs.get('v')?.string).toBe('a"b');
    expect(s.attrs.get('w')).toMatchObject({ strings: ['spec.nodeName=', 'HOSTNAME'], tokens: 6 });
  });
  it('settles the agent scope for the RBAC rule', () => {
    const scope = (text: string) => {
      const t = treeFromFiles('head', [{ path: 'a.yaml', text }]);
      return configScope(t.objects.find((o) => o.kind === 'DaemonSet')!, t.objects, [detector])?.scope;
    };
    expect(scope(alloy(POD_NODE))).toBe('node');
    expect(scope(podWide)).toBe('cluster');
    expect(scope(alloy(EVENTS))).toBe('cluster');
  });
});

// ---- real-world manifests -------------------------------------------------------------------------

const TESTS = 'grafana+alloy/operations/helm/tests';
const T = (name: string) => `${TESTS}/${name}/alloy/templates`;

if (HAS_CORPUS) {
  /** The rendered controller and ConfigMap of one chart test (the ConfigMap may be absent). */
  const test = (name: string, controller = 'daemonset') => {
    const files: Record<string, string> = { [`${T(name)}/controllers/${controller}.yaml`]: readCorpus(`${T(name)}/controllers/${controller}.yaml`) };
    if (existsSync(`${CORPUS_DIR}${T(name)}/configmap.yaml`)) files[`${T(name)}/configmap.yaml`] = readCorpus(`${T(name)}/configmap.yaml`);
    return files;
  };
  const cm = (name: string) => readCorpus(`${T(name)}/configmap.yaml`);
  const component = (label: string) => `discovery.kubernetes.${label}@ConfigMap/alloy/data.config.alloy`;
  const DEFAULT_SIX: Array<[string, ExpectedFinding['severity']]> = [
    ['pods', 'critical'],
    ['nodes', 'medium'],
    ['services', 'medium'],
    ['endpoints', 'critical'],
    ['endpointslices', 'critical'],
    ['ingresses', 'medium'],
  ];
  const six = (name: string): ExpectedFinding[] =>
    DEFAULT_SIX.map(([label, severity]) => ({ severity, key: component(label), line: lineOf(cm(name), `discovery.kubernetes "${label}" {`), messageIncludes: ['DaemonSet "default/alloy"', 'unmapped (5,000 nodes, assumed)'] }));
  const daemonset = `${T('create-daemonset')}/controllers/daemonset.yaml`;

  // Expected from RULEBOOK A.7 (SCALE-ALLOY-1/2) before the rule ever ran on these files (no config: unmapped,
  // 5,000 nodes assumed; the chart's DaemonSet sets HOSTNAME from spec.nodeName but no block uses it):
  // - create-daemonset: DaemonSet "default/alloy"; config.alloy holds the chart's test config, six
  //   discovery.kubernetes blocks without selectors → six findings at their block lines: "pods" (pods,
  //   27×) critical, "nodes" (nodes, 0.91×) medium, "services" (services, 0.91×) medium, "endpoints" and
  //   "endpointslices" (those + services + pods, 56×) critical, "ingresses" (0.91×) medium;
  // - every other chart test rendering a DaemonSet with that same default ConfigMap: the same six;
  // - custom-config: DaemonSet, one block "custom_pods" role pod → one critical;
  // - create-deployment (Deployment), clustering (StatefulSet, clustering enabled): not per-node → none;
  // - configmap-key: DaemonSet whose ConfigMap key collector.yaml holds only a logging block → none;
  // - existing-config: DaemonSet with no ConfigMap in the chart output → none;
  // - an annotation added only to the create-daemonset DaemonSet → no new finding.
  ruleTester(alloyDiscovery).run({
    valid: [
      { name: 'create-deployment: a Deployment is not per-node', files: test('create-deployment', 'deployment') },
      { name: 'clustering: a StatefulSet', files: test('clustering', 'statefulset') },
      { name: 'configmap-key: no discovery in the config', files: test('configmap-key') },
      { name: 'existing-config: no ConfigMap rendered', files: test('existing-config') },
      {
        name: 'create-daemonset: only an annotation added to the DaemonSet',
        base: test('create-daemonset'),
        files: { ...test('create-daemonset'), [daemonset]: annotate(readCorpus(daemonset), 'DaemonSet') },
      },
    ],
    invalid: [
      { name: 'create-daemonset: the six default discoveries', files: test('create-daemonset'), findings: six('create-daemonset') },
      {
        name: 'custom-config: one pod discovery',
        files: test('custom-config'),
        findings: [{ severity: 'critical', key: component('custom_pods'), line: lineOf(cm('custom-config'), 'discovery.kubernetes "custom_pods" {') }],
      },
    ],
  });

  describe('grafana/alloy chart tests', () => {
    it('the annotation-only PR really changes the DaemonSet', () => {
      expect(annotate(readCorpus(daemonset), 'DaemonSet').split('\n').length).toBe(readCorpus(daemonset).split('\n').length + 2);
    });
    it('every DaemonSet test with the default ConfigMap gives the same six findings', () => {
      const base = cm('create-daemonset');
      const names = readdirSync(CORPUS_DIR + TESTS).filter((n) => existsSync(`${CORPUS_DIR}${T(n)}/controllers/daemonset.yaml`) && existsSync(`${CORPUS_DIR}${T(n)}/configmap.yaml`) && cm(n) === base);
      expect(names.length).toBeGreaterThan(30);
      for (const name of names) {
        const { live } = runCase(alloyDiscovery, { name, files: test(name) });
        expect(live.map((f) => `${f.severity} ${f.key}`).sort(), name).toEqual(six(name).map((f) => `${f.severity} ${f.key}`).sort());
      }
    });
  });
} else {
  describe.skip('real-world manifests (../shared/corpus is absent)', () => {
    it('skipped', () => {});
  });
}
