/**
 * Chart adapter for Grafana Alloy (`alloy`, grafana/alloy `operations/helm/charts/alloy`, chart 1.11.1 /
 * app v1.18.1; RULEBOOK A.7 SCALE-ALLOY-1/2/3). Renders, as the chart's templates do:
 * - the controller (`controller.type`: `daemonset` by default, `deployment`, `statefulset`; any other value
 *   renders no controller, as the chart's `if eq .Values.controller.type …` guards do) with the pod template
 *   of `controllers/_pod.yaml` and `containers/_alloy.yaml`: the config volume, `serviceAccountName`, the
 *   `run /etc/alloy/<key>` args (clustering, extra args), the env the chart injects (`HOSTNAME` and
 *   `K8S_NODE_NAME` from `spec.nodeName`, then `alloy.extraEnv`), `envFrom`, and the config-reloader sidecar;
 * - the ConfigMap of `configmap.yaml` when `alloy.configMap.create`: the user's `alloy.configMap.content`
 *   under the key `alloy.configMap.key` (default `config.alloy`), else the chart's built-in
 *   `config/example.alloy` (below), whose six `discovery.kubernetes` blocks list every role cluster-wide;
 * - the ServiceAccount, and RBAC of `rbac.yaml`: a ClusterRole with `rbac.rules` then `rbac.clusterRules`
 *   and its binding, or, when `rbac.namespaces` is set, a Role and RoleBinding per namespace with
 *   `rbac.rules` only (the chart's own rendered tests `rbac-rules`, `rbac-empty-rules` and
 *   `roles-and-rolebindings` show that order and that split).
 *
 * The deprecated `agent` key is merged over `alloy` as the templates' `mustMergeOverwrite` does. Left out:
 * Services, ingress, HPA / VPA / PDB, ServiceMonitor, NetworkPolicy, `extraObjects`, CRDs, probes, resources
 * and security contexts (none decides API-server load). `alloy.configMap.content` goes through `tpl` in the
 * chart; it is taken as written here (a config using `{{ }}` renders differently). The config-as-Secret
 * option of later chart versions (`alloy.secret`) is not in 1.11.1 and is not rendered.
 */
import type { YamlPath } from '../../types.js';
import { asList, asMap, getIn } from '../../yaml/walk.js';
import { clusterRoleBinding, fullname, serviceAccount, spotIfSet, type ChartAdapter, type ReleaseInfo, type RenderedDoc, type Values, type ValuesSpot } from '../chart.js';
import { serviceAccountName, text, textOr, truthy } from '../template.js';
import { coalesce } from '../values.js';

/**
 * The chart's `config/example.alloy` at 1.11.1 (as its rendered tests show it): what the ConfigMap holds
 * when `alloy.configMap.content` is empty. Every block discovers cluster-wide.
 */
export const ALLOY_EXAMPLE_CONFIG = [
  'logging {',
  '\tlevel  = "info"',
  '\tformat = "logfmt"',
  '}',
  '',
  'discovery.kubernetes "pods" {',
  '\trole = "pod"',
  '}',
  '',
  'discovery.kubernetes "nodes" {',
  '\trole = "node"',
  '}',
  '',
  'discovery.kubernetes "services" {',
  '\trole = "service"',
  '}',
  '',
  'discovery.kubernetes "endpoints" {',
  '\trole = "endpoints"',
  '}',
  '',
  'discovery.kubernetes "endpointslices" {',
  '\trole = "endpointslice"',
  '}',
  '',
  'discovery.kubernetes "ingresses" {',
  '\trole = "ingress"',
  '}',
].join('\n');

const API_VERBS = ['get', 'list', 'watch'];

