/**
 * blast-radius/rbac-wildcard — ServiceAccounts bound cluster-wide to everything, or to the permissions that
 * lead to everything (RULEBOOK C.6 CRIT-RBAC-1, CRIT-RBAC-2).
 *
 * Each ClusterRoleBinding (rbac.authorization.k8s.io) is joined, inside its deployable unit, with the
 * ClusterRole its roleRef names; findings are about the binding (so a pull request that only adds a binding,
 * or a subject to one, is new) and keyed by the workload identity it grants:
 * - high (`cluster-admin:<subject>`): the binding gives `cluster-admin` to a ServiceAccount subject. It points
 *   at the binding's `roleRef.name`;
 * - high (`wildcard:<subject>`): the bound role (or a role it aggregates) has a rule covering every resource —
 *   `resources: ["*"]` with `apiGroups: ["*"]`, or with the core group `""` (Secrets, Pods, ServiceAccounts,
 *   Nodes…) — with any write verb (`*`, create, update, patch, delete, deletecollection, escalate, bind,
 *   impersonate). It points at that rule's `resources` line in the ClusterRole;
 * - medium (`wildcard:<subject>`): the same rule with read verbs only (get, list, watch): every Secret of the
 *   cluster can be read. High when the subject is a group of every ServiceAccount or every client
 *   (`system:serviceaccounts`, `system:authenticated`, `system:unauthenticated`, `system:anonymous`);
 * - high (`sensitive:<subject>`): a rule that leads to cluster-admin or to every workload without naming
 *   every resource: every verb (`verbs: ["*"]`, RULEBOOK C.6 CRIT-RBAC-1) on core `secrets`, `pods`,
 *   `pods/exec`, `serviceaccounts`, `serviceaccounts/token` or `nodes`, on RBAC roles and bindings, on
 *   admission webhook configurations or on CustomResourceDefinitions; or escalate / bind on roles and
 *   ClusterRoles, impersonate on users, groups and ServiceAccounts (`*` verbs include them; on other
 *   resources they are not RBAC's verbs). It points at the strongest such rule (`verbs` for escalate / bind /
 *   impersonate, `resources` otherwise), and the message lists what every such rule of the role allows;
 * - a `sensitive` finding is left out on head when the same binding has a `wildcard` finding for the subject
 *   at the same or a higher severity (the wildcard says it all). On base it is kept, so that narrowing a
 *   wildcard to a list that still has `*` verbs on Secrets or Pods is not a new finding;
 * - quiet by design: named write verbs (create, update, patch, delete, deletecollection) on those sensitive
 *   resources, and reads (get / list / watch) of Secrets, for any subject. Common upstream installs need them
 *   (the ingress-nginx admission job updates every ValidatingWebhookConfiguration, an operator creates its
 *   CRDs, kube-state-metrics lists Secrets); CRIT-RBAC-1 is about `*` verbs, resources and API groups;
 * - quiet: bindings of human users and groups (access policy for people, not the reach of a workload);
 *   RoleBindings (they grant inside one namespace); roles nobody in the unit binds; rules with
 *   `resourceNames`; rules whose `*` is limited to named API groups (an operator's own CRDs:
 *   `monitoring.coreos.com`, `metrics.k8s.io`) or to subresources (`*\/scale`, `*\/finalizers`);
 *   `nonResourceURLs` rules (`/metrics`, `/healthz`); the built-in `admin` / `edit` / `view` roles.
 *
 * `<subject>` is `<namespace>/<name>` for a ServiceAccount (also when written as the User
 * `system:serviceaccount:<namespace>:<name>`), `group:<name>` for a group, `user:system:anonymous`.
 *
 * Kubernetes semantics followed (RBAC docs, rbac/v1 helpers, the aggregation controller), as src/rbac.ts:
 * - `*` in `resources` matches every resource and subresource; `*\/sub` only that subresource of every
 *   resource (`*\/exec` is `pods/exec`); `*` in `apiGroups` every group, the core group included;
 * - a ServiceAccount subject needs a namespace (the API server rejects one without): such a subject is quiet;
 * - an aggregated ClusterRole (`aggregationRule.clusterRoleSelectors`) has the rules of every ClusterRole of the
 *   unit whose labels a selector matches, transitively; its own `rules` are overwritten by the controller.
 *   The set of roles it aggregates is computed once per role (a walk whose visited set only grows), so roles
 *   that select one another cost O(roles²), not one walk per path;
 * - `cluster-admin` is always the bootstrap role (the API server reconciles it at start), whatever the unit
 *   holds under that name.
 */
