/**
 * Chart adapter for Fluent Bit's own chart (`fluent-bit`, fluent/helm-charts charts/fluent-bit 0.58.1,
 * appVersion 5.1.1; templates read at configmap.yaml ea593ac6, _pod.tpl b191e275 / 0589e289 (image helper),
 * daemonset.yaml e95de7f4, deployment.yaml 9f59a3d7, statefulset.yaml d8ffb56c, clusterrole.yaml c087bcd4,
 * clusterrolebinding.yaml 5bd2ded5, serviceaccount.yaml b2b7098f, _helpers.tpl 5b70817b). RULEBOOK A.4.
 *
 * Renders, from the release's values:
 * - ConfigMap `<fullname>` (unless `existingConfigMap`): `fluent-bit.conf` = `config.service`, `inputs`,
 *   `filters`, `outputs` through `tpl`, joined by newlines (each is `nindent`ed under one block scalar);
 *   `custom_parsers.conf` = `config.customParsers`; one key per `config.extraFiles` entry (no `tpl`).
 * - The workload by `kind`: DaemonSet (default), Deployment (`replicaCount`), StatefulSet (newer charts);
 *   any other kind renders none, as the chart does. Pod spec: ServiceAccount, `hostNetwork`, `dnsPolicy`,
 *   `env` + `envWithTpl`, `envFrom`, `command`, `args` (+ `--enable-hot-reload`), the config volume (the
 *   ConfigMap or `existingConfigMap`), lua scripts, `daemonSetVolumes` in DaemonSet mode, extra volumes.
 * - ServiceAccount (`serviceAccount.create`), ClusterRole + ClusterRoleBinding (`rbac.create`; nodes and
 *   nodes/proxy with `rbac.nodeAccess`, events with `rbac.eventsAccess`), the lua-scripts ConfigMap.
 *
 * Left out: Service, ServiceMonitor, Ingress, HPA/VPA, PDB, NetworkPolicy, PSP/SCC rules, dashboards, the
 * config checksum annotations, probes and ports (none decides API-server load). `tpl` is understood only
 * for plain `{{ .Values.a.b }}` references (the chart's default config uses `flush`, `logLevel`,
 * `metricsPort`); any other template action stays as written. Grafana's deprecated Loki chart of the same
 * name (grafana/helm-charts charts/fluent-bit 2.x: `loki.*`, `config.port`, a config the chart hard-codes)
 * is not modelled: for its releases the adapter renders nothing.
 */
import type { YamlPath } from '../../types.js';
import { lineOf } from '../../yaml/lines.js';
import { asList, asMap, getIn } from '../../yaml/walk.js';
import { chartLabel, clusterRoleBinding, fullname, objectMeta, serviceAccount, trunc63, type ChartAdapter, type ReleaseInfo, type RenderedDoc, type Values, type ValuesSpot } from '../chart.js';
import { serviceAccountName, text, truthy } from '../template.js';

const CHART_VERSION = '0.58.1';
const APP_VERSION = '5.1.1';

