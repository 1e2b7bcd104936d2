import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import jsyaml from 'js-yaml';
import { describe, expect, it } from 'vitest';
import { ALLOY_EXAMPLE_CONFIG, alloyChart } from '../../src/helm/charts/alloy.js';
import type { RenderedDoc } from '../../src/helm/chart.js';
import { renderManifest, valuesOf, watchAllFindings } from '../helpers/charts.js';
import { CORPUS_DIR, HAS_CORPUS, readCorpus } from '../helpers/corpus.js';

const RELEASE = { name: 'alloy', namespace: 'default' };

function findings(valuesText: string, release: Partial<typeof RELEASE> = RELEASE, chartValues?: string): string[] {
  return watchAllFindings({ 'rendered.yaml': renderManifest(alloyChart, valuesText, release, chartValues) });
}

function render(valuesText: string): RenderedDoc[] {
  return alloyChart.render({ name: 'alloy', namespace: 'default', chart: 'alloy' }, valuesOf(alloyChart, valuesText));
}

const kindOf = (docs: RenderedDoc[], kind: string) => docs.find((d) => d.doc.kind === kind);

/** Values whose `alloy.configMap.content` is the given River text. */
const content = (river: string, before = '') => `${before}alloy:\n  configMap:\n    content: |\n${river.split('\n').map((l) => `      ${l}`).join('\n')}\n`;

const NODE_SCOPED = `discovery.kubernetes "pods" {
  role = "pod"
  selectors {
    role  = "pod"
    field = "spec.nodeName=" + sys.env("HOSTNAME")
  }
}`;

const CM = 'ConfigMap/alloy/data.config.alloy';
const EXAMPLE_FINDINGS = [
  `watch-all/alloy-discovery critical discovery.kubernetes.endpoints@${CM}`,
  `watch-all/alloy-discovery critical discovery.kubernetes.endpointslices@${CM}`,
  `watch-all/alloy-discovery critical discovery.kubernetes.pods@${CM}`,
  `watch-all/alloy-discovery medium discovery.kubernetes.ingresses@${CM}`,
  `watch-all/alloy-discovery medium discovery.kubernetes.nodes@${CM}`,
  `watch-all/alloy-discovery medium discovery.kubernetes.services@${CM}`,
  'watch-all/daemonset-cluster-watch critical serviceaccount:default/alloy',
];

describe('alloy chart adapter: findings from values', () => {
  it.each<[string, string, string[]]>([
    ['chart defaults (DaemonSet + built-in example config)', '', EXAMPLE_FINDINGS],
    [
      'role "pod" without a node selector (SCALE-ALLOY-1)',
      content('discovery.kubernetes "custom_pods" {\n  role = "pod"\n}'),
      [`watch-all/alloy-discovery critical discovery.kubernetes.custom_pods@${CM}`, 'watch-all/daemonset-cluster-watch critical serviceaccount:default/alloy'],
    ],
    [
      'role "endpoints" (SCALE-ALLOY-2)',
      content('discovery.kubernetes "svc" {\n  role = "endpoints"\n}'),
      [`watch-all/alloy-discovery critical discovery.kubernetes.svc@${CM}`, 'watch-all/daemonset-cluster-watch critical serviceaccount:default/alloy'],
    ],
    [
      'loki.source.kubernetes_events on every node (SCALE-ALLOY-3)',
      content('loki.source.kubernetes_events "ev" {\n  forward_to = []\n}'),
      [`watch-all/alloy-discovery critical loki.source.kubernetes_events.ev@${CM}`, 'watch-all/daemonset-cluster-watch critical serviceaccount:default/alloy'],
    ],
    [
      'the deprecated `agent` key overrides `alloy`',
      'agent:\n  configMap:\n    content: |\n      discovery.kubernetes "a" {\n        role = "pod"\n      }\n',
      [`watch-all/alloy-discovery critical discovery.kubernetes.a@${CM}`, 'watch-all/daemonset-cluster-watch critical serviceaccount:default/alloy'],
    ],
    ['rbac.create false: the config rule still sees the example', 'rbac:\n  create: false\n', EXAMPLE_FINDINGS.filter((f) => !f.includes('daemonset-cluster-watch'))],
    ['an existing ConfigMap (not rendered): only the RBAC, scope unknown', 'alloy:\n  configMap:\n    create: false\n    name: mine\n', ['watch-all/daemonset-cluster-watch high serviceaccount:default/alloy']],
  ])('%s', (_name, values, expected) => {
    expect(findings(values)).toEqual(expected);
  });

  it.each<[string, string]>([
    ['node-scoped pod discovery', content(NODE_SCOPED)],
    ['node-scoped config, new image tag and resources', `${content(NODE_SCOPED, 'image:\n  tag: v1.19.0\n')}  resources:\n    limits:\n      memory: 1Gi\n`],
    ['the example config in a Deployment', 'controller:\n  type: deployment\n'],
    ['the example config in a clustered StatefulSet', 'controller:\n  type: statefulset\n  replicas: 3\nalloy:\n  clustering:\n    enabled: true\n'],
    ['an unknown controller type renders no controller', 'controller:\n  type: bogus\n'],
    ['node-scoped config without RBAC', content(NODE_SCOPED, 'rbac:\n  create: false\n')],
  ])('safe: %s', (_name, values) => {
    expect(findings(values)).toEqual([]);
  });
});