import { labelsOf } from '../../src/kube.js';
import type { StateRule } from '../../src/rule.js';
import { matchesSelector } from '../../src/selector.js';
import { levelRank, type KubeObject, type Severity } from '../../src/types.js';
import { listing, quote } from '../../src/text.js';
import { asList, asMap, asString, asStrings } from '../../src/yaml/walk.js';
import { ofKinds } from '../../src/kinds.js';

const RBAC_GROUP = 'rbac.authorization.k8s.io/';
const CLUSTER_ADMIN = 'cluster-admin';

const WRITE_VERBS = new Set(['*', 'create', 'update', 'patch', 'delete', 'deletecollection', 'escalate', 'bind', 'impersonate']);
const READ_VERBS = new Set(['get', 'list', 'watch']);

const REMEDIATION_WILDCARD =
  'Replace the wildcards with the API groups, resources and verbs the workload needs, or grant them per namespace with RoleBindings.';
const REMEDIATION_SENSITIVE =
  'Grant these verbs with RoleBindings in the namespaces the workload manages, or limit them to the objects it owns with resourceNames.';
const REMEDIATION_ADMIN =
  'Bind a ClusterRole that lists only the API groups, resources and verbs the workload needs, or grant them per namespace with RoleBindings.';

/** A workload identity a binding names. */
interface Subject {
  /** Stable key part: `ns/name`, `group:<name>`, `user:system:anonymous`. */
  readonly key: string;
  /** How the message names it. */
  readonly text: string;
  /** A group of every ServiceAccount or every client of the cluster. */
  readonly everyone: boolean;
}

/** The workload identity a subject names, or undefined for people (and malformed subjects). */
function subjectOf(raw: unknown): Subject | undefined {
  const s = asMap(raw);
  const kind = asString(s?.kind);
  const name = asString(s?.name);
  if (!s || !kind || !name) return undefined;
  if (kind === 'ServiceAccount') {
    const ns = asString(s.namespace);
    return ns ? { key: `${ns}/${name}`, text: `ServiceAccount ${quote(`${ns}/${name}`)}`, everyone: false } : undefined;
  }
  if (kind === 'User') {
    const m = /^system:serviceaccount:([^:]+):([^:]+)$/.exec(name);
    if (m) return { key: `${m[1]}/${m[2]}`, text: `ServiceAccount ${quote(`${m[1]}/${m[2]}`)} (as User ${quote(name)})`, everyone: false };
    if (name === 'system:anonymous') return { key: 'user:system:anonymous', text: `User ${quote(name)} (every unauthenticated request)`, everyone: true };
    return undefined;
  }
  if (kind === 'Group') {
    const group = (text: string, everyone: boolean): Subject => ({ key: `group:${name}`, text: `Group ${quote(name)} (${text})`, everyone });
    if (name === 'system:serviceaccounts') return group('every ServiceAccount of the cluster', true);
    if (name === 'system:authenticated') return group('every authenticated user and ServiceAccount', true);
    if (name === 'system:unauthenticated') return group('every unauthenticated request', true);
    const m = /^system:serviceaccounts:([^:]+)$/.exec(name);
    if (m) return group(`every ServiceAccount of namespace ${quote(m[1])}`, false);
  }
  return undefined;
}

/** A rule that covers every resource (of every group, or of the core group). */
interface Wildcard {
  readonly role: KubeObject;
  readonly index: number;
  readonly scope: 'all' | 'core';
  readonly verbs: readonly string[];
  readonly write: boolean;
}

function wildcardOf(role: KubeObject, index: number, raw: unknown): Wildcard | undefined {
  const rule = asMap(raw);
  if (!rule) return undefined;
  if (!asStrings(rule.resources).includes('*')) return undefined;
  if (asStrings(rule.resourceNames).length > 0) return undefined;
  const groups = asStrings(rule.apiGroups);
  const scope = groups.includes('*') ? 'all' : groups.includes('') ? 'core' : undefined;
  if (!scope) return undefined;
  const verbs = asStrings(rule.verbs);
  const write = verbs.some((v) => WRITE_VERBS.has(v));
  if (!write && !verbs.some((v) => READ_VERBS.has(v))) return undefined;
  return { role, index, scope, verbs, write };
}

/** Ranks wildcards: write over read, every group over core. */
const rank = (w: Wildcard) => (w.write ? 2 : 0) + (w.scope === 'all' ? 1 : 0);

// ---- sensitive grants -----------------------------------------------------------------------------