/** The chart's defaults (values.yaml of 0.58.1) for the knobs read here. */
const DEFAULTS: Readonly<Record<string, unknown>> = {
  kind: 'DaemonSet',
  replicaCount: 1,
  image: { repository: 'cr.fluentbit.io/fluent/fluent-bit', tag: '', digest: '', pullPolicy: 'IfNotPresent' },
  nameOverride: '',
  fullnameOverride: '',
  serviceAccount: { create: true, annotations: {} },
  rbac: { create: true, nodeAccess: false, eventsAccess: false },
  hostNetwork: false,
  dnsPolicy: 'ClusterFirst',
  env: [],
  envWithTpl: [],
  envFrom: [],
  flush: 1,
  metricsPort: 2020,
  logLevel: 'info',
  existingConfigMap: '',
  luaScripts: {},
  hotReload: { enabled: false },
  labels: {},
  podLabels: {},
  podAnnotations: {},
  nodeSelector: {},
  tolerations: [],
  priorityClassName: '',
  extraVolumes: [],
  extraVolumeMounts: [],
  command: ['/fluent-bit/bin/fluent-bit'],
  args: ['--workdir=/fluent-bit/etc', '--config=/fluent-bit/etc/conf/fluent-bit.conf'],
  volumeMounts: [{ name: 'config', mountPath: '/fluent-bit/etc/conf' }],
  daemonSetVolumes: [
    { name: 'varlog', hostPath: { path: '/var/log' } },
    { name: 'varlibdockercontainers', hostPath: { path: '/var/lib/docker/containers' } },
    { name: 'etcmachineid', hostPath: { path: '/etc/machine-id', type: 'File' } },
  ],
  daemonSetVolumeMounts: [
    { name: 'varlog', mountPath: '/var/log' },
    { name: 'varlibdockercontainers', mountPath: '/var/lib/docker/containers', readOnly: true },
    { name: 'etcmachineid', mountPath: '/etc/machine-id', readOnly: true },
  ],
  config: {
    service:
      '[SERVICE]\n    Daemon Off\n    Flush {{ .Values.flush }}\n    Log_Level {{ .Values.logLevel }}\n' +
      '    Parsers_File /fluent-bit/etc/parsers.conf\n    Parsers_File /fluent-bit/etc/conf/custom_parsers.conf\n' +
      '    HTTP_Server On\n    HTTP_Listen 0.0.0.0\n    HTTP_Port {{ .Values.metricsPort }}\n    Health_Check On\n',
    inputs:
      '[INPUT]\n    Name tail\n    Path /var/log/containers/*.log\n    multiline.parser docker, cri\n    Tag kube.*\n' +
      '    Mem_Buf_Limit 5MB\n    Skip_Long_Lines On\n\n' +
      '[INPUT]\n    Name systemd\n    Tag host.*\n    Systemd_Filter _SYSTEMD_UNIT=kubelet.service\n    Read_From_Tail On\n',
    filters: '[FILTER]\n    Name kubernetes\n    Match kube.*\n    Merge_Log On\n    Keep_Log Off\n    K8S-Logging.Parser On\n    K8S-Logging.Exclude On\n',
    outputs:
      '[OUTPUT]\n    Name es\n    Match kube.*\n    Host elasticsearch-master\n    Logstash_Format On\n    Retry_Limit False\n\n' +
      '[OUTPUT]\n    Name es\n    Match host.*\n    Host elasticsearch-master\n    Logstash_Format On\n    Logstash_Prefix node\n    Retry_Limit False\n',
    customParsers: '[PARSER]\n    Name docker_no_time\n    Format json\n    Time_Keep Off\n    Time_Key time\n    Time_Format %Y-%m-%dT%H:%M:%S.%L\n',
    extraFiles: {},
  },
};

/** The four values blocks `fluent-bit.conf` is made of, in the template's order. */
const MAIN_BLOCKS = ['service', 'inputs', 'filters', 'outputs'] as const;

const POD: YamlPath = ['spec', 'template', 'spec'];
const CONTAINER: YamlPath = [...POD, 'containers', 0];

/** A scalar as `{{ x }}` prints it and YAML reads it back (`"true"` becomes true). */
function printed(v: unknown): unknown {
  return v === 'true' ? true : v === 'false' ? false : v;
}

/**
 * `tpl` for the plain value references the chart's own config uses (`{{ .Values.flush }}`, with optional
 * `-` trim markers): a missing value prints as nothing (Helm's `<no value>` is blanked). Anything else, such
 * as pipelines or `include`, is kept as written: the adapter does not run templates.
 */
function tplLite(s: string, values: Values): string {
  return s.replace(/\{\{-?\s*\.Values((?:\.[A-Za-z_][\w]*)+)\s*-?\}\}/g, (_m, ref: string) => {
    const v = values.get(ref.slice(1).split('.'));
    return v === undefined || v === null ? '' : text(v);
  });
}

/** A `|` block scalar's content as YAML reads it back: trailing blank lines clipped to one newline. */
function clip(s: string): string {
  const body = s.replace(/(?:\n[ \t]*)+$/, '');
  return body === '' ? '' : `${body}\n`;
}

