/**
 * Table tests of watch-all/fluent-bit-kubernetes. Every dangerous case has a safe twin: the same Fluent Bit
 * DaemonSet without the kubernetes_events input, or with its kubernetes filter on the kubelet / a long TTL.
 * Expected lines are looked up in the case's own YAML, inside the ConfigMap block.
 *
 * Load model (docs/load-model.md, defaults): kubernetes_events reads events cluster-wide, 30 per node:
 * N = 100 → 2.3 GiB, ratio ≈ 0.011 (low); N = 5,000 → 5.6 TiB, ratio ≈ 27 (critical).
 * kubernetes filter with Kube_Meta_Cache_TTL T < 300 s: N × 30 / T GETs/s against 2,000/s:
 * T = 60 → 2,500/s at 5,000 nodes (1.25, high → capped medium), 50/s at 100 nodes (0.025, low);
 * T = 120 ("2m") → 1,250/s (0.63, medium).
 */
import { describe, expect, it } from 'vitest';
import { detector, fluentBitKubernetes, seconds } from '../../../rules/watch-all/fluent-bit-kubernetes.js';
import { lineContaining, ruleTester, runCase, type ExpectedFinding } from '../../helpers/rule-tester.js';
import { HAS_CORPUS, readCorpus } from '../../helpers/corpus.js';

const RULE = 'watch-all/fluent-bit-kubernetes';

/** A Fluent Bit workload mounting ConfigMap `fluent-bit`. */
function workload(kind = 'DaemonSet', annotations: Record<string, string> = {}): string {
  const ann = Object.entries(annotations);
  return [
    'apiVersion: apps/v1',
    `kind: ${kind}`,
    'metadata:',
    '  name: fluent-bit',
    '  namespace: logging',
    ...(ann.length ? ['  annotations:', ...ann.map(([k, v]) => `    ${k}: ${JSON.stringify(v)}`)] : []),
    'spec:',
    '  selector:',
    '    matchLabels: {app: fluent-bit}',
    '  template:',
    '    metadata:',
    '      labels: {app: fluent-bit}',
    '    spec:',
    '      serviceAccountName: fluent-bit',
    '      containers:',
    '        - name: fluent-bit',
    '          image: cr.fluentbit.io/fluent/fluent-bit:3.2.0',
    '          volumeMounts: [{name: config, mountPath: /fluent-bit/etc/conf}]',
    '      volumes:',
    '        - name: config',
    '          configMap: {name: fluent-bit}',
    '',
  ].join('\n');
}

/** ConfigMap `fluent-bit` with each key as a literal block. */
function configMap(data: Record<string, string>): string {
  const lines = ['---', 'apiVersion: v1', 'kind: ConfigMap', 'metadata:', '  name: fluent-bit', '  namespace: logging', 'data:'];
  for (const [key, text] of Object.entries(data)) {
    lines.push(`  ${key}: |`, ...text.trimEnd().split('\n').map((l) => (l ? `    ${l}` : '')));
  }
  return `${lines.join('\n')}\n`;
}

const TAIL = `[INPUT]
    Name tail
    Path /var/log/containers/*.log
    multiline.parser docker, cri
    Tag kube.*
`;
const EVENTS = `[INPUT]
    Name kubernetes_events
    Tag k8s_events
    Kube_URL https://kubernetes.default.svc
`;
const filter = (...extra: string[]) => ['[FILTER]', '    Name kubernetes', '    Match kube.*', '    Merge_Log On', ...extra.map((e) => `    ${e}`), ''].join('\n');
const OUTPUT = `[OUTPUT]
    Name stdout
    Match *
`;

const classic = (...sections: string[]) => ({ 'fluent-bit.conf': ['[SERVICE]', '    Flush 1', '', ...sections, OUTPUT].join('\n') });
const bundle = (data: Record<string, string>, kind = 'DaemonSet', annotations: Record<string, string> = {}) => workload(kind, annotations) + configMap(data);
const file = (text: string) => ({ 'infrastructure/logging/fluent-bit.yaml': text });

const fleet = (...clusters: Array<[string, number]>) => ({ fleet: { clusters: clusters.map(([name, nodes]) => ({ name, nodes, paths: ['**'] })) } });
const SMALL = fleet(['staging', 100]);
const BIG = fleet(['big', 5000]);
const TRAP = fleet(['canary-1', 60], ['prod-us', 4800]);