/**
 * What a rule can lead to short of naming every resource, strongest first (the finding points at the first
 * category a role has). `pods` is create / update / patch (a pod's image is mutable), `pods-delete` delete
 * only, `secrets-read` get / list / watch (reported alone only for every-client groups). `*` resources are judged here too, so that a
 * base whose wildcard covered a grant counts as having had it (see `check`).
 */
const CATEGORIES = [
  'escalate',
  'impersonate',
  'rbac',
  'exec',
  'pods',
  'token',
  'secrets',
  'webhooks',
  'serviceaccounts',
  'crds',
  'nodes',
  'pods-delete',
  'secrets-read',
] as const;
type Category = (typeof CATEGORIES)[number];

/**
 * The verbs that make a grant on a sensitive resource a finding: every verb (RULEBOOK C.6 CRIT-RBAC-1,
 * `verbs: ["*"]`). Named write verbs on these resources are what many controllers need by design (an
 * admission webhook's certificate patcher updates its own webhook configuration; an operator creates its
 * CRDs): reporting them would flag most upstream installs. escalate / bind / impersonate are judged on
 * their own.
 */
const RESOURCE_WRITE_VERBS = new Set(['*']);
const RBAC_API_GROUP = 'rbac.authorization.k8s.io';
/** What the impersonation filter checks `impersonate` on (uids and userextras only qualify a user). */
const IDENTITIES = ['users', 'groups', 'serviceaccounts'];

/** Resources whose write leads to cluster-admin or to every workload, by API group. */
const SENSITIVE: ReadonlyArray<{ group: string; resource: string; category: Category }> = [
  { group: '', resource: 'secrets', category: 'secrets' },
  { group: '', resource: 'pods', category: 'pods' },
  { group: '', resource: 'pods/exec', category: 'exec' },
  { group: '', resource: 'serviceaccounts', category: 'serviceaccounts' },
  { group: '', resource: 'serviceaccounts/token', category: 'token' },
  { group: '', resource: 'nodes', category: 'nodes' },
  { group: 'rbac.authorization.k8s.io', resource: 'clusterroles', category: 'rbac' },
  { group: 'rbac.authorization.k8s.io', resource: 'clusterrolebindings', category: 'rbac' },
  { group: 'rbac.authorization.k8s.io', resource: 'roles', category: 'rbac' },
  { group: 'rbac.authorization.k8s.io', resource: 'rolebindings', category: 'rbac' },
  { group: 'admissionregistration.k8s.io', resource: 'validatingwebhookconfigurations', category: 'webhooks' },
  { group: 'admissionregistration.k8s.io', resource: 'mutatingwebhookconfigurations', category: 'webhooks' },
  { group: 'apiextensions.k8s.io', resource: 'customresourcedefinitions', category: 'crds' },
];

/** One rule's grant of one category. */
interface Sensitive {
  readonly role: KubeObject;
  readonly index: number;
  readonly category: Category;
  /** The verbs that make it sensitive, as written. */
  readonly verbs: readonly string[];
  /** The rule's entries that matched (`secrets`, `*`, `*\/exec`…), as written. */
  readonly resources: readonly string[];
  /** The rule's apiGroups as written. */
  readonly groups: readonly string[];
  /** The field the finding points at. */
  readonly field: 'verbs' | 'resources';
}

/** RBAC `ResourceMatches`: the rule entries that cover `resource` (`*`, the name, or `*\/<subresource>`). */
function entriesCovering(entries: readonly string[], resource: string): string[] {
  const slash = resource.indexOf('/');
  const sub = slash < 0 ? undefined : `*/${resource.slice(slash + 1)}`;
  return entries.filter((e) => e === '*' || e === resource || (sub !== undefined && e === sub));
}