/** `fluent-bit.conf` and where each values block starts in it (0-based line). */
function mainConfig(values: Values): { text: string; starts: Array<{ block: (typeof MAIN_BLOCKS)[number]; line: number }> } {
  const parts: string[] = [];
  const starts: Array<{ block: (typeof MAIN_BLOCKS)[number]; line: number }> = [];
  let line = 0;
  for (const block of MAIN_BLOCKS) {
    // `{{- tpl X | nindent 4 }}` four times under one `|`: each block starts on a fresh line, so the text
    // is the blocks joined by newlines (a block ending in a newline leaves one blank line before the next).
    const part = tplLite(text(values.get(['config', block])), values);
    starts.push({ block, line });
    parts.push(part);
    line += part.split('\n').length;
  }
  return { text: clip(parts.join('\n')), starts };
}

function labelsOf(release: ReleaseInfo, values: Values): Record<string, string> {
  return {
    'helm.sh/chart': chartLabel('fluent-bit', release.chartVersion ?? CHART_VERSION),
    ...selectorOf(release, values),
    'app.kubernetes.io/version': APP_VERSION,
    'app.kubernetes.io/managed-by': 'Helm',
  };
}

function selectorOf(release: ReleaseInfo, values: Values): Record<string, string> {
  const name = text(values.get(['nameOverride'])) || release.chart;
  return { 'app.kubernetes.io/name': trunc63(name), 'app.kubernetes.io/instance': release.name };
}

function metadata(name: string, release: ReleaseInfo, values: Values, namespaced: boolean, extraLabels: unknown = {}): Record<string, unknown> {
  return objectMeta(name, namespaced ? release.namespace : null, { ...labelsOf(release, values), ...(asMap(extraLabels) ?? {}) });
}

/** The `fluent-bit.image` helper: repository, `:tag` (appVersion by default, none for `-`), `@digest`. */
function image(values: Values): string {
  const repo = text(values.get(['image', 'repository']));
  const tag = text(values.get(['image', 'tag'])) || APP_VERSION;
  const digest = text(values.get(['image', 'digest']));
  return `${repo}${tag === '-' ? '' : `:${tag}`}${digest ? `@${digest}` : ''}`;
}

/** A list value as the template's `toYaml` prints it: lists only (a map would not be a valid list there). */
const list = (v: unknown): unknown[] => [...asList(v)];

function podSpec(release: ReleaseInfo, values: Values, kind: string, configMapName: string): Record<string, unknown> {
  const env = [
    ...list(values.get(['env'])),
    ...list(values.get(['envWithTpl'])).map((e) => ({ name: text(getIn(e, ['name'])), value: tplLite(text(getIn(e, ['value'])), values) })),
  ];
  const hotReload = truthy(values.get(['hotReload', 'enabled']));
  const luaScripts = truthy(values.get(['luaScripts']));
  const args = list(values.get(['args']));
  const container: Record<string, unknown> = {
    name: release.chart,
    image: image(values),
    imagePullPolicy: text(values.get(['image', 'pullPolicy'])) || 'IfNotPresent',
    ...(env.length ? { env } : {}),
    ...(truthy(values.get(['envFrom'])) ? { envFrom: list(values.get(['envFrom'])) } : {}),
    ...(truthy(values.get(['command'])) ? { command: list(values.get(['command'])) } : {}),
    ...(args.length || hotReload ? { args: [...args, ...(hotReload ? ['--enable-hot-reload'] : [])] } : {}),
    ports: [{ name: 'http', containerPort: values.get(['metricsPort']), protocol: 'TCP' }],
    volumeMounts: [
      ...list(values.get(['volumeMounts'])),
      ...(luaScripts || hotReload ? [{ name: 'luascripts', mountPath: '/fluent-bit/scripts' }] : []),
      ...(kind === 'DaemonSet' ? list(values.get(['daemonSetVolumeMounts'])) : []),
      ...list(values.get(['extraVolumeMounts'])),
    ],
  };
  const spec: Record<string, unknown> = {
    serviceAccountName: serviceAccountName(values, fullname(release, values)),
    ...(truthy(values.get(['priorityClassName'])) ? { priorityClassName: text(values.get(['priorityClassName'])) } : {}),
    hostNetwork: printed(values.get(['hostNetwork'])) ?? false,
    dnsPolicy: values.get(['dnsPolicy']) ?? 'ClusterFirst',
    containers: [container],
    volumes: [
      { name: 'config', configMap: { name: configMapName } },
      ...(luaScripts || hotReload ? [{ name: 'luascripts', configMap: { name: `${fullname(release, values)}-luascripts` } }] : []),
      ...(kind === 'DaemonSet' ? list(values.get(['daemonSetVolumes'])) : []),
      ...list(values.get(['extraVolumes'])),
    ],
  };
  for (const key of ['nodeSelector', 'affinity', 'tolerations'] as const) if (truthy(values.get([key]))) spec[key] = values.get([key]);
  return spec;
}

