import jsyaml from 'js-yaml';
import { describe, expect, it } from 'vitest';
import { promtailChart, renderTpl } from '../../src/helm/charts/promtail.js';
import type { RenderedDoc } from '../../src/helm/chart.js';
import { renderManifest, valuesOf, watchAllFindings } from '../helpers/charts.js';
import { HAS_CORPUS, readCorpus } from '../helpers/corpus.js';

const RELEASE = { name: 'promtail', namespace: 'default' };

function findings(valuesText: string, chartValues?: string): string[] {
  return watchAllFindings({ 'rendered.yaml': renderManifest(promtailChart, valuesText, RELEASE, chartValues) });
}

function render(valuesText: string): RenderedDoc[] {
  return promtailChart.render({ name: 'promtail', namespace: 'default', chart: 'promtail' }, valuesOf(promtailChart, valuesText));
}

const kindOf = (docs: RenderedDoc[], kind: string) => docs.find((d) => d.doc.kind === kind);

const AS_CONFIGMAP = 'configmap:\n  enabled: true\n';
const EXTRA_ENDPOINTS = `config:
  snippets:
    extraScrapeConfigs: |
      # services behind the pods
      - job_name: svc
        kubernetes_sd_configs:
          - role: endpoints
`;
const OWN_POD_SELECTORS = `config:
  snippets:
    scrapeConfigs: |
      - job_name: pods
        pipeline_stages:
          {{- toYaml .Values.config.snippets.pipelineStages | nindent 4 }}
        kubernetes_sd_configs:
          - role: pod
            selectors:
              - role: pod
                label: app=web
`;
const CM = 'ConfigMap/promtail/data.promtail.yaml';
const SECRET = 'Secret/promtail/stringData.promtail.yaml';
const CLUSTER_WATCH = 'watch-all/daemonset-cluster-watch critical serviceaccount:default/promtail';
/** A finding line with its config holder (`@Secret/…/stringData.<key>` or `@ConfigMap/…/data.<key>`) made neutral. */
const anyHolder = (line: string) => line.replace(/@(Secret\/[^/]+\/stringData|ConfigMap\/[^/]+\/data)\./, '@<holder>.');

describe('promtail chart adapter: findings from values', () => {
  it.each<[string, string, string[]]>([
    // The chart writes its config to a Secret by default; the watch-all rules read the mounted Secret's
    // `stringData` as they read a ConfigMap's `data`, so a dangerous job is found there too.
    [
      'an endpoints job in the default Secret (SCALE-PT-2, capped at medium)',
      EXTRA_ENDPOINTS,
      [CLUSTER_WATCH, `watch-all/prometheus-sd medium scrape_configs/svc/endpoints@${SECRET}`],
    ],
    [
      'pod discovery with its own selectors and no node field, in the default Secret',
      OWN_POD_SELECTORS,
      [CLUSTER_WATCH, `watch-all/prometheus-sd critical scrape_configs/pods/pod@${SECRET}`],
    ],
    [
      'configmap.enabled + an endpoints job (SCALE-PT-2, capped at medium)',
      AS_CONFIGMAP + EXTRA_ENDPOINTS,
      [CLUSTER_WATCH, `watch-all/prometheus-sd medium scrape_configs/svc/endpoints@${CM}`],
    ],
    [
      'configmap.enabled + pod discovery with its own selectors and no node field',
      AS_CONFIGMAP + OWN_POD_SELECTORS,
      [CLUSTER_WATCH, `watch-all/prometheus-sd critical scrape_configs/pods/pod@${CM}`],
    ],
  ])('%s', (_name, values, expected) => {
    expect(findings(values)).toEqual(expected);
  });

  it.each<[string, string]>([
    // Promtail adds spec.nodeName=$HOSTNAME to pod discovery without selectors: node-scoped evidence,
    // read from the default Secret as from the ConfigMap.
    ['chart defaults (config in a Secret)', ''],
    ['configmap.enabled with the default scrape config', AS_CONFIGMAP],
    ['configmap.enabled, resources and image tag', `${AS_CONFIGMAP}resources:\n  limits:\n    memory: 256Mi\nimage:\n  tag: 3.5.2\n`],
    ['an endpoints job in a Deployment', `${AS_CONFIGMAP}${EXTRA_ENDPOINTS}daemonset:\n  enabled: false\ndeployment:\n  enabled: true\n`],
    ['a syslog job (no Kubernetes discovery)', `${AS_CONFIGMAP}config:\n  snippets:\n    extraScrapeConfigs: |\n      - job_name: syslog\n        syslog:\n          listen_address: 0.0.0.0:1514\n`],
  ])('safe: %s', (_name, values) => {
    expect(findings(values)).toEqual([]);
  });

  it.each<[string, string]>([
    ['an endpoints job', EXTRA_ENDPOINTS],
    ['pod discovery with its own selectors', OWN_POD_SELECTORS],
  ])('%s: the Secret (default) and configmap.enabled give the same findings, but for the holder', (_name, values) => {
    const inSecret = findings(values);
    const inConfigMap = findings(AS_CONFIGMAP + values);
    expect(inSecret.some((l) => l.startsWith('watch-all/prometheus-sd ') && l.endsWith(`@${SECRET}`))).toBe(true);
    expect(inConfigMap.some((l) => l.startsWith('watch-all/prometheus-sd ') && l.endsWith(`@${CM}`))).toBe(true);
    expect(inSecret.map(anyHolder)).toEqual(inConfigMap.map(anyHolder));
  });
});