/** The sensitive grants of one rule (none for a rule with resourceNames: it reaches named objects only). */
function sensitiveOf(role: KubeObject, index: number, raw: unknown): Sensitive[] {
  const rule = asMap(raw);
  if (!rule) return [];
  const verbs = asStrings(rule.verbs);
  const entries = asStrings(rule.resources);
  if (entries.length === 0 || verbs.length === 0) return [];
  // Most rules name their verbs and grant none of these: skip them without matching every resource.
  const reachable =
    verbs.some((v) => v === '*' || v === 'escalate' || v === 'bind' || v === 'impersonate') ||
    (verbs.some((v) => READ_VERBS.has(v)) && entries.some((e) => e === 'secrets' || e === '*'));
  if (!reachable || asStrings(rule.resourceNames).length > 0) return [];
  const groups = asStrings(rule.apiGroups);
  const out: Sensitive[] = [];
  const add = (category: Category, vs: readonly string[], resources: readonly string[], field: Sensitive['field']) => {
    const known = out.find((h) => h.category === category);
    if (!known) out.push({ role, index, category, verbs: vs, resources, groups, field });
    else out[out.indexOf(known)] = { ...known, resources: [...new Set([...known.resources, ...resources])] };
  };
  const inGroup = (group: string) => groups.includes('*') || groups.includes(group);
  // escalate and bind are checked on roles and ClusterRoles, impersonate on users, groups and
  // ServiceAccounts: elsewhere they are some other authorizer's verbs, of unknown reach. `*` is every verb.
  const escalation = verbs.includes('*') ? ['*'] : verbs.filter((v) => v === 'escalate' || v === 'bind');
  const onRoles = inGroup(RBAC_API_GROUP) ? [...new Set(['roles', 'clusterroles'].flatMap((r) => entriesCovering(entries, r)))] : [];
  if (escalation.length > 0 && onRoles.length > 0) add('escalate', escalation, onRoles, 'verbs');
  const impersonation = verbs.includes('*') ? ['*'] : verbs.filter((v) => v === 'impersonate');
  const identities = inGroup('') ? [...new Set(IDENTITIES.flatMap((r) => entriesCovering(entries, r)))] : [];
  if (impersonation.length > 0 && identities.length > 0) add('impersonate', impersonation, identities, 'verbs');
  const writes = verbs.filter((v) => RESOURCE_WRITE_VERBS.has(v));
  for (const { group, resource, category } of SENSITIVE) {
    if (!inGroup(group)) continue;
    const matched = entriesCovering(entries, resource);
    if (matched.length === 0) continue;
    if (category === 'pods') {
      const runs = writes.some((v) => v !== 'delete' && v !== 'deletecollection');
      if (writes.length > 0) add(runs ? 'pods' : 'pods-delete', writes, matched, 'resources');
    } else if (writes.length > 0) add(category, writes, matched, 'resources');
    // Reads of Secrets: part of what `*` grants (the message says so), and a finding of their own only when
    // bound to every client of the cluster (a controller reading Secrets is common by design).
    const reads = verbs.filter((v) => v === '*' || READ_VERBS.has(v));
    if (category === 'secrets' && reads.length > 0) add('secrets-read', reads, matched, 'resources');
  }
  return out;
}

/** Verbs and resources of every grant of one category, together (what the message says a pod can do). */
interface Reach {
  readonly verbs: Set<string>;
  readonly resources: Set<string>;
}

/** What a role grants that this rule judges. */
interface Grants {
  /** The strongest wildcard rule, or null. */
  readonly wildcard: Wildcard | null;
  /** The first grant of each sensitive category, in role then rule order (what the finding points at). */
  readonly sensitive: ReadonlyMap<Category, Sensitive>;
  /** Every grant of each category, together. */
  readonly reach: ReadonlyMap<Category, Reach>;
}

/** Adds verbs and resources to the reach of a category. */
function extend(reach: Map<Category, Reach>, category: Category, verbs: Iterable<string>, resources: Iterable<string>): void {
  const r = reach.get(category) ?? reach.set(category, { verbs: new Set(), resources: new Set() }).get(category)!;
  for (const v of verbs) r.verbs.add(v);
  for (const e of resources) r.resources.add(e);
}

/** Merges grants into `into`: the first grant of each category is kept, reaches are united. */
function merge(into: { sensitive: Map<Category, Sensitive>; reach: Map<Category, Reach> }, grants: Grants): void {
  for (const [c, h] of grants.sensitive) if (!into.sensitive.has(c)) into.sensitive.set(c, h);
  for (const [c, r] of grants.reach) extend(into.reach, c, r.verbs, r.resources);
}

/** ClusterRoles of one unit by name, with what each grants, computed once per role. */
interface UnitRoles {
  readonly byName: Map<string, KubeObject[]>;
  readonly all: KubeObject[];
  /** Document order of `all`. */
  readonly position: Map<KubeObject, number>;
  /** The roles each aggregated role's selectors pick (computed once per role). */
  readonly selected: Map<KubeObject, KubeObject[]>;
  readonly labels: Map<KubeObject, Record<string, string>>;
  /** Grants of a role's own rules. */
  readonly own: Map<KubeObject, Grants>;
  /** Grants of a role with aggregation resolved. */
  readonly effective: Map<KubeObject, Grants>;
  /** Grants of all roles of one name together. */
  readonly named: Map<string, NamedGrants>;
}