/** Chart 1.11.1 values.yaml (grafana/alloy operations/helm/charts/alloy), the knobs read here only. */
const DEFAULTS: Readonly<Record<string, unknown>> = {
  nameOverride: null,
  namespaceOverride: null,
  fullnameOverride: null,
  global: { image: { registry: '' } },
  alloy: {
    configMap: { create: true, content: '', name: null, key: null },
    clustering: { enabled: false },
    stabilityLevel: 'generally-available',
    storagePath: '/tmp/alloy',
    enableHttpServerPort: true,
    listenAddr: '0.0.0.0',
    listenPort: 12345,
    uiPathPrefix: '/',
    enableReporting: true,
    extraEnv: [],
    envFrom: [],
    extraArgs: [],
  },
  image: { registry: 'docker.io', repository: 'grafana/alloy', tag: null, digest: null },
  rbac: {
    create: true,
    namespaces: [],
    rules: [
      { apiGroups: ['', 'discovery.k8s.io', 'networking.k8s.io'], resources: ['endpoints', 'endpointslices', 'ingresses', 'pods', 'services'], verbs: API_VERBS },
      { apiGroups: [''], resources: ['pods', 'pods/log', 'namespaces'], verbs: API_VERBS },
      { apiGroups: ['monitoring.grafana.com'], resources: ['podlogs'], verbs: API_VERBS },
      { apiGroups: ['monitoring.coreos.com'], resources: ['prometheusrules'], verbs: API_VERBS },
      { apiGroups: ['monitoring.coreos.com'], resources: ['alertmanagerconfigs'], verbs: API_VERBS },
      { apiGroups: ['monitoring.coreos.com'], resources: ['podmonitors', 'servicemonitors', 'probes', 'scrapeconfigs'], verbs: API_VERBS },
      { apiGroups: [''], resources: ['events'], verbs: API_VERBS },
      { apiGroups: [''], resources: ['configmaps', 'secrets'], verbs: API_VERBS },
      { apiGroups: ['apps', 'extensions'], resources: ['replicasets'], verbs: API_VERBS },
    ],
    clusterRules: [
      { apiGroups: [''], resources: ['nodes'], verbs: API_VERBS },
      { apiGroups: [''], resources: ['nodes/pods'], verbs: API_VERBS },
      { apiGroups: [''], resources: ['nodes/metrics'], verbs: API_VERBS },
      { nonResourceURLs: ['/metrics'], verbs: ['get'] },
    ],
  },
  serviceAccount: { create: true, additionalLabels: {}, annotations: {}, name: null, automountServiceAccountToken: true },
  configReloader: {
    enabled: true,
    image: {
      registry: 'quay.io',
      repository: 'prometheus-operator/prometheus-config-reloader',
      tag: 'v0.91.0@sha256:7d9e4eea5f1139e602508871f422b0116c60e87c662f3dcd234d5ab60cd0d8c1',
      digest: '',
    },
    customArgs: [],
  },
  controller: {
    type: 'daemonset',
    replicas: 1,
    extraLabels: {},
    extraAnnotations: {},
    parallelRollout: true,
    minReadySeconds: 10,
    hostNetwork: false,
    dnsPolicy: 'ClusterFirst',
    updateStrategy: {},
    nodeSelector: {},
    tolerations: [],
    podAnnotations: {},
    podLabels: {},
    volumes: { extra: [] },
    initContainers: [],
    extraContainers: [],
  },
};

/** The items of a list value that are mappings (toYaml of anything else would not be a valid entry). */
function maps(v: unknown): Record<string, unknown>[] {
  return asList(v).flatMap((x) => (asMap(x) ? [asMap(x)!] : []));
}

/** The chart's `alloy` values with the deprecated `agent` key merged over them (`mustMergeOverwrite`). */
function alloyValues(values: Values): { v: Record<string, unknown>; root: (path: YamlPath) => YamlPath } {
  const alloy = asMap(values.get(['alloy'])) ?? {};
  const agent = asMap(values.get(['agent']));
  const v = agent ? (asMap(coalesce(alloy, agent)) ?? alloy) : alloy;
  // A spot goes to the key the user wrote: `agent.…` when that layer sets it.
  const root = (path: YamlPath): YamlPath => (agent && getIn(agent, path) !== undefined ? ['agent', ...path] : ['alloy', ...path]);
  return { v, root };
}

function imageOf(values: Values): string {
  const registry = text(values.get(['global', 'image', 'registry'])) || text(values.get(['image', 'registry']));
  const repository = textOr(values.get(['image', 'repository']), 'grafana/alloy');
  const digest = text(values.get(['image', 'digest']));
  const tag = text(values.get(['image', 'tag']));
  const id = digest ? `@${digest.startsWith('sha256:') ? digest : `sha256:${digest}`}` : `:${tag || 'v1.18.1'}`;
  return `${registry}/${repository}${id}`;
}