describe('alloy chart adapter: rendered objects', () => {
  it('renders the chart defaults as the chart does', () => {
    const docs = render('');
    expect(docs.map((d) => d.doc.kind)).toEqual(['ServiceAccount', 'ConfigMap', 'ClusterRole', 'ClusterRoleBinding', 'DaemonSet']);
    const cm = kindOf(docs, 'ConfigMap')!.doc;
    expect(cm.data).toEqual({ 'config.alloy': ALLOY_EXAMPLE_CONFIG });
    expect(cm.metadata).toMatchObject({ name: 'alloy', namespace: 'default' });
    const ds = kindOf(docs, 'DaemonSet')!.doc;
    const pod = (ds.spec as { template: { spec: Record<string, unknown> } }).template.spec;
    expect(pod.serviceAccountName).toBe('alloy');
    expect(pod.volumes).toEqual([{ name: 'config', configMap: { name: 'alloy' } }]);
    const [alloy, reloader] = pod.containers as Record<string, unknown>[];
    expect((alloy.args as string[]).slice(0, 2)).toEqual(['run', '/etc/alloy/config.alloy']);
    expect(alloy.env).toEqual([
      { name: 'ALLOY_DEPLOY_MODE', value: 'helm' },
      { name: 'HOSTNAME', valueFrom: { fieldRef: { fieldPath: 'spec.nodeName' } } },
      { name: 'K8S_NODE_NAME', valueFrom: { fieldRef: { fieldPath: 'spec.nodeName' } } },
    ]);
    expect(alloy.image).toBe('docker.io/grafana/alloy:v1.18.1');
    expect(reloader.name).toBe('config-reloader');
    const role = kindOf(docs, 'ClusterRole')!.doc;
    expect((role.rules as unknown[]).length).toBe(13);
    expect(kindOf(docs, 'ClusterRoleBinding')!.doc.subjects).toEqual([{ kind: 'ServiceAccount', name: 'alloy', namespace: 'default' }]);
  });

  it('follows configMap.key / name / create, fullname and namespaceOverride', () => {
    const docs = alloyChart.render(
      { name: 'logs', namespace: 'obs', chart: 'alloy' },
      valuesOf(alloyChart, 'namespaceOverride: agents\nalloy:\n  configMap:\n    key: my.alloy\n    content: "logging {}"\nconfigReloader:\n  enabled: false\n'),
    );
    const cm = kindOf(docs, 'ConfigMap')!.doc;
    expect(cm.metadata).toMatchObject({ name: 'logs-alloy', namespace: 'agents' });
    expect(cm.data).toEqual({ 'my.alloy': 'logging {}' });
    const pod = (kindOf(docs, 'DaemonSet')!.doc.spec as { template: { spec: Record<string, unknown> } }).template.spec;
    expect((pod.containers as unknown[]).length).toBe(1);
    expect(((pod.containers as Record<string, unknown>[])[0].args as string[])[1]).toBe('/etc/alloy/my.alloy');
    const existing = render('alloy:\n  configMap:\n    create: false\n    name: existing-config\n');
    expect(kindOf(existing, 'ConfigMap')).toBeUndefined();
    expect((kindOf(existing, 'DaemonSet')!.doc.spec as { template: { spec: { volumes: unknown } } }).template.spec.volumes).toEqual([{ name: 'config', configMap: { name: 'existing-config' } }]);
  });

  it('writes Roles per namespace with rbac.rules only when rbac.namespaces is set', () => {
    const docs = render('rbac:\n  namespaces: [a, b]\n');
    expect(docs.filter((d) => d.doc.kind === 'Role').map((d) => (d.doc.metadata as { namespace: string }).namespace)).toEqual(['a', 'b']);
    expect(kindOf(docs, 'ClusterRole')).toBeUndefined();
    expect((kindOf(docs, 'Role')!.doc.rules as unknown[]).length).toBe(9);
  });

  it('uses an existing ServiceAccount when serviceAccount.create is false', () => {
    const docs = render('serviceAccount:\n  create: false\n  name: shared\n');
    expect(kindOf(docs, 'ServiceAccount')).toBeUndefined();
    expect(kindOf(docs, 'ClusterRoleBinding')!.doc.subjects).toEqual([{ kind: 'ServiceAccount', name: 'shared', namespace: 'default' }]);
  });

  it('never throws on odd values', () => {
    for (const text of [
      'alloy: 3\n',
      'alloy:\n  configMap: yes\n',
      'alloy:\n  configMap:\n    content: [1, 2]\n    key: {a: 1}\n',
      'controller: []\nrbac:\n  rules: "x"\n  clusterRules: {a: 1}\n  namespaces: "x"\n',
      'alloy:\n  extraEnv: "x"\n  extraArgs: {a: 1}\n  envFrom: 3\n  clustering: true\n',
      'serviceAccount: null\nconfigReloader: "true"\nimage: 5\nagent: []\n',
      'controller:\n  type: daemonset\n  volumes: 1\n  extraContainers: [1, null]\n  initContainers: {}\n',
    ]) {
      expect(() => renderManifest(alloyChart, text, RELEASE)).not.toThrow();
    }
  });
});

