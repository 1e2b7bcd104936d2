/**
 * Chart adapter for kube-state-metrics (`kube-state-metrics`, prometheus-community/helm-charts
 * `charts/kube-state-metrics`, modelled on chart 8.4.0 / app 2.20.0: its values.yaml, and the templates
 * `deployment.yaml`, `_helpers.tpl`, `role.yaml` / `_permissions.tpl`, `clusterrolebinding.yaml`,
 * `serviceaccount.yaml`). RULEBOOK A.11, SCALE-KSM-1.
 *
 * The released chart has no per-node mode: it renders a Deployment, or a StatefulSet with
 * `autosharding.enabled` (each replica takes a shard by `--pod` / `--pod-namespace`). A DaemonSet mode
 * (`controller: daemonset`, `--resources=pods --node=$(NODE_NAME)`) was proposed upstream
 * (prometheus-community/helm-charts#5142, issue #4770) but is in no release, so `controller` is ignored
 * here as the chart ignores it: watch-all/kube-state-metrics-daemonset never fires on this chart's output,
 * and the default Deployment is the safe case.
 *
 * Rendered: the workload with the container's args as the chart writes them (`extraArgs`, `--port`,
 * `--resources` from `collectors` minus `collectorsExclude` plus `collectorsExtra`, `--namespaces`,
 * `--namespaces-denylist`, the autosharding flags, `--custom-resource-state-config-file`) and env, image,
 * labels and ServiceAccount; the ClusterRole (list/watch per collector, `rbac.extraRules`, CRDs for
 * custom resource state), ClusterRoleBinding and ServiceAccount. Left out: probes, ports beyond the args,
 * kube-rbac-proxy sidecars, the Service / ServiceMonitor / NetworkPolicy / VPA / PDB, namespaced Roles
 * (`rbac.useClusterRole: false`) and the custom resource state ConfigMap.
 */
import type { YamlPath } from '../../types.js';
import { asList, asMap, asString } from '../../yaml/walk.js';
import { clusterRoleBinding, fullname, serviceAccount, type ChartAdapter, type RenderedDoc, type Values, type ValuesSpot } from '../chart.js';
import { serviceAccountName, text, truthy } from '../template.js';

const APP_VERSION = '2.20.0';

/** kube-state-metrics chart 8.4.0 values.yaml `collectors`. */
const COLLECTORS = [
  'certificatesigningrequests', 'configmaps', 'cronjobs', 'daemonsets', 'deployments', 'endpointslices',
  'horizontalpodautoscalers', 'ingresses', 'jobs', 'leases', 'limitranges', 'mutatingwebhookconfigurations',
  'namespaces', 'networkpolicies', 'nodes', 'persistentvolumeclaims', 'persistentvolumes', 'poddisruptionbudgets',
  'pods', 'replicasets', 'replicationcontrollers', 'resourcequotas', 'secrets', 'services', 'statefulsets',
  'storageclasses', 'validatingwebhookconfigurations', 'volumeattachments',
];

/** Defaults of the knobs read here (chart 8.4.0 values.yaml). */
const DEFAULTS = {
  image: { registry: 'registry.k8s.io', repository: 'kube-state-metrics/kube-state-metrics', tag: '', sha: '', pullPolicy: 'IfNotPresent' },
  global: { imageRegistry: '' },
  nameOverride: '',
  fullnameOverride: '',
  namespaceOverride: '',
  autosharding: { enabled: false },
  replicas: 1,
  extraArgs: [],
  env: [],
  automountServiceAccountToken: true,
  hostNetwork: false,
  service: { port: 8080 },
  selfMonitor: { enabled: false },
  kubeRBACProxy: { enabled: false },
  customLabels: {},
  selectorOverride: {},
  releaseLabel: false,
  rbac: { create: true, useClusterRole: true, extraRules: [], customResourceState: { createClusterRoleRules: true } },
  serviceAccount: { create: true, name: null, automountServiceAccountToken: true },
  collectors: COLLECTORS,
  collectorsExclude: [],
  collectorsExtra: [],
  customResourceState: { enabled: false },
  releaseNamespace: false,
  namespaces: '',
  namespacesDenylist: '',
  nodeSelector: {},
  tolerations: [],
};

