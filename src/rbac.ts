/**
 * RBAC joins inside one deployable unit: which ServiceAccount a workload runs as, and which cluster-wide
 * list / watch permissions ClusterRoleBindings give it. Pure functions over parsed objects; callers pass the
 * objects of one unit only (DESIGN.md "Units and objects": joins never cross units).
 *
 * Kubernetes semantics followed (RBAC docs, rbac/v1 types, the aggregation controller):
 * - only a ClusterRoleBinding grants a cluster-wide list or watch. A RoleBinding, even to a ClusterRole,
 *   grants inside its own namespace only, so it can never make a per-node agent list the whole cluster: they
 *   are ignored here on purpose;
 * - a binding's subjects match a ServiceAccount as `{kind: ServiceAccount, name, namespace}` (namespace is
 *   required: the API server rejects a ServiceAccount subject without one), as the User
 *   `system:serviceaccount:<ns>:<name>`, or through the groups every ServiceAccount belongs to:
 *   `system:serviceaccounts`, `system:serviceaccounts:<ns>` and `system:authenticated`;
 * - a rule grants a list when its verbs hold `list`, `watch` or `*` (verbs are case-sensitive), its
 *   apiGroups hold the resource's group or `*`, its resources hold the plural or `*`, and it has no
 *   `resourceNames`: with resourceNames, list and watch are only authorized with a `metadata.name` field
 *   selector naming one of them, which is never a cluster-wide list. Subresources (`pods/log`) are not lists;
 * - `resources: ["*"]` is read as every node-scaling kind its apiGroups cover (pods, nodes, leases,
 *   endpoints, endpointslices, events): the kinds that matter to the load model. It grants more, but nothing
 *   says the agent lists every resource of the cluster, so the model counts no more than those;
 * - a known plural in another group is a different resource and grants nothing here (`metrics.k8s.io`
 *   `pods` / `nodes` are PodMetrics / NodeMetrics served by metrics-server); an unknown plural (a CRD's) is
 *   kept under its plural and counts as a workload kind in the load profile;
 * - an aggregated ClusterRole (`aggregationRule.clusterRoleSelectors`) has the rules of every ClusterRole of
 *   the unit whose labels one selector matches, transitively; its own `rules` are ignored, as the
 *   controller overwrites them. Roles outside the unit cannot be seen;
 * - a binding to `cluster-admin`, `admin`, `edit` or `view` that the unit does not define uses the Kubernetes
 *   default role (bootstrap policy): cluster-admin grants everything, the other three read pods, endpoints,
 *   endpointslices, events, services, namespaces and the workload kinds. Other roles the unit does not
 *   define grant nothing here.
 */
import { matchesSelector } from './selector.js';
import type { KubeObject, YamlPath } from './types.js';
import { asList, asMap, asString, getIn, asStrings } from './yaml/walk.js';
import { isNodeScaling, NODE_SCALING_KINDS } from './load-model.js';
import { ofKinds } from './kinds.js';

/** The ServiceAccount a workload's pods run as. */
export interface ServiceAccountRef {
  /** The workload's namespace; null when the manifest leaves it to the apply (any subject namespace then matches). */
  readonly namespace: string | null;
  readonly name: string;
  /** Path of the field that names it inside the workload; null when the name is the default. */
  readonly path: YamlPath | null;
}

/** A resource one rule lets list or watch cluster-wide. */
export interface GrantedResource {
  /** API group as the rule matched it (`''` for core, `*` when only a wildcard group matched an unknown plural). */
  readonly group: string;
  /** RBAC plural. */
  readonly resource: string;
}

/** One rule of one ClusterRole, bound to the ServiceAccount by one ClusterRoleBinding, that lets it list or watch. */
export interface ClusterGrant {
  readonly binding: KubeObject;
  /** How the binding names the ServiceAccount: `ServiceAccount "ns/name"`, `Group "system:serviceaccounts"`, … */
  readonly subject: string;
  /** The ClusterRole the binding references. */
  readonly role: string;
  /** The ClusterRole holding the rule: the bound role, or one it aggregates. */
  readonly source: string;
  /** True when the bound role is a Kubernetes default role the unit does not define. */
  readonly builtIn: boolean;
  /** Index of the rule in the source role's `rules` (null for a built-in role). */
  readonly ruleIndex: number | null;
  /** The rule's verbs that allow listing: `list`, `watch`, `*`. */
  readonly verbs: readonly string[];
  /** True when the rule's resources hold `*`. */
  readonly wildcard: boolean;
  readonly resources: readonly GrantedResource[];
}