describe('alloy chart adapter: spots', () => {
  it('maps a River line of the user config to the same line of alloy.configMap.content', () => {
    const values = content('logging {}\ndiscovery.kubernetes "x" {\n  role = "endpoints"\n}');
    const cm = kindOf(render(values), 'ConfigMap')!;
    expect(cm.spot(['data', 'config.alloy'], 1)).toEqual({ path: ['alloy', 'configMap', 'content'], innerLine: 1 });
    const agent = kindOf(render('agent:\n  configMap:\n    content: "discovery.kubernetes \\"a\\" {}"\n'), 'ConfigMap')!;
    expect(agent.spot(['data', 'config.alloy'], 0)).toEqual({ path: ['agent', 'configMap', 'content'], innerLine: 0 });
  });

  it('leaves the built-in example to the release anchor', () => {
    expect(kindOf(render(''), 'ConfigMap')!.spot(['data', 'config.alloy'], 5)).toBeUndefined();
    expect(alloyChart.anchors[0]).toEqual(['controller', 'type']);
  });

  it('maps ClusterRole rules to rbac.rules then rbac.clusterRules', () => {
    const values = 'rbac:\n  rules:\n    - apiGroups: [""]\n      resources: [pods]\n      verbs: [list]\n  clusterRules:\n    - apiGroups: [""]\n      resources: [nodes]\n      verbs: [list]\n';
    const role = kindOf(render(values), 'ClusterRole')!;
    expect(role.spot(['rules', 0, 'resources'])).toEqual({ path: ['rbac', 'rules', 0, 'resources'] });
    expect(role.spot(['rules', 1])).toEqual({ path: ['rbac', 'clusterRules', 0] });
    // Default rules: nobody's line.
    expect(kindOf(render(''), 'ClusterRole')!.spot(['rules', 0])).toBeUndefined();
  });

  it('maps the workload fields the rules report on', () => {
    const values = 'serviceAccount:\n  name: agent\nalloy:\n  extraEnv:\n    - name: A\n      value: b\n  extraArgs: [--x]\n  configMap:\n    key: k.alloy\n';
    const ds = kindOf(render(values), 'DaemonSet')!;
    const c = ['spec', 'template', 'spec', 'containers', 0];
    expect(ds.spot(['spec', 'template', 'spec', 'serviceAccountName'])).toEqual({ path: ['serviceAccount', 'name'] });
    expect(ds.spot([...c, 'env', 3, 'value'])).toEqual({ path: ['alloy', 'extraEnv', 0, 'value'] });
    expect(ds.spot([...c, 'env', 1])).toBeUndefined();
    expect(ds.spot([...c, 'args', 6])).toEqual({ path: ['alloy', 'extraArgs', 0] });
    expect(ds.spot([...c, 'args', 1])).toEqual({ path: ['alloy', 'configMap', 'key'] });
    expect(ds.spot(['metadata', 'name'])).toBeUndefined();
  });
});