function ownGrants(role: KubeObject, roles: UnitRoles): Grants {
  const known = roles.own.get(role);
  if (known) return known;
  let wildcard: Wildcard | null = null;
  const sensitive = new Map<Category, Sensitive>();
  const reach = new Map<Category, Reach>();
  asList(role.doc.rules).forEach((r, i) => {
    const w = wildcardOf(role, i, r);
    if (w && (!wildcard || rank(w) > rank(wildcard))) wildcard = w;
    for (const h of sensitiveOf(role, i, r)) {
      if (!sensitive.has(h.category)) sensitive.set(h.category, h);
      extend(reach, h.category, h.verbs, h.resources);
    }
  });
  const grants = { wildcard, sensitive, reach };
  roles.own.set(role, grants);
  return grants;
}

/** The roles an aggregated role's selectors pick, once per role; undefined for a role that aggregates nothing. */
function selectedBy(role: KubeObject, roles: UnitRoles): KubeObject[] | undefined {
  const aggregation = asMap(role.doc.aggregationRule);
  if (!aggregation) return undefined;
  let picked = roles.selected.get(role);
  if (!picked) {
    // A null or non-mapping selector selects nothing; `{}` selects every role.
    const selectors = asList(aggregation.clusterRoleSelectors).filter((s) => asMap(s) !== undefined);
    const labels = (o: KubeObject) => roles.labels.get(o) ?? roles.labels.set(o, labelsOf(o)).get(o)!;
    picked = selectors.length === 0 ? [] : roles.all.filter((other) => other !== role && selectors.some((s) => matchesSelector(s, labels(other))));
    roles.selected.set(role, picked);
  }
  return picked;
}

/**
 * The roles whose own rules a role has: itself, or for an aggregated role (whose own rules the controller
 * overwrites) every non-aggregated role reachable through selectors, transitively, in document order. The
 * visited set only grows, so each role is expanded once per call, whatever cycles the selectors make.
 */
function closureOf(role: KubeObject, roles: UnitRoles): KubeObject[] {
  const visited = new Set<KubeObject>([role]);
  const plain: KubeObject[] = [];
  const stack = [role];
  while (stack.length > 0) {
    const r = stack.pop()!;
    const picked = selectedBy(r, roles);
    if (!picked) {
      plain.push(r);
      continue;
    }
    for (const o of picked) {
      if (visited.has(o)) continue;
      visited.add(o);
      stack.push(o);
    }
  }
  return plain.length < 2 ? plain : plain.sort((x, y) => roles.position.get(x)! - roles.position.get(y)!);
}

/** What a role grants with aggregation resolved, cached per role. */
function grantsOf(role: KubeObject, roles: UnitRoles): Grants {
  const known = roles.effective.get(role);
  if (known) return known;
  let wildcard: Wildcard | null = null;
  const into = { sensitive: new Map<Category, Sensitive>(), reach: new Map<Category, Reach>() };
  for (const r of closureOf(role, roles)) {
    const own = ownGrants(r, roles);
    if (own.wildcard && (!wildcard || rank(own.wildcard) > rank(wildcard))) wildcard = own.wildcard;
    merge(into, own);
  }
  const grants = { wildcard, ...into };
  roles.effective.set(role, grants);
  return grants;
}

function scopeText(w: Wildcard): string {
  return w.scope === 'all' ? 'every resource of every API group' : 'every resource of the core API group (Secrets, Pods, ServiceAccounts, Nodes, ConfigMaps…)';
}

function verbsText(w: Wildcard): string {
  return w.verbs.includes('*') ? 'every verb' : `the verbs ${listing(w.verbs.map(quote))}`;
}

/** What a holder of the rule can do, in the cluster's terms. */
function powerText(w: Wildcard): string {
  const pod = 'a compromised or misbehaving pod running as it can';
  if (!w.write) {
    return `${pod} read every object of ${w.scope === 'all' ? 'every kind' : 'the core kinds'}, every Secret (the credentials of every workload) included, and list and watch them all`;
  }
  if (w.verbs.includes('*')) {
    return w.scope === 'all'
      ? `cluster-admin in all but name: ${pod} read every Secret, rewrite RBAC and admission webhooks, and delete any namespace or CustomResourceDefinition with everything in it`
      : `cluster-admin in effect: ${pod} read every Secret, start pods as any ServiceAccount of any namespace, and delete any namespace with everything in it`;
  }
  const can: string[] = [];
  const has = (...vs: string[]) => vs.some((v) => w.verbs.includes(v));
  if (has('get', 'list', 'watch')) can.push('read every Secret');
  if (has('create')) can.push(w.scope === 'all' ? 'create any object, pods running as any ServiceAccount included' : 'start pods as any ServiceAccount of any namespace');
  if (has('update', 'patch')) can.push(w.scope === 'all' ? 'rewrite any object (a kube-system Deployment, an admission webhook, a CRD)' : 'rewrite any Pod, Secret, ConfigMap or Node');
  if (has('delete', 'deletecollection')) can.push(w.scope === 'all' ? 'delete any namespace or CustomResourceDefinition with everything in it' : 'delete any namespace with everything in it');
  if (has('escalate', 'bind', 'impersonate')) can.push('grant itself any permission');
  return `${pod} ${listing(can)}`;
}