/** API groups of well-known resources (an absent plural is treated as a custom resource). */
const GROUPS: Readonly<Record<string, readonly string[]>> = {
  pods: [''],
  nodes: [''],
  endpoints: [''],
  events: ['', 'events.k8s.io'],
  services: [''],
  namespaces: [''],
  configmaps: [''],
  secrets: [''],
  serviceaccounts: [''],
  persistentvolumes: [''],
  persistentvolumeclaims: [''],
  replicationcontrollers: [''],
  resourcequotas: [''],
  limitranges: [''],
  podtemplates: [''],
  endpointslices: ['discovery.k8s.io'],
  leases: ['coordination.k8s.io'],
  replicasets: ['apps', 'extensions'],
  deployments: ['apps', 'extensions'],
  daemonsets: ['apps', 'extensions'],
  statefulsets: ['apps'],
  controllerrevisions: ['apps'],
  jobs: ['batch'],
  cronjobs: ['batch'],
  ingresses: ['networking.k8s.io', 'extensions'],
  networkpolicies: ['networking.k8s.io', 'extensions'],
  ingressclasses: ['networking.k8s.io'],
  horizontalpodautoscalers: ['autoscaling'],
  poddisruptionbudgets: ['policy'],
  storageclasses: ['storage.k8s.io'],
  csinodes: ['storage.k8s.io'],
  csidrivers: ['storage.k8s.io'],
  volumeattachments: ['storage.k8s.io'],
  customresourcedefinitions: ['apiextensions.k8s.io'],
};

const LIST_VERBS = new Set(['list', 'watch', '*']);
const RBAC_GROUP = 'rbac.authorization.k8s.io/';

/** Reads of the Kubernetes default roles `view` (and so `edit` and `admin`, which include it): bootstrap policy. */
const VIEW_RULES: ReadonlyArray<Record<string, unknown>> = [
  { apiGroups: [''], resources: ['pods', 'endpoints', 'events', 'services', 'namespaces', 'configmaps', 'persistentvolumeclaims', 'serviceaccounts', 'replicationcontrollers'], verbs: ['get', 'list', 'watch'] },
  { apiGroups: ['discovery.k8s.io'], resources: ['endpointslices'], verbs: ['get', 'list', 'watch'] },
  { apiGroups: ['apps'], resources: ['controllerrevisions', 'daemonsets', 'deployments', 'replicasets', 'statefulsets'], verbs: ['get', 'list', 'watch'] },
  { apiGroups: ['batch'], resources: ['cronjobs', 'jobs'], verbs: ['get', 'list', 'watch'] },
];
const BUILT_IN_ROLES: Readonly<Record<string, ReadonlyArray<Record<string, unknown>>>> = {
  'cluster-admin': [{ apiGroups: ['*'], resources: ['*'], verbs: ['*'] }],
  admin: VIEW_RULES,
  edit: VIEW_RULES,
  view: VIEW_RULES,
};

function nonEmpty(value: unknown): string | undefined {
  const s = asString(value);
  return s === undefined || s === '' ? undefined : s;
}

/**
 * The ServiceAccount a workload's pods run as: `spec.template.spec.serviceAccountName` (or the deprecated
 * `serviceAccount`), default `default`; for an OpenTelemetryCollector `spec.serviceAccount`, default
 * `<name>-collector` (the operator's naming); for a Prometheus / PrometheusAgent `spec.serviceAccountName`,
 * default `default` (the operator copies it into the pod spec as is). Undefined for an object without a
 * name or pod template.
 */