function workload(release: ReleaseInfo, values: Values, kind: string, name: string, configMapName: string): Record<string, unknown> {
  const selector = selectorOf(release, values);
  const template = {
    metadata: {
      ...(asMap(values.get(['podAnnotations'])) && truthy(values.get(['podAnnotations'])) ? { annotations: values.get(['podAnnotations']) } : {}),
      labels: { ...selector, ...(asMap(values.get(['podLabels'])) ?? {}) },
    },
    spec: podSpec(release, values, kind, configMapName),
  };
  const spec: Record<string, unknown> = {
    ...(kind === 'DaemonSet' ? {} : { replicas: values.get(['replicaCount']) ?? 1 }),
    ...(kind === 'StatefulSet' ? { serviceName: `${name}-headless` } : {}),
    selector: { matchLabels: selector },
    template,
  };
  return { apiVersion: 'apps/v1', kind, metadata: metadata(name, release, values, true, values.get(['labels'])), spec };
}

/** Values paths for places in the workload; the rest stands for the release (`kind`). */
function workloadSpot(path: YamlPath, values: Values): ValuesSpot | undefined {
  const under = (prefix: YamlPath) => prefix.every((p, i) => path[i] === p);
  const rest = (prefix: YamlPath) => path.slice(prefix.length);
  if (under([...CONTAINER, 'env'])) {
    const i = path[CONTAINER.length + 1];
    const own = list(values.get(['env'])).length;
    if (typeof i !== 'number') return { path: ['env'] };
    return i < own ? { path: ['env', ...rest([...CONTAINER, 'env'])] } : { path: ['envWithTpl', i - own, ...path.slice(CONTAINER.length + 2)] };
  }
  for (const field of ['args', 'command', 'envFrom'] as const) if (under([...CONTAINER, field])) return { path: [field, ...rest([...CONTAINER, field])] };
  if (under([...CONTAINER, 'image'])) return { path: values.isSet(['image', 'tag']) ? ['image', 'tag'] : ['image'] };
  if (under([...POD, 'serviceAccountName'])) return { path: ['serviceAccount'] };
  if (under([...POD, 'volumes', 0])) return { path: values.isSet(['existingConfigMap']) ? ['existingConfigMap'] : ['kind'] };
  for (const field of ['hostNetwork', 'dnsPolicy', 'nodeSelector', 'affinity', 'tolerations', 'priorityClassName'] as const) {
    if (under([...POD, field])) return { path: [field, ...rest([...POD, field])] };
  }
  if (under(['spec', 'replicas'])) return { path: ['replicaCount'] };
  return { path: ['kind'] };
}

/** Values paths for a place in the main ConfigMap: the block and line a config line came from. */
function configSpot(path: YamlPath, innerLine: number | undefined, main: ReturnType<typeof mainConfig>, values: Values): ValuesSpot | undefined {
  if (path[0] !== 'data' || typeof path[1] !== 'string') return undefined;
  const key = path[1];
  if (key === 'fluent-bit.conf') {
    if (innerLine === undefined) return { path: ['config'] };
    let at = main.starts[0];
    for (const s of main.starts) if (s.line <= innerLine) at = s;
    return { path: ['config', at.block], innerLine: innerLine - at.line };
  }
  if (key === 'custom_parsers.conf') return { path: ['config', 'customParsers'], ...(innerLine !== undefined ? { innerLine } : {}) };
  const extra = text(values.get(['config', 'extraFiles', key]));
  if (path.length > 2) {
    // A YAML extra file reported by its inner path: its line in the file as written.
    return { path: ['config', 'extraFiles', key], innerLine: lineOf(extra, 0, path.slice(2)) - 1 };
  }
  return { path: ['config', 'extraFiles', key], ...(innerLine !== undefined ? { innerLine } : {}) };
}

