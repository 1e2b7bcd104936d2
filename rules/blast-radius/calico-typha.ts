/**
 * blast-radius/calico-typha — Calico on the Kubernetes API datastore without Typha, on clusters of more
 * than 50 nodes (RULEBOOK A.13 SCALE-CNI-1, [S-TYPHA], [S-TYPHA-OLD]).
 *
 * A state rule. A calico-node DaemonSet is a DaemonSet with a container named `calico-node` or running the
 * `calico/node` image (calico.yaml's `calico-node`, canal.yaml's `canal` / `canal-node`). What that
 * container's Felix does is decided by its environment, resolved in the DaemonSet's unit:
 * - datastore: `CALICO_DATASTORE_TYPE`, else `DATASTORE_TYPE` (libcalico-go apiconfig, default `etcdv3`),
 *   or `FELIX_DATASTORETYPE`; `kubernetes` is the Kubernetes API datastore (KDD);
 * - Typha: `FELIX_TYPHAK8SSERVICENAME` or `FELIX_TYPHAADDR` set to anything but empty or `none`.
 * A value is an env `value`, a `valueFrom.configMapKeyRef` to a ConfigMap of the same unit and namespace
 * (calico.yaml's `calico-config`), or a key of an `envFrom` ConfigMap of the unit. A reference the unit
 * cannot resolve counts as unknown, and unknown is quiet (no guess in either direction); an `envFrom`
 * ConfigMap the unit does not hold is assumed not to set these variables.
 *
 * This follows the upstream manifests: `manifests/calico.yaml` sets `DATASTORE_TYPE: kubernetes`, has no
 * `FELIX_TYPHAK8SSERVICENAME`, `typha_service_name: "none"` in calico-config and no Typha Deployment;
 * `calico-typha.yaml` adds `FELIX_TYPHAK8SSERVICENAME` from calico-config `typha_service_name:
 * "calico-typha"` and the calico-typha Deployment. Felix's env decides whether it connects to Typha, so a
 * calico-typha Deployment in the unit with Felix not pointed at it does not help, and one deployed outside
 * the unit (a separate chart) is fine when Felix is pointed at it.
 *
 * - high (`no-typha`): KDD without Typha, with the clusters of more than 50 nodes it reaches (passed as
 *   `clusters`); clusters of 50 nodes or fewer are quiet.
 * - quiet: etcd datastore (the default), Typha configured or unknown, and any unit that holds a Tigera
 *   operator `Installation` (operator.tigera.io): the operator always runs Typha and takes calico-node over.
 */
import { formatCount } from '../../src/load-model.js';
import { reachOf, reachText } from '../../src/reach.js';
import type { StateContext, StateRule } from '../../src/rule.js';
import type { KubeObject, ObjectLocation, Tree, YamlPath } from '../../src/types.js';
import { quote } from '../../src/text.js';
import { asList, asMap, asString, getIn } from '../../src/yaml/walk.js';
import { ofKind, ofKinds } from '../../src/kinds.js';

/** Above this many nodes Calico requires Typha with the Kubernetes API datastore ([S-TYPHA-OLD]). */
export const MAX_NODES_WITHOUT_TYPHA = 50;

/** Pod changes per second used to show the fan-out (the churn of RULEBOOK A.13's [S-CILIUM-15153] example). */
const CHURN_PER_SECOND = 30;

const CALICO_NODE_IMAGE = /(^|\/)calico\/node([:@]|$)/;
const POD_SPEC: YamlPath = ['spec', 'template', 'spec'];

const REMEDIATION =
  'Install from calico-typha.yaml instead (FELIX_TYPHAK8SSERVICENAME from calico-config typha_service_name "calico-typha" plus the calico-typha Deployment, one replica per 100-200 nodes and at least 3), or move to the Tigera operator, which always runs Typha.';

/** What the unit holds that env references resolve against. */
interface UnitIndex {
  configMaps: Map<string, KubeObject[]>;
  operator: boolean;
}

const indexCache = new WeakMap<Tree, Map<string, UnitIndex>>();

function unitIndex(tree: Tree, unit: string): UnitIndex {
  let units = indexCache.get(tree);
  if (!units) {
    units = new Map();
    for (const o of ofKinds(tree.objects, ['ConfigMap', 'Installation'])) {
      const isCm = o.kind === 'ConfigMap';
      const isOperator = o.kind === 'Installation' && o.apiVersion.startsWith('operator.tigera.io/');
      if (!isCm && !isOperator) continue;
      const u = units.get(o.unit) ?? units.set(o.unit, { configMaps: new Map(), operator: false }).get(o.unit)!;
      if (isOperator) u.operator = true;
      else (u.configMaps.get(o.name) ?? u.configMaps.set(o.name, []).get(o.name)!).push(o);
    }
    indexCache.set(tree, units);
  }
  return units.get(unit) ?? { configMaps: new Map(), operator: false };
}