export function serviceAccountOf(workload: KubeObject): ServiceAccountRef | undefined {
  const namespace = workload.namespace;
  const named = (path: YamlPath): ServiceAccountRef | undefined => {
    const name = nonEmpty(getIn(workload.doc, path));
    return name === undefined ? undefined : { namespace, name, path };
  };
  if (workload.kind === 'OpenTelemetryCollector') {
    if (!workload.name) return undefined;
    // naming.ServiceAccount: "%s-collector", truncated to 63 characters by shortening the name.
    const suffix = '-collector';
    return named(['spec', 'serviceAccount']) ?? { namespace, name: `${workload.name.slice(0, 63 - suffix.length)}${suffix}`, path: null };
  }
  if (workload.kind === 'Prometheus' || workload.kind === 'PrometheusAgent') {
    return named(['spec', 'serviceAccountName']) ?? { namespace, name: 'default', path: null };
  }
  const podSpec = ['spec', 'template', 'spec'];
  if (!asMap(getIn(workload.doc, podSpec))) return undefined;
  return named([...podSpec, 'serviceAccountName']) ?? named([...podSpec, 'serviceAccount']) ?? { namespace, name: 'default', path: null };
}

/** How a binding's subject names the ServiceAccount, or undefined when it does not. */
export function subjectMatch(subject: unknown, sa: ServiceAccountRef): string | undefined {
  const s = asMap(subject);
  if (!s) return undefined;
  const kind = asString(s.kind);
  const name = asString(s.name);
  if (!kind || !name) return undefined;
  const nsMatches = (ns: string | undefined) => ns !== undefined && ns !== '' && (sa.namespace === null || ns === sa.namespace);
  if (kind === 'ServiceAccount') {
    const ns = asString(s.namespace);
    return name === sa.name && nsMatches(ns) ? `ServiceAccount "${ns}/${name}"` : undefined;
  }
  if (kind === 'User') {
    const m = /^system:serviceaccount:([^:]+):([^:]+)$/.exec(name);
    return m && m[2] === sa.name && nsMatches(m[1]) ? `User "${name}"` : undefined;
  }
  if (kind === 'Group') {
    if (name === 'system:serviceaccounts' || name === 'system:authenticated') return `Group "${name}"`;
    const m = /^system:serviceaccounts:([^:]+)$/.exec(name);
    return m && nsMatches(m[1]) ? `Group "${name}"` : undefined;
  }
  return undefined;
}

/** Labels of an object (string values only). */
function labelsOf(object: KubeObject): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(asMap(getIn(object.doc, ['metadata', 'labels'])) ?? {})) {
    if (typeof v === 'string') out[k] = v;
  }
  return out;
}

/** The resources one rule lets list or watch cluster-wide (empty when it grants no list). */
export function listedResources(rule: unknown): { verbs: string[]; wildcard: boolean; resources: GrantedResource[] } {
  const none = { verbs: [], wildcard: false, resources: [] };
  const r = asMap(rule);
  if (!r) return none;
  const verbs = asStrings(r.verbs).filter((v) => LIST_VERBS.has(v));
  if (verbs.length === 0) return none;
  if (asStrings(r.resourceNames).length > 0) return none;
  const groups = asStrings(r.apiGroups);
  const anyGroup = groups.includes('*');
  const out = new Map<string, GrantedResource>();
  const add = (group: string, resource: string) => {
    if (!out.has(resource)) out.set(resource, { group, resource });
  };
  let wildcard = false;
  for (const entry of asStrings(r.resources)) {
    if (entry.includes('/')) continue; // a subresource: never a list of the resource
    if (entry === '*') {
      wildcard = true;
      for (const kind of NODE_SCALING_KINDS) {
        const g = anyGroup ? GROUPS[kind][0] : GROUPS[kind].find((x) => groups.includes(x));
        if (g !== undefined) add(g, kind);
      }
      continue;
    }
    const known = GROUPS[entry];
    if (known) {
      const g = anyGroup ? known[0] : known.find((x) => groups.includes(x));
      if (g !== undefined) add(g, entry);
    } else if (groups.length > 0) {
      add(groups.find((g) => g !== '*') ?? '*', entry);
    }
  }
  if (out.size === 0) return none;
  return { verbs, wildcard, resources: [...out.values()] };
}