function reloaderImageOf(values: Values): string {
  const registry = text(values.get(['global', 'image', 'registry'])) || text(values.get(['configReloader', 'image', 'registry']));
  const repository = text(values.get(['configReloader', 'image', 'repository']));
  const digest = text(values.get(['configReloader', 'image', 'digest']));
  const tag = text(values.get(['configReloader', 'image', 'tag']));
  const id = digest ? `@${digest.startsWith('sha256:') ? digest : `sha256:${digest}`}` : `:${tag || 'v0.8.0'}`;
  return `${registry}/${repository}${id}`;
}

/** Env entries the chart writes before `alloy.extraEnv`. */
const FIXED_ENV = 3;

export const alloyChart: ChartAdapter = {
  charts: ['alloy'],
  defaults: DEFAULTS,
  anchors: [['controller', 'type'], ['alloy', 'configMap'], ['controller'], ['alloy']],
  render(release: ReleaseInfo, values: Values): RenderedDoc[] {
    const { v: av, root } = alloyValues(values);
    const name = fullname(release, values);
    const appName = text(values.get(['nameOverride'])) || 'alloy';
    const namespace = text(values.get(['namespaceOverride'])) || release.namespace;
    const ns = namespace ? { namespace } : {};
    const selector = { 'app.kubernetes.io/name': appName, 'app.kubernetes.io/instance': release.name };
    const labels = {
      'helm.sh/chart': release.chartVersion ? `alloy-${release.chartVersion}` : 'alloy',
      ...selector,
      'app.kubernetes.io/managed-by': 'Helm',
      'app.kubernetes.io/part-of': 'alloy',
    };
    // A spot only when the user set the path; else the release's anchor.
    const ifSet = spotIfSet(values);

    const cm = asMap(av.configMap) ?? {};
    const key = text(cm.key) || 'config.alloy';
    const cmName = text(cm.name) || name;
    const userContent = truthy(cm.content) ? text(cm.content) : undefined;
    const saCreate = truthy(values.get(['serviceAccount', 'create']));
    const saName = serviceAccountName(values, name);
    const saSpot = (): ValuesSpot | undefined => ifSet(['serviceAccount', 'name']) ?? ifSet(['serviceAccount', 'create']);
    const out: RenderedDoc[] = [];

    if (saCreate) {
      const saLabels = { ...labels, 'app.kubernetes.io/component': 'rbac', ...(asMap(values.get(['serviceAccount', 'additionalLabels'])) ?? {}) };
      const automount = values.get(['serviceAccount', 'automountServiceAccountToken']) !== false;
      out.push({ doc: serviceAccount({ name: saName, ...ns, labels: saLabels }, values.get(['serviceAccount', 'annotations']), automount), spot: () => saSpot() });
    }

    if (truthy(cm.create)) {
      // `|-` block with the text re-indented: trailing newlines go, lines keep their numbers.
      const body = (userContent ?? ALLOY_EXAMPLE_CONFIG).replace(/\n+$/, '');
      out.push({
        doc: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: cmName, ...ns, labels: { ...labels, 'app.kubernetes.io/component': 'config' } }, data: { [key]: body } },
        spot: (path, innerLine) => {
          if (path[0] !== 'data') return undefined;
          // The built-in example is nobody's line: the anchor (controller.type) stands for it.
          if (userContent === undefined) return undefined;
          return { path: root(['configMap', 'content']), ...(innerLine !== undefined ? { innerLine } : {}) };
        },
      });
    }

    if (truthy(values.get(['rbac', 'create']))) {
      const rules = asList(values.get(['rbac', 'rules']));
      const clusterRules = asList(values.get(['rbac', 'clusterRules']));
      const ruleSpot = (path: YamlPath): ValuesSpot | undefined => {
        if (path[0] !== 'rules' || typeof path[1] !== 'number') return ifSet(['rbac', 'create']);
        const i = path[1];
        const rest = path.slice(2);
        return i < rules.length ? ifSet(['rbac', 'rules', i, ...rest]) ?? ifSet(['rbac', 'rules']) : ifSet(['rbac', 'clusterRules', i - rules.length, ...rest]) ?? ifSet(['rbac', 'clusterRules']);
      };
      const subjects = [{ kind: 'ServiceAccount', name: saName, ...ns }];
      const bindingSpot = (path: YamlPath) => (path[0] === 'subjects' ? saSpot() : ifSet(['rbac', 'create']));
      const rbacLabels = { ...labels, 'app.kubernetes.io/component': 'rbac' };
      const namespaces = asList(values.get(['rbac', 'namespaces'])).map((n) => text(n)).filter((n) => n !== '');
      if (namespaces.length > 0) {
        namespaces.forEach((roleNs, k) => {
          const nsSpot = (path: YamlPath) => (path[0] === 'metadata' ? ifSet(['rbac', 'namespaces', k]) : undefined);
          out.push({
            doc: { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'Role', metadata: { name, namespace: roleNs, labels: rbacLabels }, rules },
            spot: (path) => nsSpot(path) ?? ruleSpot(path),
          });
          out.push({
            doc: {
              apiVersion: 'rbac.authorization.k8s.io/v1',
              kind: 'RoleBinding',
              metadata: { name, namespace: roleNs, labels: rbacLabels },
              roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name },
              subjects,
            },
            spot: (path) => nsSpot(path) ?? bindingSpot(path),
          });
        });
      } else {
        out.push({
          doc: { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRole', metadata: { name, labels: rbacLabels }, rules: [...rules, ...clusterRules] },
          spot: ruleSpot,
        });
        out.push({ doc: clusterRoleBinding({ name, labels: rbacLabels }, name, saName, namespace || null), spot: bindingSpot });
      }
    }

    const type = values.get(['controller', 'type']);
    const kind = type === 'daemonset' ? 'DaemonSet' : type === 'deployment' ? 'Deployment' : type === 'statefulset' ? 'StatefulSet' : undefined;
    if (!kind) return out;

    const listenPort = textOr(av.listenPort, '12345');
    const extraArgs = asList(av.extraArgs).map((a) => text(a));
    const clustering = truthy(asMap(av.clustering)?.enabled);
    const args = [
      'run',
      `/etc/alloy/${key}`,
      `--storage.path=${text(av.storagePath)}`,
      `--server.http.listen-addr=${text(av.listenAddr)}:${listenPort}`,
      `--server.http.ui-path-prefix=${text(av.uiPathPrefix)}`,
      ...(truthy(av.enableReporting) ? [] : ['--disable-reporting']),
      ...(clustering ? ['--cluster.enabled=true', `--cluster.join-addresses=${name}-cluster`] : []),
      ...(truthy(av.stabilityLevel) ? [`--stability.level=${text(av.stabilityLevel)}`] : []),
    ];
    const fixedArgs = args.length;
    args.push(...extraArgs);
    const nodeName = { valueFrom: { fieldRef: { fieldPath: 'spec.nodeName' } } };
    const env = [{ name: 'ALLOY_DEPLOY_MODE', value: 'helm' }, { name: 'HOSTNAME', ...nodeName }, { name: 'K8S_NODE_NAME', ...nodeName }, ...asList(av.extraEnv)];
    const envFrom = asList(av.envFrom);
    const configMount = { name: 'config', mountPath: '/etc/alloy' };
    const alloyContainer: Record<string, unknown> = {
      name: 'alloy',
      image: imageOf(values),
      args,
      env,
      ...(envFrom.length ? { envFrom } : {}),
      ...(truthy(av.enableHttpServerPort) ? { ports: [{ containerPort: Number(listenPort) || listenPort, name: 'http-metrics' }] } : {}),
      volumeMounts: [configMount, ...maps(asMap(av.mounts)?.extra)],
    };
    const containers: unknown[] = [alloyContainer];
    if (truthy(values.get(['configReloader', 'enabled']))) {
      const custom = asList(values.get(['configReloader', 'customArgs']));
      containers.push({
        name: 'config-reloader',
        image: reloaderImageOf(values),
        args: custom.length ? custom : ['--watched-dir=/etc/alloy', `--reload-url=http://localhost:${listenPort}/-/reload`],
        volumeMounts: [configMount],
      });
    }
    containers.push(...maps(values.get(['controller', 'extraContainers'])));

    const podAnnotations = { 'kubectl.kubernetes.io/default-container': 'alloy', ...(asMap(values.get(['controller', 'podAnnotations'])) ?? {}) };
    const podSpec: Record<string, unknown> = {
      serviceAccountName: saName,
      ...(maps(values.get(['controller', 'initContainers'])).length ? { initContainers: maps(values.get(['controller', 'initContainers'])) } : {}),
      containers,
      ...(truthy(values.get(['controller', 'hostNetwork'])) ? { hostNetwork: true } : {}),
      dnsPolicy: textOr(values.get(['controller', 'dnsPolicy']), 'ClusterFirst'),
      ...(truthy(values.get(['controller', 'nodeSelector'])) ? { nodeSelector: values.get(['controller', 'nodeSelector']) } : {}),
      ...(truthy(values.get(['controller', 'tolerations'])) ? { tolerations: values.get(['controller', 'tolerations']) } : {}),
      volumes: [{ name: 'config', configMap: { name: cmName } }, ...maps(asMap(values.get(['controller', 'volumes']))?.extra)],
    };
    const template = { metadata: { annotations: podAnnotations, labels: { ...selector, ...(asMap(values.get(['controller', 'podLabels'])) ?? {}) } }, spec: podSpec };
    const replicas = values.get(['controller', 'replicas']);
    const spec: Record<string, unknown> =
      kind === 'DaemonSet'
        ? { minReadySeconds: values.get(['controller', 'minReadySeconds']) ?? 10, selector: { matchLabels: selector }, template }
        : kind === 'Deployment'
          ? { replicas: replicas ?? 1, minReadySeconds: values.get(['controller', 'minReadySeconds']) ?? 10, selector: { matchLabels: selector }, template }
          : {
              replicas: replicas ?? 1,
              ...(truthy(values.get(['controller', 'parallelRollout'])) ? { podManagementPolicy: 'Parallel' } : {}),
              minReadySeconds: values.get(['controller', 'minReadySeconds']) ?? 10,
              serviceName: name,
              selector: { matchLabels: selector },
              template,
            };
    const extraAnnotations = asMap(values.get(['controller', 'extraAnnotations']));
    out.push({
      doc: {
        apiVersion: 'apps/v1',
        kind,
        metadata: {
          name,
          ...ns,
          labels: { ...labels, ...(asMap(values.get(['controller', 'extraLabels'])) ?? {}) },
          ...(extraAnnotations && Object.keys(extraAnnotations).length ? { annotations: extraAnnotations } : {}),
        },
        spec,
      },
      spot: (path) => {
        const pod = ['spec', 'template', 'spec'];
        if (pod.some((p, i) => path[i] !== p)) return path[0] === 'spec' && path[1] === 'replicas' ? ifSet(['controller', 'replicas']) : undefined;
        const rest = path.slice(3);
        if (rest[0] === 'serviceAccountName') return saSpot();
        if (rest[0] === 'volumes' && rest[1] === 0) return ifSet(root(['configMap', 'name'])) ?? ifSet(root(['configMap', 'create']));
        if (rest[0] === 'containers' && rest[1] === 0) {
          const [, , field, i, ...more] = rest;
          if (field === 'env' && typeof i === 'number' && i >= FIXED_ENV) return ifSet(root(['extraEnv', i - FIXED_ENV, ...more])) ?? ifSet(root(['extraEnv']));
          if (field === 'envFrom') return ifSet(root(['envFrom', ...(typeof i === 'number' ? [i, ...more] : [])])) ?? ifSet(root(['envFrom']));
          if (field === 'args' && typeof i === 'number') {
            if (i >= fixedArgs) return ifSet(root(['extraArgs', i - fixedArgs])) ?? ifSet(root(['extraArgs']));
            if (i === 1) return ifSet(root(['configMap', 'key']));
            if (args[i]?.startsWith('--cluster.')) return ifSet(root(['clustering', 'enabled']));
          }
        }
        return undefined;
      },
    });
    return out;
  },
};