/** The API group of each resource kube-state-metrics can export (role.yaml). */
const API_GROUP: Readonly<Record<string, string>> = {
  certificatesigningrequests: 'certificates.k8s.io',
  cronjobs: 'batch',
  jobs: 'batch',
  daemonsets: 'apps',
  deployments: 'apps',
  replicasets: 'apps',
  statefulsets: 'apps',
  endpointslices: 'discovery.k8s.io',
  horizontalpodautoscalers: 'autoscaling',
  ingresses: 'networking.k8s.io',
  ingressclasses: 'networking.k8s.io',
  networkpolicies: 'networking.k8s.io',
  leases: 'coordination.k8s.io',
  mutatingwebhookconfigurations: 'admissionregistration.k8s.io',
  validatingwebhookconfigurations: 'admissionregistration.k8s.io',
  poddisruptionbudgets: 'policy',
  storageclasses: 'storage.k8s.io',
  volumeattachments: 'storage.k8s.io',
  verticalpodautoscalers: 'autoscaling.k8s.io',
  clusterrolebindings: 'rbac.authorization.k8s.io',
  clusterroles: 'rbac.authorization.k8s.io',
  rolebindings: 'rbac.authorization.k8s.io',
  roles: 'rbac.authorization.k8s.io',
};

/** A list value, or a comma-separated string (`namespaces`, `namespacesDenylist` accept both). */
function listOrCsv(v: unknown): string[] {
  const items = Array.isArray(v) ? v.map(text) : text(v).split(',');
  return items.map((s) => s.trim()).filter(Boolean);
}

/** `collectors` minus `collectorsExclude`, plus `collectorsExtra` (deduplicated), each with the values path that put it there. */
function effectiveCollectors(values: Values): Array<{ name: string; at: YamlPath }> {
  const exclude = new Set(asList(values.get(['collectorsExclude'])).map(text));
  const out: Array<{ name: string; at: YamlPath }> = [];
  asList(values.get(['collectors'])).forEach((c, i) => {
    const name = text(c);
    if (name && !exclude.has(name) && !out.some((o) => o.name === name)) out.push({ name, at: ['collectors', i] });
  });
  asList(values.get(['collectorsExtra'])).forEach((c, i) => {
    const name = text(c);
    if (name && !out.some((o) => o.name === name)) out.push({ name, at: ['collectorsExtra', i] });
  });
  return out;
}

/** A prefix table of values spots: the longest prefix of a path that has an entry answers. */
class Spots {
  private readonly entries = new Map<string, ValuesSpot | undefined>();
  add(path: YamlPath, spot: ValuesSpot | undefined): void {
    this.entries.set(path.join('\u0000'), spot);
  }
  find(path: YamlPath): ValuesSpot | undefined {
    for (let n = path.length; n > 0; n--) {
      const key = path.slice(0, n).join('\u0000');
      if (this.entries.has(key)) return this.entries.get(key);
    }
    return undefined;
  }
}

const rendered = (doc: Record<string, unknown>, spots: Spots): RenderedDoc => ({ doc, spot: (path) => spots.find(path) });