/** Every file below a directory, relative to `base`. */
function filesUnder(dir: string, base: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const f of readdirSync(dir)) {
    const p = join(dir, f);
    if (statSync(p).isDirectory()) Object.assign(out, filesUnder(p, base));
    else out[p.slice(base.length)] = readFileSync(p, 'utf8');
  }
  return out;
}

describe.skipIf(!HAS_CORPUS)('alloy chart adapter: corpus pairs (ci values → rendered tests)', () => {
  const HELM = 'grafana+alloy/operations/helm/';
  const CI = `${HELM}charts/alloy/ci/`;
  const files = HAS_CORPUS ? readdirSync(CORPUS_DIR + CI).sort() : [];
  const pairs = files.filter((f) => f.endsWith('-values.yaml'));

  it('finds the pairs', () => {
    expect(pairs.length).toBeGreaterThanOrEqual(53);
  });

  it.each(pairs)('%s: same watch-all findings (rule, severity, key) as the chart rendering', (file) => {
    const name = file.replace(/-values\.yaml$/, '');
    const dir = `${CORPUS_DIR}${HELM}tests/${name}/`;
    expect(existsSync(dir)).toBe(true);
    const expected = watchAllFindings(filesUnder(dir, CORPUS_DIR));
    expect(findings(readCorpus(CI + file))).toEqual(expected);
  });

  // Known difference: this file is meant to make `helm template` fail (horizontal.enabled with
  // horizontal.externalHPA): there is no rendering to compare with. The adapter does not validate values;
  // it renders a StatefulSet, which the watch-all rules leave alone, so the findings are the same (none).
  it('external-hpa-validation-failure.yaml: no chart rendering (helm fails); the adapter gives no findings', () => {
    expect(files).toContain('external-hpa-validation-failure.yaml');
    expect(existsSync(`${CORPUS_DIR}${HELM}tests/external-hpa-validation-failure`)).toBe(false);
    expect(findings(readCorpus(`${CI}external-hpa-validation-failure.yaml`))).toEqual([]);
  });

  it("renders the chart's own values.yaml (beneath no other values) like the defaults", () => {
    const chartValues = readCorpus(`${HELM}charts/alloy/values.yaml`);
    expect(() => renderManifest(alloyChart, '', RELEASE, chartValues)).not.toThrow();
    expect(findings('', RELEASE, chartValues)).toEqual(EXAMPLE_FINDINGS);
  });

  it('reproduces the example config the chart renders', () => {
    const cm = jsyaml.load(readCorpus(`${HELM}tests/default-values/alloy/templates/configmap.yaml`)) as { data: Record<string, string> };
    expect(cm.data['config.alloy']).toBe(ALLOY_EXAMPLE_CONFIG);
  });
});