const EVENTS_KEY = 'input.kubernetes_events@ConfigMap/fluent-bit/data.fluent-bit.conf';
const TTL_KEY = 'filter.kubernetes.meta-cache-ttl@ConfigMap/fluent-bit/data.fluent-bit.conf';
const found = (severity: ExpectedFinding['severity'], text: string, needle: string, key: string, messageIncludes?: string[]): ExpectedFinding => ({
  severity,
  key,
  line: lineContaining(text, needle),
  ...(messageIncludes ? { messageIncludes } : {}),
});

// ---- fixtures -------------------------------------------------------------------------------------

const withEvents = bundle(classic(TAIL, EVENTS, filter()));
const withoutEvents = bundle(classic(TAIL, filter()));
const eventsDeployment = bundle(classic(EVENTS), 'Deployment');
const eventsLowerCase = bundle(classic(TAIL, '[input]\n    name   KUBERNETES_EVENTS\n    tag k8s_events\n'));
const eventsNamespace = bundle(classic(EVENTS.replace('Tag k8s_events', 'Tag k8s_events\n    Kube_Namespace payments')));
const eventsCommented = bundle(classic(TAIL, '# [INPUT]\n#     Name kubernetes_events\n', filter()));
const eventsIgnored = bundle(classic(TAIL, EVENTS), 'DaemonSet', { 'blast-radius.dev/ignore': `${RULE} -- runs on three dedicated nodes only` });
const eventsAnnotated = bundle(classic(TAIL, EVENTS, filter()), 'DaemonSet', { 'example.com/owner': 'platform' });

// @INCLUDE: the main file includes other keys of the same ConfigMap.
const included = bundle({
  'fluent-bit.conf': '[SERVICE]\n    Flush 1\n\n@INCLUDE input-tail.conf\n@INCLUDE input-events.conf\n@INCLUDE filter-kubernetes.conf\n',
  'input-tail.conf': TAIL,
  'input-events.conf': EVENTS,
  'filter-kubernetes.conf': filter(),
});
const includedSafe = bundle({ 'fluent-bit.conf': '[SERVICE]\n    Flush 1\n\n@INCLUDE input-tail.conf\n@INCLUDE filter-kubernetes.conf\n', 'input-tail.conf': TAIL, 'filter-kubernetes.conf': filter() });

// YAML configuration (Fluent Bit 2.0+).
const yamlConfig = (inputs: string, filters = '    - name: kubernetes\n      match: kube.*\n') => ({
  'fluent-bit.yaml': `service:\n  flush: 1\npipeline:\n  inputs:\n${inputs}  filters:\n${filters}  outputs:\n    - name: stdout\n      match: '*'\n`,
});
const yamlEvents = bundle(yamlConfig('    - name: tail\n      path: /var/log/containers/*.log\n      tag: kube.*\n    - Name: kubernetes_events\n      tag: k8s_events\n'));
const yamlSafe = bundle(yamlConfig('    - name: tail\n      path: /var/log/containers/*.log\n      tag: kube.*\n'));
const yamlTtl = bundle(yamlConfig('    - name: tail\n      tag: kube.*\n', '    - name: kubernetes\n      match: kube.*\n      kube_meta_cache_ttl: 60s\n'));
const yamlKubelet = bundle(yamlConfig('    - name: tail\n      tag: kube.*\n', '    - name: kubernetes\n      match: kube.*\n      use_kubelet: on\n      kube_meta_cache_ttl: 60s\n'));

// kubernetes filter (SCALE-FB-1).
const ttl60 = bundle(classic(TAIL, filter('Kube_Meta_Cache_TTL 60')));
const ttl2m = bundle(classic(TAIL, filter('kube_meta_cache_ttl 2m')));
const ttl300 = bundle(classic(TAIL, filter('Kube_Meta_Cache_TTL 300')));
const ttl0 = bundle(classic(TAIL, filter('Kube_Meta_Cache_TTL 0')));
const ttlVar = bundle(classic(TAIL, filter('Kube_Meta_Cache_TTL ${META_TTL}')));
const ttl60Kubelet = bundle(classic(TAIL, filter('Use_Kubelet On', 'Kubelet_Port 10250', 'Kube_Meta_Cache_TTL 60')));
const ttl60KubeletOff = bundle(classic(TAIL, filter('Use_Kubelet Off', 'Kube_Meta_Cache_TTL 60')));
const ttl60FromTag = bundle(classic(TAIL, filter('Use_Tag_For_Meta On', 'Kube_Meta_Cache_TTL 60')));
const ttlDeployment = bundle(classic(TAIL, filter('Kube_Meta_Cache_TTL 60')), 'Deployment');