/** The ClusterRoles and ClusterRoleBindings of one unit, indexed for the joins. */
interface RbacIndex {
  roles: Map<string, KubeObject[]>;
  allRoles: KubeObject[];
  /** ClusterRoleBindings to a ClusterRole, by the subject keys they name (see subjectKeys). */
  bindingsBySubject: Map<string, KubeObject[]>;
  /** Effective rules of each role, computed once. */
  rules: Map<KubeObject, Array<{ source: string; ruleIndex: number; rule: unknown }>>;
  labels: Map<KubeObject, Record<string, string>>;
  /** Grants by ServiceAccount, computed once. */
  grants: Map<string, ClusterGrant[]>;
  /** Position of each binding in the unit, to report grants in document order. */
  order: Map<KubeObject, number>;
}

const indexes = new WeakMap<readonly KubeObject[], RbacIndex>();

/**
 * The keys under which a subject is indexed: a ServiceAccount by name (its namespace is checked on
 * lookup, since a workload without a namespace matches any), a service-account User by name, groups by
 * group name.
 */
function subjectKey(subject: unknown): string | undefined {
  const s = asMap(subject);
  const kind = asString(s?.kind);
  const name = asString(s?.name);
  if (!kind || !name) return undefined;
  if (kind === 'ServiceAccount') return `sa:${name}`;
  if (kind === 'User') {
    const m = /^system:serviceaccount:[^:]+:([^:]+)$/.exec(name);
    return m ? `sa:${m[1]}` : undefined;
  }
  if (kind === 'Group') return `group:${name.startsWith('system:serviceaccounts:') ? 'system:serviceaccounts:*' : name}`;
  return undefined;
}

const rolePartsOf = (o: KubeObject) => [o.doc.rules, o.doc.aggregationRule, getIn(o.doc, ['metadata', 'labels'])];
const bindingPartsOf = (o: KubeObject) => [o.doc.roleRef, o.doc.subjects];

// The copy key of an object as parsed is the same on both sides of a change: computed once per object.
const copyKeys = new WeakMap<object, string>();
function copyKey(o: KubeObject, parts: unknown[]): string {
  const cacheable = o.source === undefined ? o : undefined; // derived objects may be patched
  const known = cacheable && copyKeys.get(cacheable);
  if (known) return known;
  const id = `${o.kind}\u0000${o.name}\u0000${JSON.stringify(parts)}`;
  if (cacheable) copyKeys.set(cacheable, id);
  return id;
}

function indexOf(objects: readonly KubeObject[]): RbacIndex {
  let index = indexes.get(objects);
  if (index) return index;
  index = { roles: new Map(), allRoles: [], bindingsBySubject: new Map(), rules: new Map(), labels: new Map(), grants: new Map(), order: new Map() };
  // A cluster holds one object per name; a unit made of unrelated files (the unit `.` of a repository
  // without clusters) can hold many identical copies, which would multiply every join: keep one of each.
  const seen = new Set<string>();
  const names = new Map<string, KubeObject>();
  const firstCopy = (o: KubeObject, ...parts: unknown[]) => {
    // Only a name seen before can be a copy: compare contents then, and only then.
    const nameKey = `${o.kind}\u0000${o.name}`;
    const earlier = names.get(nameKey);
    if (!earlier) {
      names.set(nameKey, o);
      return true;
    }
    if (!seen.has(nameKey)) {
      seen.add(nameKey);
      seen.add(copyKey(earlier, o.kind === 'ClusterRole' ? rolePartsOf(earlier) : bindingPartsOf(earlier)));
    }
    const id = copyKey(o, parts);
    if (seen.has(id)) return false;
    seen.add(id);
    return true;
  };
  for (const o of ofKinds(objects, ['ClusterRole', 'ClusterRoleBinding'])) {
    if (!o.apiVersion.startsWith(RBAC_GROUP) || !o.name) continue;
    if (o.kind === 'ClusterRole') {
      if (!firstCopy(o, ...rolePartsOf(o))) continue;
      index.allRoles.push(o);
      const list = index.roles.get(o.name) ?? [];
      list.push(o);
      index.roles.set(o.name, list);
    } else if (o.kind === 'ClusterRoleBinding') {
      if (!firstCopy(o, ...bindingPartsOf(o))) continue;
      index.order.set(o, index.order.size);
      const keys = new Set(asList(o.doc.subjects).map(subjectKey).filter((k): k is string => k !== undefined));
      for (const k of keys) (index.bindingsBySubject.get(k) ?? index.bindingsBySubject.set(k, []).get(k)!).push(o);
    }
  }
  indexes.set(objects, index);
  return index;
}