/** `a`, `a or b`, `a, b or c`. */
function either(items: readonly string[]): string {
  if (items.length <= 1) return items.join('');
  return `${items.slice(0, -1).join(', ')} or ${items[items.length - 1]}`;
}

/** Powers joined so that the commas and "or"s inside one stay readable: `a`, `a, and b`, `a; b; and c`. */
function powers(items: readonly string[]): string {
  if (items.length <= 2) return items.join(', and ');
  return `${items.slice(0, -1).join('; ')}; and ${items[items.length - 1]}`;
}

/** What write verbs do, in plain words: create, rewrite, delete. */
function actions(verbs: readonly string[]): string[] {
  const all = verbs.includes('*');
  const has = (...vs: string[]) => all || vs.some((v) => verbs.includes(v));
  return [has('create') ? 'create' : '', has('update', 'patch') ? 'rewrite' : '', has('delete', 'deletecollection') ? 'delete' : ''].filter(Boolean);
}

const CATEGORY_GROUP: Readonly<Record<Category, string>> = {
  escalate: RBAC_API_GROUP,
  impersonate: '',
  rbac: RBAC_API_GROUP,
  exec: '',
  pods: '',
  token: '',
  secrets: '',
  webhooks: 'admissionregistration.k8s.io',
  serviceaccounts: '',
  crds: 'apiextensions.k8s.io',
  nodes: '',
  'pods-delete': '',
  'secrets-read': '',
};

/** `the verbs "create" and "delete" on "secrets"` for the grant a finding points at. */
function grantText(h: Sensitive): string {
  const verbs = h.verbs.includes('*') ? 'every verb' : `the ${h.verbs.length === 1 ? 'verb' : 'verbs'} ${listing(h.verbs.map(quote))}`;
  const group = CATEGORY_GROUP[h.category];
  const where = h.groups.includes('*') ? ' of every API group' : group === '' ? '' : ` of API group ${quote(group)}`;
  const what = h.resources.includes('*') ? 'every resource' : listing(h.resources.map(quote));
  return `${verbs} on ${what}${where}`;
}

/** Reads of every Secret (list, watch or every verb), or get by name only. */
const readsEverySecret = (r: Reach | undefined) => r !== undefined && [...r.verbs].some((v) => v !== 'get');