describe('promtail chart adapter: rendered objects', () => {
  it('renders the chart defaults: config in a Secret, volume from the Secret', () => {
    const docs = render('');
    expect(docs.map((d) => d.doc.kind)).toEqual(['ServiceAccount', 'Secret', 'ClusterRole', 'ClusterRoleBinding', 'DaemonSet']);
    const text = (kindOf(docs, 'Secret')!.doc.stringData as Record<string, string>)['promtail.yaml'];
    const config = jsyaml.load(text) as Record<string, unknown>;
    expect(config.clients).toEqual([{ url: 'http://loki-gateway/loki/api/v1/push' }]);
    expect(config.positions).toEqual({ filename: '/run/promtail/positions.yaml' });
    const [job] = config.scrape_configs as Record<string, unknown>[];
    expect(job.job_name).toBe('kubernetes-pods');
    expect(job.kubernetes_sd_configs).toEqual([{ role: 'pod' }]);
    expect(job.pipeline_stages).toEqual([{ cri: {} }]);
    // No relabel keeps on the node name: Promtail scopes pod discovery itself.
    expect((job.relabel_configs as Record<string, unknown>[]).some((r) => r.action === 'keep')).toBe(false);
    const pod = (kindOf(docs, 'DaemonSet')!.doc.spec as { template: { spec: Record<string, unknown> } }).template.spec;
    expect(pod.serviceAccountName).toBe('promtail');
    expect((pod.volumes as unknown[])[0]).toEqual({ name: 'config', secret: { secretName: 'promtail' } });
    const [c] = pod.containers as Record<string, unknown>[];
    expect(c.image).toBe('docker.io/grafana/promtail:3.5.1');
    expect(c.args).toEqual(['-config.file=/etc/promtail/promtail.yaml']);
    expect(c.env).toEqual([{ name: 'HOSTNAME', valueFrom: { fieldRef: { fieldPath: 'spec.nodeName' } } }]);
    expect(kindOf(docs, 'ClusterRole')!.doc.rules).toEqual([{ apiGroups: [''], resources: ['nodes', 'nodes/proxy', 'services', 'endpoints', 'pods'], verbs: ['get', 'watch', 'list'] }]);
  });

  it('writes a ConfigMap and mounts it with configmap.enabled; nothing with config.enabled false', () => {
    const docs = render(AS_CONFIGMAP);
    expect(kindOf(docs, 'Secret')).toBeUndefined();
    expect(kindOf(docs, 'ConfigMap')!.doc.metadata).toMatchObject({ name: 'promtail', namespace: 'default' });
    const pod = (kindOf(docs, 'DaemonSet')!.doc.spec as { template: { spec: { volumes: unknown[] } } }).template.spec;
    expect(pod.volumes[0]).toEqual({ name: 'config', configMap: { name: 'promtail' } });
    const own = render(`${AS_CONFIGMAP}config:\n  enabled: false\n`);
    expect(own.map((d) => d.doc.kind)).toEqual(['ServiceAccount', 'ClusterRole', 'ClusterRoleBinding', 'DaemonSet']);
  });

  it('evaluates the values templates (tpl) as Helm does', () => {
    const text = (kindOf(render(`${AS_CONFIGMAP}httpPathPrefix: /p\nconfig:\n  snippets:\n    addScrapeJobLabel: true\n    extraRelabelConfigs:\n      - action: drop\n        regex: x\n`), 'ConfigMap')!.doc.data as Record<string, string>)['promtail.yaml'];
    const config = jsyaml.load(text) as { server: Record<string, unknown>; scrape_configs: { relabel_configs: Record<string, unknown>[] }[] };
    expect(config.server.http_path_prefix).toBe('/p');
    const relabel = config.scrape_configs[0].relabel_configs;
    expect(relabel).toContainEqual({ replacement: 'kubernetes-pods', target_label: 'scrape_job' });
    expect(relabel[relabel.length - 1]).toEqual({ action: 'drop', regex: 'x' });
  });

  it('renders a Deployment instead of the DaemonSet when asked', () => {
    const docs = render('daemonset:\n  enabled: false\ndeployment:\n  enabled: true\n  replicaCount: 2\n');
    expect(kindOf(docs, 'DaemonSet')).toBeUndefined();
    expect((kindOf(docs, 'Deployment')!.doc.spec as { replicas: number }).replicas).toBe(2);
  });

  it('never throws on odd values', () => {
    for (const text of [
      'config: 3\n',
      'config:\n  file: [1, 2]\n',
      'config:\n  file: "{{ if .Values.x }}{{ else if }}{{ range }}{{ end"\n',
      'config:\n  file: "{{ tpl .Values.config.file . }}"\n',
      'config:\n  snippets:\n    scrapeConfigs: {a: 1}\n    extraScrapeConfigs: 7\n',
      'configmap: "yes"\nrbac: []\nserviceAccount: 1\nextraEnv: {a: 1}\nextraArgs: "x"\n',
      'daemonset: null\ndeployment: {enabled: "true"}\nextraContainers: [1]\ntolerations: "x"\n',
    ]) {
      expect(() => renderManifest(promtailChart, text, RELEASE)).not.toThrow();
    }
  });
});