/** A ConfigMap of the unit by name, in the pod's namespace (a side with no namespace written matches). */
function configMapOf(index: UnitIndex, name: string, namespace: string | null): KubeObject | undefined {
  const found = (index.configMaps.get(name) ?? []).filter((c) => c.namespace === namespace || c.namespace === null || namespace === null);
  return found[found.length - 1];
}

/** An env variable's value as the container sees it. */
type EnvValue =
  | { state: 'set'; value: string; at: ObjectLocation; declared: ObjectLocation; text: string }
  | { state: 'unknown' }
  | { state: 'unset' };

/** Resolves env variables of one container (the last entry of a name wins; env over envFrom). */
function envOf(o: KubeObject, containerPath: YamlPath, index: UnitIndex): (name: string) => EnvValue {
  const container = getIn(o.doc, containerPath);
  const env = new Map<string, { entry: unknown; path: YamlPath }>();
  asList(getIn(container, ['env'])).forEach((entry, i) => {
    const name = asString(getIn(entry, ['name']));
    if (name) env.set(name.toUpperCase(), { entry, path: [...containerPath, 'env', i] });
  });
  return (name) => {
    const hit = env.get(name);
    if (hit) {
      const from = asMap(getIn(hit.entry, ['valueFrom']));
      if (!from) {
        const value = asString(getIn(hit.entry, ['value'])) ?? '';
        return { state: 'set', value, at: { object: o, path: hit.path }, declared: { object: o, path: hit.path }, text: `${name} ${quote(value)}` };
      }
      const ref = asMap(from.configMapKeyRef);
      const cmName = asString(ref?.name);
      const key = asString(ref?.key);
      const cm = cmName && key ? configMapOf(index, cmName, o.namespace) : undefined;
      const value = cm && key ? asString(getIn(cm.doc, ['data', key])) : undefined;
      if (!cm || value === undefined) return { state: 'unknown' };
      return { state: 'set', value, at: { object: cm, path: ['data', key!] }, declared: { object: o, path: hit.path }, text: `${name} ${quote(value)} (from ConfigMap ${quote(cm.name)} key ${quote(key!)})` };
    }
    let found: EnvValue = { state: 'unset' };
    const sources = asList(getIn(container, ['envFrom']));
    for (let i = 0; i < sources.length; i++) {
      const source = sources[i];
      const cmName = asString(getIn(source, ['configMapRef', 'name']));
      const prefix = asString(getIn(source, ['prefix'])) ?? '';
      if (!cmName || !name.startsWith(prefix.toUpperCase())) continue;
      const cm = configMapOf(index, cmName, o.namespace);
      const data = asMap(getIn(cm?.doc, ['data']));
      if (!cm || !data) continue;
      const key = Object.keys(data).find((k) => (prefix + k).toUpperCase() === name);
      const value = key === undefined ? undefined : asString(data[key]);
      if (key !== undefined && value !== undefined) {
        found = { state: 'set', value, at: { object: cm, path: ['data', key] }, declared: { object: o, path: [...containerPath, 'envFrom', i] }, text: `${name} ${quote(value)} (from ConfigMap ${quote(cm.name)})` };
      }
    }
    return found;
  };
}

/** Why a calico-node container runs without Typha (its datastore is KDD), or undefined when it does not. */
interface Verdict {
  datastore: Extract<EnvValue, { state: 'set' }>;
  /** What says there is no Typha, for the message. */
  typha: string;
  at: ObjectLocation;
}

function judge(o: KubeObject, containerPath: YamlPath, index: UnitIndex): Verdict | undefined {
  const env = envOf(o, containerPath, index);
  // libcalico-go reads CALICO_DATASTORE_TYPE, then DATASTORE_TYPE (default etcdv3); Felix also FELIX_DATASTORETYPE.
  const primary = env('CALICO_DATASTORE_TYPE');
  const datastore = primary.state === 'unset' ? env('DATASTORE_TYPE') : primary;
  const felixStore = env('FELIX_DATASTORETYPE');
  const kdd = [datastore, felixStore].find((v): v is Extract<EnvValue, { state: 'set' }> => v.state === 'set' && v.value.trim().toLowerCase() === 'kubernetes');
  if (!kdd) return undefined;

  const service = env('FELIX_TYPHAK8SSERVICENAME');
  const addr = env('FELIX_TYPHAADDR');
  const on = (v: EnvValue) => v.state === 'unknown' || (v.state === 'set' && v.value.trim() !== '' && v.value.trim().toLowerCase() !== 'none');
  if (on(service) || on(addr)) return undefined;
  if (service.state === 'set') return { datastore: kdd, typha: service.text, at: service.at };
  if (addr.state === 'set') return { datastore: kdd, typha: addr.text, at: addr.at };
  // calico.yaml also keeps `typha_service_name: "none"` in calico-config (canal-config for Canal): say so.
  const config = ['calico-config', 'canal-config'].map((n) => configMapOf(index, n, o.namespace)).find((c) => c !== undefined);
  const configured = config ? asString(getIn(config.doc, ['data', 'typha_service_name'])) : undefined;
  const note = config && configured !== undefined ? `; ConfigMap ${quote(config.name)} has typha_service_name ${quote(configured)}` : '';
  return { datastore: kdd, typha: `no FELIX_TYPHAK8SSERVICENAME${note}`, at: kdd.declared };
}