/** What a holder of the grants can do, one phrase per category, strongest first. */
function sensitivePowers(reach: ReadonlyMap<Category, Reach>): string[] {
  const out: string[] = [];
  const read = reach.get('secrets-read');
  for (const c of CATEGORIES) {
    const r = reach.get(c);
    if (!r) continue;
    const h = { verbs: [...r.verbs], resources: [...r.resources] };
    const acts = actions(h.verbs);
    switch (c) {
      case 'escalate':
        out.push(`give itself or any other identity any permission, cluster-admin included (${h.verbs.includes('*') ? 'every verb includes "escalate" and "bind", which skip' : `${listing(h.verbs.map(quote))} ${h.verbs.length === 1 ? 'skips' : 'skip'}`} RBAC's escalation check)`);
        break;
      case 'impersonate': {
        const who = h.resources.includes('*') ? IDENTITIES : h.resources;
        const as = [who.includes('users') ? 'any user' : '', who.includes('groups') ? 'any group' : '', who.includes('serviceaccounts') ? 'any ServiceAccount' : ''].filter(Boolean);
        out.push(`send requests as ${either(as)}${who.includes('groups') ? ' (as the group "system:masters", with every permission)' : ' and with their permissions'}`);
        break;
      }
      case 'rbac':
        out.push(`${either(acts)} any Role, ClusterRole or binding of the cluster${acts.some((a) => a !== 'delete') ? ', handing what it holds to any identity' : ''}`);
        break;
      case 'exec':
        out.push('run commands in any container of the cluster (kubectl exec), with that pod\'s ServiceAccount token and Secrets');
        break;
      case 'pods': {
        const how = [acts.includes('create') ? 'create a pod' : '', acts.includes('rewrite') ? 'patch the image of a running one' : ''].filter(Boolean);
        out.push(`run any image as any ServiceAccount of any namespace (${how.join(', or ')})${acts.includes('delete') ? ' and delete any pod of the cluster' : ''}`);
        break;
      }
      case 'token':
        out.push('mint a token for any ServiceAccount of the cluster');
        break;
      case 'secrets':
        out.push(
          `${read ? (readsEverySecret(read) ? 'read every Secret of the cluster and ' : 'read any Secret it can name and ') : ''}${either(acts)} any Secret of any namespace` +
            (acts.includes('create') ? ' (a token Secret for any ServiceAccount included)' : ''),
        );
        break;
      case 'webhooks':
        out.push(
          acts.some((a) => a !== 'delete')
            ? `${either(acts)} admission webhooks, which receive every object written to the cluster (Secrets included) and can ${
                h.resources.some((e) => e === '*' || e === 'mutatingwebhookconfigurations') ? 'rewrite pods or ' : ''
              }reject every request`
            : 'delete any admission webhook, turning off the policy it enforces',
        );
        break;
      case 'serviceaccounts':
        out.push(`${either(acts)} any ServiceAccount of the cluster`);
        break;
      case 'crds':
        out.push(`${either(acts)} any CustomResourceDefinition${acts.includes('delete') ? ' (deleting one deletes every object of its kind)' : ''}`);
        break;
      case 'nodes':
        out.push(`${either(acts)} any Node${acts.includes('rewrite') ? ' (its labels and taints steer where pods run)' : ''}`);
        break;
      case 'pods-delete':
        out.push('delete any pod of the cluster, kube-system\'s included');
        break;
      case 'secrets-read':
        if (!reach.has('secrets')) out.push(readsEverySecret(r) ? 'read every Secret of the cluster (the credentials of every workload)' : 'read any Secret of any namespace whose name it knows');
        break;
    }
  }
  return out;
}

/** What every ClusterRole of one name in a unit grants together, computed once per name. */
interface NamedGrants {
  best: { role: KubeObject; w: Wildcard } | undefined;
  hits: Map<Category, { role: KubeObject; h: Sensitive }>;
  reach: Map<Category, Reach>;
}

/**
 * Several ClusterRoles of one name in a unit (unrelated files in one unit): the strongest wildcard, the first
 * grant of each sensitive category with the role bound, every reach together. Cached per unit and name: a
 * unit of many copies of one chart binds the same name many times.
 */
function namedGrants(roles: UnitRoles, name: string): NamedGrants {
  const known = roles.named.get(name);
  if (known) return known;
  let best: NamedGrants['best'];
  const hits: NamedGrants['hits'] = new Map();
  const reach: NamedGrants['reach'] = new Map();
  for (const role of roles.byName.get(name) ?? []) {
    const grants = grantsOf(role, roles);
    const w = grants.wildcard;
    if (w && (!best || rank(w) > rank(best.w))) best = { role, w };
    for (const [c, h] of grants.sensitive) if (!hits.has(c)) hits.set(c, { role, h });
    for (const [c, r] of grants.reach) extend(reach, c, r.verbs, r.resources);
  }
  const out = { best, hits, reach };
  roles.named.set(name, out);
  return out;
}