const oddInput = [
  workload(),
  configMap({ 'fluent-bit.conf': '[INPUT]\n[FILTER]\n    Name\n[INPUT\n    Name kubernetes_events\n[]\n', 'fluent-bit.yaml': 'pipeline:\n  inputs: {name: kubernetes_events}\n  filters: [null, 3, {name: [kubernetes]}, {match: x}]\n' }),
  '---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: other}\ndata: nope\n',
].join('');

ruleTester(fluentBitKubernetes).run({
  valid: [
    { name: 'DaemonSet without a kubernetes_events input (twin of the events cases)', files: file(withoutEvents), config: BIG },
    { name: 'kubernetes_events in a Deployment (one replica for the cluster)', files: file(eventsDeployment), config: BIG },
    { name: 'kubernetes_events only in a comment', files: file(eventsCommented), config: BIG },
    { name: '@INCLUDE files without kubernetes_events', files: file(includedSafe), config: BIG },
    { name: 'YAML config without kubernetes_events', files: file(yamlSafe), config: BIG },
    { name: 'kubernetes filter with the default TTL (0: no time-based expiry)', files: file(withoutEvents), config: BIG },
    { name: 'Kube_Meta_Cache_TTL 300: at the threshold', files: file(ttl300), config: BIG },
    { name: 'Kube_Meta_Cache_TTL 0', files: file(ttl0), config: BIG },
    { name: 'Kube_Meta_Cache_TTL from an environment variable (unknown: not judged)', files: file(ttlVar), config: BIG },
    { name: 'Use_Kubelet On with a 60 s TTL: the kubelet serves the pods (twin of the TTL cases)', files: file(ttl60Kubelet), config: BIG },
    { name: 'Use_Tag_For_Meta On with a 60 s TTL: no API calls', files: file(ttl60FromTag), config: BIG },
    { name: 'YAML use_kubelet on with a 60 s TTL', files: file(yamlKubelet), config: BIG },
    { name: 'short TTL in a Deployment', files: file(ttlDeployment), config: BIG },
    { name: 'already on the base, reaching the same clusters', base: file(withEvents), files: file(withEvents), config: TRAP },
    { name: 'already on the base; the PR only adds an annotation to the DaemonSet', base: file(withEvents), files: file(eventsAnnotated), config: TRAP },
    { name: 'rule turned off in the config', files: file(withEvents), config: { ...BIG, rules: { [RULE]: 'off' } } },
    {
      name: 'ignore annotation on the DaemonSet suppresses the finding',
      files: file(eventsIgnored),
      config: BIG,
      suppressed: [found('critical', eventsIgnored, 'Name kubernetes_events', EVENTS_KEY)],
    },
    { name: 'odd input never throws', files: { 'odd.yaml': oddInput }, config: BIG },
  ],
  invalid: [
    {
      name: 'kubernetes_events in a DaemonSet on 5,000 nodes: critical, at the Name line inside the ConfigMap block',
      files: file(withEvents),
      config: BIG,
      findings: [
        found('critical', withEvents, 'Name kubernetes_events', EVENTS_KEY, [
          'per-node agent DaemonSet "logging/fluent-bit", config ConfigMap "fluent-bit" key "fluent-bit.conf": input "kubernetes_events" lists and watches every event of the cluster from every node',
          'big (5,000 nodes): relist 5.6 TiB, 27× capacity — overload',
        ]),
      ],
    },
    {
      name: 'kubernetes_events on 100 nodes: low',
      files: file(withEvents),
      config: SMALL,
      findings: [found('low', withEvents, 'Name kubernetes_events', EVENTS_KEY, ['staging (100 nodes): relist 2.3 GiB, 0.01× capacity — passes'])],
    },
    {
      name: 'staging trap: the 60-node canary passes, the 4,800-node production overloads',
      files: file(withEvents),
      config: TRAP,
      findings: [found('critical', withEvents, 'Name kubernetes_events', EVENTS_KEY, ['canary-1 (60 nodes): relist 0.8 GiB, 0.004× capacity — passes; prod-us (4,800 nodes): 5.1 TiB, 25× — overload'])],
    },
    {
      name: 'no config: the file reaches unmapped, 5,000 nodes assumed',
      files: file(withEvents),
      findings: [found('critical', withEvents, 'Name kubernetes_events', EVENTS_KEY, ['unmapped (5,000 nodes, assumed)'])],
    },
    {
      name: 'section names, keys and plugin names are case-insensitive',
      files: file(eventsLowerCase),
      config: BIG,
      findings: [found('critical', eventsLowerCase, 'name   KUBERNETES_EVENTS', EVENTS_KEY)],
    },
    {
      name: 'Kube_Namespace narrows the input but every node still reads it',
      files: file(eventsNamespace),
      config: BIG,
      findings: [found('critical', eventsNamespace, 'Name kubernetes_events', EVENTS_KEY, ['the events of namespace "payments"'])],
    },
    {
      name: '@INCLUDEd file in another key of the same ConfigMap',
      files: file(included),
      config: BIG,
      findings: [found('critical', included, 'Name kubernetes_events', 'input.kubernetes_events@ConfigMap/fluent-bit/data.input-events.conf', ['key "input-events.conf"'])],
    },
    {
      name: 'YAML config: pipeline.inputs[*].name kubernetes_events',
      files: file(yamlEvents),
      config: BIG,
      findings: [found('critical', yamlEvents, 'Name: kubernetes_events', 'input.kubernetes_events@ConfigMap/fluent-bit/data.fluent-bit.yaml')],
    },
    {
      name: 'kubernetes filter, Kube_Meta_Cache_TTL 60 on 5,000 nodes: 2,500 GETs/s, capped at medium (RULEBOOK WARN)',
      files: file(ttl60),
      config: BIG,
      findings: [
        found('medium', ttl60, 'Kube_Meta_Cache_TTL 60', TTL_KEY, [
          'filter "kubernetes" re-fetches every pod of its node from the API server each 60 s (Kube_Meta_Cache_TTL "60", Use_Kubelet unset (Off))',
          'big (5,000 nodes): relist 1.1 GiB, 2,500 req/s, 1.3× capacity — overload',
        ]),
      ],
    },
    {
      name: 'Kube_Meta_Cache_TTL 60 on 100 nodes: 50 GETs/s, low',
      files: file(ttl60),
      config: SMALL,
      findings: [found('low', ttl60, 'Kube_Meta_Cache_TTL 60', TTL_KEY, ['50 req/s'])],
    },
    {
      name: 'Use_Kubelet Off said explicitly, TTL 60',
      files: file(ttl60KubeletOff),
      config: BIG,
      findings: [found('medium', ttl60KubeletOff, 'Kube_Meta_Cache_TTL 60', TTL_KEY, ['Use_Kubelet "Off"'])],
    },
    {
      name: 'TTL with a unit: 2m is 120 s, 1,250 GETs/s, medium',
      files: file(ttl2m),
      config: BIG,
      findings: [found('medium', ttl2m, 'kube_meta_cache_ttl 2m', TTL_KEY, ['each 120 s', '1,250 req/s'])],
    },
    {
      name: 'YAML filter with kube_meta_cache_ttl 60s',
      files: file(yamlTtl),
      config: BIG,
      findings: [found('medium', yamlTtl, 'kube_meta_cache_ttl: 60s', 'filter.kubernetes.meta-cache-ttl@ConfigMap/fluent-bit/data.fluent-bit.yaml')],
    },
    {
      name: 'config severity override applies',
      files: file(withEvents),
      config: { ...BIG, rules: { [RULE]: { severity: 'medium' } } },
      findings: [found('medium', withEvents, 'Name kubernetes_events', EVENTS_KEY)],
    },
  ],
});