/** A role's effective rules: its own, or for an aggregated role the rules of every role it aggregates. */
function effectiveRules(role: KubeObject, index: RbacIndex, visiting?: Set<KubeObject>): Array<{ source: string; ruleIndex: number; rule: unknown }> {
  const known = index.rules.get(role);
  if (known) return known;
  const top = visiting === undefined;
  const seen = visiting ?? new Set<KubeObject>();
  if (seen.has(role)) return [];
  seen.add(role);
  const aggregation = asMap(role.doc.aggregationRule);
  let out: Array<{ source: string; ruleIndex: number; rule: unknown }>;
  if (!aggregation) out = asList(role.doc.rules).map((rule, ruleIndex) => ({ source: role.name, ruleIndex, rule }));
  else {
    // A null or non-mapping selector selects nothing (LabelSelectorAsSelector(nil) is Nothing); `{}` selects all.
    const selectors = asList(aggregation.clusterRoleSelectors).filter((s) => asMap(s) !== undefined);
    out = [];
    for (const other of index.allRoles) {
      if (other === role || seen.has(other)) continue;
      let labels = index.labels.get(other);
      if (!labels) index.labels.set(other, (labels = labelsOf(other)));
      if (selectors.some((s) => matchesSelector(s, labels))) out.push(...effectiveRules(other, index, seen));
    }
  }
  // Only a top-level result is final: inside a walk, `seen` may have cut an aggregation short.
  if (top) index.rules.set(role, out);
  return out;
}

/**
 * Every cluster-wide list / watch grant the unit's ClusterRoleBindings give the ServiceAccount: one entry per
 * (binding, rule) that lets it list at least one resource. `unitObjects` must be the objects of one unit
 * (the index built from it is cached per array).
 */
export function clusterGrantsFor(sa: ServiceAccountRef, unitObjects: readonly KubeObject[]): ClusterGrant[] {
  const index = indexOf(unitObjects);
  const cacheKey = `${sa.namespace ?? ''}\u0000${sa.name}`;
  const cached = index.grants.get(cacheKey);
  if (cached) return cached;
  const candidates = new Set([
    ...(index.bindingsBySubject.get(`sa:${sa.name}`) ?? []),
    ...(index.bindingsBySubject.get('group:system:serviceaccounts') ?? []),
    ...(index.bindingsBySubject.get('group:system:serviceaccounts:*') ?? []),
    ...(index.bindingsBySubject.get('group:system:authenticated') ?? []),
  ]);
  const grants: ClusterGrant[] = [];
  for (const binding of candidates) {
    const roleRef = asMap(binding.doc.roleRef);
    if (asString(roleRef?.kind) !== 'ClusterRole') continue;
    const roleName = nonEmpty(roleRef?.name);
    if (!roleName) continue;
    let subject: string | undefined;
    for (const s of asList(binding.doc.subjects)) {
      subject = subjectMatch(s, sa);
      if (subject) break;
    }
    if (!subject) continue;
    const roles = index.roles.get(roleName);
    const base = { binding, subject, role: roleName };
    if (roles) {
      for (const role of roles) {
        for (const { source, ruleIndex, rule } of effectiveRules(role, index)) {
          const listed = listedResources(rule);
          if (listed.resources.length > 0) grants.push({ ...base, source, builtIn: false, ruleIndex, ...listed });
        }
      }
    } else if (Object.prototype.hasOwnProperty.call(BUILT_IN_ROLES, roleName)) {
      for (const rule of BUILT_IN_ROLES[roleName]) {
        const listed = listedResources(rule);
        if (listed.resources.length > 0) grants.push({ ...base, source: roleName, builtIn: true, ruleIndex: null, ...listed });
      }
    }
  }
  // Bindings in document order, as before indexing.
  grants.sort((a, b) => (index.order.get(a.binding) ?? 0) - (index.order.get(b.binding) ?? 0));
  index.grants.set(cacheKey, grants);
  return grants;
}

/** True when a grant lets the ServiceAccount list a kind whose count grows with the node count. */
export function grantsNodeScaling(grant: ClusterGrant): boolean {
  return grant.resources.some((r) => isNodeScaling(r.resource));
}