describe('promtail chart adapter: spots', () => {
  const lineOfText = (text: string, needle: string) => text.split('\n').findIndex((l) => l.includes(needle));

  it('maps a scrape job of the config to the values snippet and line that wrote it', () => {
    const cm = kindOf(render(AS_CONFIGMAP + EXTRA_ENDPOINTS), 'ConfigMap')!;
    const text = (cm.doc.data as Record<string, string>)['promtail.yaml'];
    // The rules give the key's path and the line inside it…
    expect(cm.spot(['data', 'promtail.yaml'], lineOfText(text, 'role: endpoints'))).toEqual({ path: ['config', 'snippets', 'extraScrapeConfigs'], innerLine: 2 });
    // …or a path inside the config.
    expect(cm.spot(['data', 'promtail.yaml', 'scrape_configs', 1, 'kubernetes_sd_configs', 0])).toEqual({ path: ['config', 'snippets', 'extraScrapeConfigs'], innerLine: 2 });
    expect(cm.spot(['data', 'promtail.yaml', 'scrape_configs', 1])).toEqual({ path: ['config', 'snippets', 'extraScrapeConfigs'], innerLine: 1 });
    // The chart's own job is nobody's line: the release anchor.
    expect(cm.spot(['data', 'promtail.yaml', 'scrape_configs', 0, 'kubernetes_sd_configs', 0])).toBeUndefined();
  });

  it('maps a job of a user scrapeConfigs and of a user config.file', () => {
    const own = kindOf(render(AS_CONFIGMAP + OWN_POD_SELECTORS), 'ConfigMap')!;
    expect(own.spot(['data', 'promtail.yaml', 'scrape_configs', 0, 'kubernetes_sd_configs', 0])).toEqual({ path: ['config', 'snippets', 'scrapeConfigs'], innerLine: 3 });
    const file = `${AS_CONFIGMAP}config:\n  file: |\n    server:\n      http_listen_port: 3101\n    scrape_configs:\n      - job_name: eps\n        kubernetes_sd_configs:\n          - role: endpoints\n`;
    const cm = kindOf(render(file), 'ConfigMap')!;
    const text = (cm.doc.data as Record<string, string>)['promtail.yaml'];
    expect(cm.spot(['data', 'promtail.yaml'], lineOfText(text, 'role: endpoints'))).toEqual({ path: ['config', 'file'], innerLine: 4 });
  });

  it('maps the workload fields the rules report on', () => {
    const ds = kindOf(render('serviceAccount:\n  name: logs\nextraEnv:\n  - name: A\n    value: b\nextraArgs: [-config.expand-env=true]\n'), 'DaemonSet')!;
    const c = ['spec', 'template', 'spec', 'containers', 0];
    expect(ds.spot(['spec', 'template', 'spec', 'serviceAccountName'])).toEqual({ path: ['serviceAccount', 'name'] });
    expect(ds.spot([...c, 'env', 1, 'value'])).toEqual({ path: ['extraEnv', 0, 'value'] });
    expect(ds.spot([...c, 'args', 1])).toEqual({ path: ['extraArgs', 0] });
    expect(ds.spot([...c, 'env', 0])).toBeUndefined();
  });
});