describe('fluent-bit-kubernetes details', () => {
  it('parses Fluent Bit time values', () => {
    expect([seconds('60'), seconds('60s'), seconds('5m'), seconds('1h'), seconds('1d'), seconds('${X}'), seconds(undefined)]).toEqual([60, 60, 300, 3600, 86400, undefined, undefined]);
  });
  it('the finding carries the model figures: events read cluster-wide', () => {
    const { live } = runCase(fluentBitKubernetes, { name: 'data', files: file(withEvents), config: TRAP });
    expect(live).toHaveLength(1);
    expect(live[0]).toMatchObject({ resource: 'DaemonSet/logging/fluent-bit', clusters: ['canary-1', 'prod-us'] });
    expect(live[0].data).toMatchObject({ reads: [{ resource: 'events', scope: 'cluster' }], leaderElection: false });
  });
  it('the default kubernetes filter is quiet evidence that pods are read node by node', () => {
    expect(typeof detector).toBe('function');
    const { live } = runCase(fluentBitKubernetes, { name: 'quiet', files: file(withoutEvents), config: BIG });
    expect(live).toEqual([]);
  });
});

// ---- real-world configs ---------------------------------------------------------------------------

const FB_VALUES = 'fluent+helm-charts/charts/fluent-bit/values.yaml';