/** ClusterRole rules: which knob granted a resource. */
function clusterRoleSpot(path: YamlPath, doc: Record<string, unknown>): ValuesSpot | undefined {
  if (path[0] !== 'rules') return { path: ['rbac', 'create'] };
  const resources = asList(getIn(doc, ['rules', 0, 'resources']));
  if (path[1] === 0 && path[2] === 'resources' && typeof path[3] === 'number') {
    const r = resources[path[3]];
    if (r === 'nodes' || r === 'nodes/proxy') return { path: ['rbac', 'nodeAccess'] };
    if (r === 'events') return { path: ['rbac', 'eventsAccess'] };
  }
  return { path: ['rbac', 'create'] };
}

/** Grafana's Loki chart of the same name (2.x, `loki.*` values): not modelled. */
function isGrafanaChart(release: ReleaseInfo, values: Values): boolean {
  if (release.chartVersion && /^v?[1-9]\d*\./.test(release.chartVersion)) return true;
  return values.isSet(['loki']) || values.isSet(['config', 'port']) || values.isSet(['config', 'lineFormat']);
}

function render(release: ReleaseInfo, values: Values): RenderedDoc[] {
  if (isGrafanaChart(release, values)) return [];
  const name = fullname(release, values);
  const out: RenderedDoc[] = [];
  const existing = text(values.get(['existingConfigMap']));
  if (!existing) {
    const main = mainConfig(values);
    const data: Record<string, string> = {
      'custom_parsers.conf': clip(tplLite(text(values.get(['config', 'customParsers'])), values)),
      'fluent-bit.conf': main.text,
    };
    for (const [key, val] of Object.entries(asMap(values.get(['config', 'extraFiles'])) ?? {})) data[key] = clip(text(val));
    out.push({
      doc: { apiVersion: 'v1', kind: 'ConfigMap', metadata: metadata(name, release, values, true), data },
      spot: (path, innerLine) => configSpot(path, innerLine, main, values),
    });
  }
  const lua = asMap(values.get(['luaScripts']));
  if (lua && truthy(lua)) {
    const data: Record<string, string> = {};
    for (const [key, val] of Object.entries(lua)) data[key] = clip(tplLite(text(val), values));
    out.push({
      doc: { apiVersion: 'v1', kind: 'ConfigMap', metadata: metadata(`${name}-luascripts`, release, values, true), data },
      spot: (path) => (path[0] === 'data' && typeof path[1] === 'string' ? { path: ['luaScripts', path[1]] } : { path: ['luaScripts'] }),
    });
  }
  const kind = values.get(['kind']);
  if (kind === 'DaemonSet' || kind === 'Deployment' || kind === 'StatefulSet') {
    out.push({ doc: workload(release, values, kind, name, existing || name), spot: (path) => workloadSpot(path, values) });
  }
  const sa = serviceAccountName(values, name);
  if (truthy(values.get(['serviceAccount', 'create']))) {
    out.push({ doc: serviceAccount(metadata(sa, release, values, true), values.get(['serviceAccount', 'annotations'])), spot: () => ({ path: ['serviceAccount'] }) });
  }
  if (truthy(values.get(['rbac', 'create']))) {
    const resources = [
      'namespaces',
      'pods',
      ...(truthy(values.get(['rbac', 'nodeAccess'])) ? ['nodes', 'nodes/proxy'] : []),
      ...(truthy(values.get(['rbac', 'eventsAccess'])) ? ['events'] : []),
    ];
    const role = {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRole',
      metadata: metadata(name, release, values, false),
      rules: [{ apiGroups: [''], resources, verbs: ['get', 'list', 'watch'] }],
    };
    out.push({ doc: role, spot: (path) => clusterRoleSpot(path, role) });
    out.push({ doc: clusterRoleBinding(metadata(name, release, values, false), name, sa, release.namespace), spot: () => ({ path: ['rbac', 'create'] }) });
  }
  return out;
}

export const fluentBitChart: ChartAdapter = {
  charts: ['fluent-bit'],
  defaults: DEFAULTS,
  anchors: [['kind'], ['config'], ['image']],
  render,
};