describe('renderTpl (the Go-template subset behind tpl)', () => {
  const ctx = { Values: { x: 'v', e: '', n: 3, list: [{ a: 1 }, { a: 2 }], m: { b: 2, a: 1 } } };
  it.each<[string, string]>([
    ['a: 1\n  {{- with .Values.x }}\n  b: {{ . }}\n  {{- end }}\nc', 'a: 1\n  b: v\nc'],
    ['x:\n  {{- tpl .Values.e . | nindent 2 }}\ny', 'x:\n  \ny'],
    ['{{ if .Values.missing }}A{{ else if .Values.n }}B{{ else }}C{{ end }}', 'B'],
    ['{{ .Values.missing | default "d" | quote }}', '"d"'],
    ['{{ printf "%s-%d" .Values.x .Values.n }}', 'v-3'],
    ['{{- range .Values.list }}[{{ .a }}]{{- end }}', '[1][2]'],
    ['{{ toYaml .Values.m | indent 2 }}', '  a: 1\n  b: 2'],
    ['{{/* a comment */}}ok {{ $.Values.x }} {{ include "x" . }}.', 'ok v .'],
    ['{{ tpl "{{ .Values.x }}" . }}', 'v'],
    ['unclosed {{ .Values.x', 'unclosed {{ .Values.x'],
  ])('%j', (src, expected) => {
    expect(renderTpl(src, ctx)).toBe(expected);
  });

  it('bounds recursive tpl', () => {
    const loop = { Values: { f: '{{ tpl .Values.f . }}x' } };
    // The top level and eight nested tpl calls.
    expect(renderTpl(loop.Values.f, loop)).toBe('x'.repeat(9));
    const wide = { Values: { f: `{{ tpl .Values.f . }}`.repeat(20) } };
    const started = Date.now();
    expect(renderTpl(wide.Values.f, wide)).toBe('');
    expect(Date.now() - started).toBeLessThan(5000);
  });
});

describe.skipIf(!HAS_CORPUS)('promtail chart adapter: corpus', () => {
  const CHART = 'grafana+helm-charts/charts/promtail/';

  it("renders the chart's own values.yaml like the built-in defaults", () => {
    const chartValues = readCorpus(`${CHART}values.yaml`);
    expect(renderManifest(promtailChart, '', RELEASE, chartValues)).toBe(renderManifest(promtailChart, '', RELEASE));
    expect(findings('', chartValues)).toEqual([]);
    expect(findings(AS_CONFIGMAP, chartValues)).toEqual([]);
  });

  it.each(['default-values.yaml', 'deployment-values.yaml', 'autoscaled-deployment-values.yaml', 'netpol-values.yaml', 'service-values.yaml'])(
    'ci/%s renders with no finding, config in the Secret or in a ConfigMap (no rendered twin in the corpus)',
    (file) => {
      const values = readCorpus(`${CHART}ci/${file}`);
      // The default pod job is node-scoped by Promtail itself; syslog and push jobs discover nothing.
      expect(findings(values)).toEqual([]);
      expect(findings(AS_CONFIGMAP + values.replace(/^configmap:.*$/m, ''))).toEqual([]);
    },
  );

  it('expands values templates inside extraScrapeConfigs (ci/netpol-values.yaml)', () => {
    const docs = promtailChart.render({ name: 'promtail', namespace: 'default', chart: 'promtail' }, valuesOf(promtailChart, AS_CONFIGMAP + readCorpus(`${CHART}ci/netpol-values.yaml`)));
    const config = jsyaml.load((kindOf(docs, 'ConfigMap')!.doc.data as Record<string, string>)['promtail.yaml']) as { scrape_configs: Record<string, unknown>[] };
    expect(config.scrape_configs.map((j) => j.job_name)).toEqual(['kubernetes-pods', 'syslog', 'push1']);
    expect(config.scrape_configs[1].syslog).toMatchObject({ listen_address: '0.0.0.0:1514' });
  });
});