/** The literal block under `  <key>: |` of the chart's `config:` (two-space key, four-space content). */
function chartBlock(values: string, key: string): string {
  const lines = values.split('\n');
  const start = lines.findIndex((l) => l === `  ${key}: |`);
  if (start < 0) throw new Error(`fixture: config.${key} not found in ${FB_VALUES}`);
  const out: string[] = [];
  for (const l of lines.slice(start + 1)) {
    if (l.trim() && !l.startsWith('    ')) break;
    out.push(l.slice(4));
  }
  return out.join('\n');
}

if (HAS_CORPUS) {
  // The corpus has no rendered Fluent Bit manifests (fluent+helm-charts holds values.yaml files only; rendering
  // them is a later issue). The chart's default pipeline text is taken verbatim from values.yaml and put in a
  // DaemonSet + ConfigMap, as the chart renders it (kind: DaemonSet is the chart default).
  // Expected before running (RULEBOOK A.4): default inputs tail + systemd and the kubernetes filter without
  // Use_Kubelet or Kube_Meta_Cache_TTL → no kubernetes_events (SCALE-FB-2 quiet) and the filter's GET-per-pod
  // is below SCALE-FB-1's WARN → quiet, no finding. Adding a kubernetes_events input to that same pipeline →
  // critical at 5,000 nodes (unmapped, assumed).
  const values = readCorpus(FB_VALUES);
  const chartConfig = { 'fluent-bit.conf': [chartBlock(values, 'service'), chartBlock(values, 'inputs'), chartBlock(values, 'filters'), chartBlock(values, 'outputs')].join('\n') };
  const chart = bundle(chartConfig);
  const chartWithEvents = bundle({ 'fluent-bit.conf': `${chartConfig['fluent-bit.conf']}\n${EVENTS}` });
  ruleTester(fluentBitKubernetes).run({
    valid: [
      { name: 'fluent-bit chart default pipeline (values.yaml config.*) in a DaemonSet', files: { 'charts/fluent-bit/rendered.yaml': chart } },
      {
        name: 'fluent-bit chart default pipeline: only an annotation added to the DaemonSet',
        base: { 'charts/fluent-bit/rendered.yaml': chartWithEvents },
        files: { 'charts/fluent-bit/rendered.yaml': chartWithEvents.replace('  namespace: logging\nspec:', '  namespace: logging\n  annotations:\n    example.com/reviewed-by: platform-team\nspec:') },
      },
    ],
    invalid: [
      {
        name: 'fluent-bit chart default pipeline plus a kubernetes_events input',
        files: { 'charts/fluent-bit/rendered.yaml': chartWithEvents },
        findings: [found('critical', chartWithEvents, 'Name kubernetes_events', EVENTS_KEY, ['unmapped (5,000 nodes, assumed): relist 5.6 TiB, 27× capacity — overload'])],
      },
    ],
  });
} else {
  describe.skip('real-world configs (../shared/corpus is absent)', () => {
    it('skipped', () => {});
  });
}