/** Path of the calico-node container, or undefined. */
function calicoNodeContainer(o: KubeObject): YamlPath | undefined {
  const containers = asList(getIn(o.doc, [...POD_SPEC, 'containers']));
  for (let i = 0; i < containers.length; i++) {
    const name = asString(getIn(containers[i], ['name']));
    const image = asString(getIn(containers[i], ['image']));
    if (name === 'calico-node' || (image !== undefined && CALICO_NODE_IMAGE.test(image))) return [...POD_SPEC, 'containers', i];
  }
  return undefined;
}

export const calicoTypha: StateRule = {
  meta: {
    id: 'blast-radius/calico-typha',
    family: 'blast-radius',
    type: 'state',
    severity: 'high',
    description:
      'Flag Calico on the Kubernetes API datastore without Typha on clusters of more than 50 nodes: every calico-node then watches the API server directly, so update traffic grows with nodes times changes.',
    docs: 'docs/rules/blast-radius/calico-typha.md',
    remediation: REMEDIATION,
  },
  check(ctx: StateContext) {
    const groups = new Map<string, { object: KubeObject; verdict: Verdict; clusters: Set<string> }>();
    const sourceIds = new Map<KubeObject, number>();
    for (const o of ofKind(ctx.tree.objects, 'DaemonSet')) {
      if (ctx.only && !ctx.only.has(o.ref)) continue;
      const containerPath = calicoNodeContainer(o);
      if (!containerPath) continue;
      const index = unitIndex(ctx.tree, o.unit);
      if (index.operator) continue;
      const verdict = judge(o, containerPath, index);
      if (!verdict) continue;
      const big = ctx.fleet.clustersOfObject(o, ctx.side).filter((n) => (ctx.fleet.cluster(n)?.nodes ?? 0) > MAX_NODES_WITHOUT_TYPHA);
      if (big.length === 0) continue;
      const source = o.source ?? o;
      if (!sourceIds.has(source)) sourceIds.set(source, sourceIds.size);
      const at = verdict.at.object.source ?? verdict.at.object;
      const id = [sourceIds.get(source), o.ref, verdict.datastore.text, verdict.typha, `${at.file}#${at.docIndex}`].join('\u0000');
      const g = groups.get(id) ?? groups.set(id, { object: o, verdict, clusters: new Set() }).get(id)!;
      for (const c of big) g.clusters.add(c);
    }

    for (const { object: o, verdict, clusters } of groups.values()) {
      const reach = reachOf(ctx.fleet, clusters);
      if (reach.clusters.length === 0) continue;
      const largest = reach.clusters.reduce((a, c) => (c.nodes > a.nodes ? c : a));
      const events = largest.nodes * CHURN_PER_SECOND;
      const name = o.namespace ? `${o.namespace}/${o.name}` : o.name;
      ctx.report({
        key: 'no-typha',
        severity: 'high',
        message:
          `calico-node DaemonSet ${quote(name)} uses the Kubernetes API datastore (${verdict.datastore.text}) without Typha (${verdict.typha}) ` +
          `on ${reachText(reach)}; every calico-node (Felix) then lists and watches pods, namespaces, network policies and Calico resources cluster-wide ` +
          `straight from the API server, so update traffic grows with nodes × changes: ${CHURN_PER_SECOND} pod changes per second become ` +
          `${formatCount(events)} watch events per second at ${quote(largest.name)} (${formatCount(largest.nodes)} nodes${largest.nodesAssumed ? ', assumed' : ''}); ` +
          `Typha holds one set of watches and fans the updates out to the agents (Calico requires it above ${MAX_NODES_WITHOUT_TYPHA} nodes, RULEBOOK A.13 SCALE-CNI-1)`,
        at: verdict.at,
        about: o,
        clusters: reach.clusters.map((c) => c.name),
        data: {
          largestNodes: largest.nodes,
          watchEventsPerSecond: events,
          clusters: reach.clusters.map((c) => ({ cluster: c.name, nodes: c.nodes, nodesAssumed: c.nodesAssumed })),
        },
      });
    }
  },
};