export const kubeStateMetricsChart: ChartAdapter = {
  charts: ['kube-state-metrics'],
  defaults: DEFAULTS,
  anchors: [['collectors'], ['autosharding', 'enabled'], ['extraArgs'], ['image']],
  render(release, values) {
    const on = (...p: string[]) => truthy(values.get(p));
    const full = fullname(release, values);
    const name = text(values.get(['nameOverride'])) || 'kube-state-metrics';
    const ns = text(values.get(['namespaceOverride'])) || release.namespace;
    const withNs = ns ? { namespace: ns } : {};
    const selector = asMap(values.get(['selectorOverride'])) && on('selectorOverride') ? (asMap(values.get(['selectorOverride'])) as Record<string, unknown>) : { 'app.kubernetes.io/name': name, 'app.kubernetes.io/instance': release.name };
    const labels: Record<string, unknown> = {
      'helm.sh/chart': `kube-state-metrics-${release.chartVersion ?? '8.4.0'}`,
      'app.kubernetes.io/managed-by': 'Helm',
      'app.kubernetes.io/component': 'metrics',
      'app.kubernetes.io/part-of': name,
      ...selector,
      'app.kubernetes.io/version': APP_VERSION,
      ...(asMap(values.get(['customLabels'])) ?? {}),
      ...(on('releaseLabel') ? { release: release.name } : {}),
    };
    const sharded = on('autosharding', 'enabled');
    const sa = serviceAccountName(values, full);
    const collectors = effectiveCollectors(values);

    // The container's args and env, in the template's order, each with its values spot.
    const spots = new Spots();
    const podSpec: YamlPath = ['spec', 'template', 'spec'];
    const args: Array<{ arg: string; spot?: ValuesSpot }> = [];
    asList(values.get(['extraArgs'])).forEach((a, i) => {
      const s = asString(a);
      if (s !== undefined) args.push({ arg: s, spot: { path: ['extraArgs', i] } });
    });
    const servicePort = on('kubeRBACProxy', 'enabled') ? 9090 : Number(values.get(['service', 'port'])) || 8080;
    args.push({ arg: `--port=${servicePort}`, spot: { path: ['service', 'port'] } });
    if (collectors.length) args.push({ arg: `--resources=${collectors.map((c) => c.name).join(',')}`, spot: { path: ['collectors'] } });
    const namespaces = [...listOrCsv(values.get(['namespaces'])), ...(on('releaseNamespace') && ns ? [ns] : [])];
    if (namespaces.length) args.push({ arg: `--namespaces=${[...new Set(namespaces)].join(',')}`, spot: { path: ['namespaces'] } });
    const denied = listOrCsv(values.get(['namespacesDenylist']));
    if (denied.length) args.push({ arg: `--namespaces-denylist=${denied.join(',')}`, spot: { path: ['namespacesDenylist'] } });
    if (sharded) {
      args.push({ arg: '--pod=$(POD_NAME)', spot: { path: ['autosharding', 'enabled'] } });
      args.push({ arg: '--pod-namespace=$(POD_NAMESPACE)', spot: { path: ['autosharding', 'enabled'] } });
    }
    if (on('customResourceState', 'enabled')) args.push({ arg: '--custom-resource-state-config-file=/etc/customresourcestate/config.yaml', spot: { path: ['customResourceState', 'enabled'] } });
    args.forEach((a, i) => spots.add([...podSpec, 'containers', 0, 'args', i], a.spot));

    const env: Array<{ entry: unknown; spot?: ValuesSpot }> = sharded
      ? [
          { entry: { name: 'POD_NAME', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } }, spot: { path: ['autosharding', 'enabled'] } },
          { entry: { name: 'POD_NAMESPACE', valueFrom: { fieldRef: { fieldPath: 'metadata.namespace' } } }, spot: { path: ['autosharding', 'enabled'] } },
        ]
      : [];
    asList(values.get(['env'])).forEach((e, i) => env.push({ entry: e, spot: { path: ['env', i] } }));
    env.forEach((e, i) => spots.add([...podSpec, 'containers', 0, 'env', i], e.spot));
    spots.add([...podSpec, 'containers', 0, 'image'], { path: ['image'] });
    spots.add([...podSpec, 'serviceAccountName'], { path: ['serviceAccount'] });
    spots.add(['kind'], sharded ? { path: ['autosharding', 'enabled'] } : undefined);

    const registry = text(values.get(['global', 'imageRegistry'])) || text(values.get(['image', 'registry']));
    const tag = text(values.get(['image', 'tag'])) || `v${APP_VERSION}`;
    const sha = text(values.get(['image', 'sha']));
    const image = `${registry}/${text(values.get(['image', 'repository']))}:${tag}${sha ? `@${sha}` : ''}`;
    const replicas = Number(values.get(['replicas']));
    const podLabels = { ...labels, ...(asMap(values.get(['podLabels'])) ?? {}) };
    const nodeSelector = asMap(values.get(['nodeSelector']));
    const tolerations = asList(values.get(['tolerations']));
    const workload: Record<string, unknown> = {
      apiVersion: 'apps/v1',
      kind: sharded ? 'StatefulSet' : 'Deployment',
      metadata: { name: full, ...withNs, labels },
      spec: {
        selector: { matchLabels: selector },
        replicas: Number.isFinite(replicas) ? replicas : 1,
        ...(sharded ? { serviceName: full, volumeClaimTemplates: [] } : { strategy: { type: text(values.get(['updateStrategy'])) || 'RollingUpdate' } }),
        template: {
          metadata: { labels: podLabels },
          spec: {
            automountServiceAccountToken: truthy(values.get(['automountServiceAccountToken'])),
            hostNetwork: truthy(values.get(['hostNetwork'])),
            serviceAccountName: sa,
            containers: [
              {
                name,
                ...(env.length ? { env: env.map((e) => e.entry) } : {}),
                args: args.map((a) => a.arg),
                imagePullPolicy: text(values.get(['image', 'pullPolicy'])) || 'IfNotPresent',
                image,
                ports: [{ containerPort: Number(values.get(['service', 'port'])) || 8080, name: 'http' }],
              },
            ],
            ...(nodeSelector && truthy(nodeSelector) ? { nodeSelector } : {}),
            ...(tolerations.length ? { tolerations } : {}),
          },
        },
      },
    };
    const out: RenderedDoc[] = [rendered(workload, spots)];

    const existingRole = text(values.get(['rbac', 'useExistingRole']));
    if (on('rbac', 'create') && on('rbac', 'useClusterRole')) {
      if (!existingRole) {
        const roleSpots = new Spots();
        const rules: Record<string, unknown>[] = [];
        for (const c of collectors) {
          roleSpots.add(['rules', rules.length], { path: c.at });
          rules.push({ apiGroups: [API_GROUP[c.name] ?? ''], resources: [c.name], verbs: ['list', 'watch'] });
        }
        if (on('customResourceState', 'enabled') && on('rbac', 'customResourceState', 'createClusterRoleRules')) {
          roleSpots.add(['rules', rules.length], { path: ['customResourceState', 'enabled'] });
          rules.push({ apiGroups: ['apiextensions.k8s.io'], resources: ['customresourcedefinitions'], verbs: ['list', 'watch'] });
        }
        asList(values.get(['rbac', 'extraRules'])).forEach((r, i) => {
          if (!asMap(r)) return;
          roleSpots.add(['rules', rules.length], { path: ['rbac', 'extraRules', i] });
          rules.push(asMap(r) as Record<string, unknown>);
        });
        const roleLabels = { 'app.kubernetes.io/name': name, 'helm.sh/chart': labels['helm.sh/chart'], 'app.kubernetes.io/managed-by': 'Helm', 'app.kubernetes.io/instance': release.name };
        out.push(rendered({ apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRole', metadata: { name: full, labels: roleLabels }, rules }, roleSpots));
      }
      const bindingLabels = { 'app.kubernetes.io/name': name, 'app.kubernetes.io/managed-by': 'Helm', 'app.kubernetes.io/instance': release.name };
      out.push(rendered(clusterRoleBinding({ name: full, labels: bindingLabels }, existingRole || full, sa, ns || null), new Spots()));
    }
    if (on('serviceAccount', 'create')) {
      out.push(rendered(serviceAccount({ name: sa, ...withNs, labels }, undefined, truthy(values.get(['serviceAccount', 'automountServiceAccountToken']))), new Spots()));
    }
    return out;
  },
};