export const rbacWildcard: StateRule = {
  meta: {
    id: 'blast-radius/rbac-wildcard',
    family: 'blast-radius',
    type: 'state',
    severity: 'high',
    description:
      'Flag ClusterRoleBindings that give a ServiceAccount cluster-admin, a rule covering every resource, every verb on Secrets, Pods, RBAC, admission webhooks or CRDs, or escalate / bind / impersonate, cluster-wide.',
    docs: 'docs/rules/blast-radius/rbac-wildcard.md',
    remediation: REMEDIATION_WILDCARD,
  },
  check(ctx) {
    const rolesByUnit = new Map<string, UnitRoles>();
    const bindings: KubeObject[] = [];
    for (const o of ofKinds(ctx.tree.objects, ['ClusterRole', 'ClusterRoleBinding'])) {
      if (!o.apiVersion.startsWith(RBAC_GROUP) || !o.name) continue;
      if (o.kind === 'ClusterRoleBinding') {
        if (!ctx.only || ctx.only.has(o.ref)) bindings.push(o);
        continue;
      }
      const roles =
        rolesByUnit.get(o.unit) ??
        rolesByUnit.set(o.unit, { byName: new Map(), all: [], position: new Map(), selected: new Map(), labels: new Map(), own: new Map(), effective: new Map(), named: new Map() }).get(o.unit)!;
      roles.position.set(o, roles.all.length);
      roles.all.push(o);
      (roles.byName.get(o.name) ?? roles.byName.set(o.name, []).get(o.name)!).push(o);
    }
    const done = new Set<string>();
    for (const binding of bindings) {
      const roleRef = asMap(binding.doc.roleRef);
      const roleName = asString(roleRef?.name);
      if (asString(roleRef?.kind) !== 'ClusterRole' || !roleName) continue;
      const subjects = new Map<string, Subject>();
      for (const raw of asList(binding.doc.subjects)) {
        const s = subjectOf(raw);
        if (s && !subjects.has(s.key)) subjects.set(s.key, s);
      }
      if (subjects.size === 0) continue;
      const bindingText = `ClusterRoleBinding ${quote(binding.name)}`;

      if (roleName === CLUSTER_ADMIN) {
        for (const s of subjects.values()) {
          const key = `cluster-admin:${s.key}`;
          const id = `${binding.unit}\u0000${binding.ref}\u0000${key}`;
          if (done.has(id)) continue;
          done.add(id);
          ctx.report({
            key,
            severity: 'high',
            message:
              `cluster-admin for ${s.text} through ${bindingText}: every pod running as it can do anything to any object of the cluster — ` +
              `read every Secret, rewrite RBAC and admission webhooks, delete any namespace or CustomResourceDefinition with everything in it — ` +
              `so one compromised or misbehaving pod reaches the whole cluster`,
            remediation: REMEDIATION_ADMIN,
            at: { object: binding, path: ['roleRef', 'name'] },
            about: binding,
          });
        }
        continue;
      }

      const roles = rolesByUnit.get(binding.unit);
      const { best, hits, reach } = roles ? namedGrants(roles, roleName) : { best: undefined, hits: new Map(), reach: new Map() };
      const via = (role: KubeObject, at: KubeObject, index: number) =>
        at === role
          ? `ClusterRole ${quote(role.name)}, whose rules[${index}]`
          : `ClusterRole ${quote(role.name)}, which aggregates ClusterRole ${quote(at.name)}, whose rules[${index}]`;
      // The strongest sensitive grant, in CATEGORIES order (a Map keeps insertion order, not rank).
      const top = CATEGORIES.map((c) => hits.get(c)).find((x) => x !== undefined);
      const onlyReads = [...hits.keys()].every((c) => c === 'secrets-read');

      for (const s of subjects.values()) {
        let wildcardSeverity: Severity | undefined;
        if (best) {
          const { role, w } = best;
          wildcardSeverity = w.write || s.everyone ? 'high' : 'medium';
          const key = `wildcard:${s.key}`;
          const id = `${binding.unit}\u0000${binding.ref}\u0000${key}`;
          if (!done.has(id)) {
            done.add(id);
            ctx.report({
              key,
              severity: wildcardSeverity,
              message: `cluster-wide grant to ${s.text} through ${bindingText}: ${via(role, w.role, w.index)} grants ${verbsText(w)} on ${scopeText(w)}: ${powerText(w)}`,
              remediation: REMEDIATION_WILDCARD,
              at: { object: w.role, path: ['rules', w.index, 'resources'] },
              about: binding,
            });
          }
        }
        if (!top) continue;
        // Secret reads alone: quiet for one ServiceAccount (kube-state-metrics, ingress controllers read
        // Secrets by design), high for every client of the cluster.
        if (onlyReads && !s.everyone) continue;
        const severity: Severity = 'high';
        // A wildcard finding of the same or a higher severity already says it all: on head the sensitive one
        // is left out. On base it is kept, as what the base granted, so that a pull request replacing a
        // wildcard by a list that still names Secrets or Pods is not new (base findings are never reported).
        if (wildcardSeverity && levelRank(wildcardSeverity) >= levelRank(severity) && ctx.side === 'head') continue;
        const key = `sensitive:${s.key}`;
        const id = `${binding.unit}\u0000${binding.ref}\u0000${key}`;
        if (done.has(id)) continue;
        done.add(id);
        const { role, h } = top;
        ctx.report({
          key,
          severity,
          message:
            `cluster-wide grant to ${s.text} through ${bindingText}: ${via(role, h.role, h.index)} grants ${grantText(h)}: ` +
            `a compromised or misbehaving pod running as it can ${powers(sensitivePowers(reach))}`,
          remediation: REMEDIATION_SENSITIVE,
          at: { object: h.role, path: ['rules', h.index, h.field] },
          about: binding,
        });
      }
    }
  },
};
