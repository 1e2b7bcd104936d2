/**
 * blast-radius/rbac-wildcard — ServiceAccounts bound cluster-wide to everything (RULEBOOK C.6 CRIT-RBAC-1,
 * CRIT-RBAC-2).
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
 *   (`system:serviceaccounts`, `system:authenticated`, `system:unauthenticated`, `system:anonymous`).
 * - quiet: bindings of human users and groups (access policy for people, not the reach of a workload);
 *   RoleBindings (they grant inside one namespace); roles nobody in the unit binds; rules with
 *   `resourceNames`; rules whose `*` is limited to named API groups (`monitoring.coreos.com`, `metrics.k8s.io`)
 *   or to subresources (`*\/scale`, `*\/finalizers`); `nonResourceURLs` rules (`/metrics`, `/healthz`); the
 *   built-in `admin` / `edit` / `view` roles.
 *
 * `<subject>` is `<namespace>/<name>` for a ServiceAccount (also when written as the User
 * `system:serviceaccount:<namespace>:<name>`), `group:<name>` for a group, `user:system:anonymous`.
 *
 * Kubernetes semantics followed (RBAC docs, rbac/v1 helpers, the aggregation controller), as src/rbac.ts:
 * - `*` in `resources` matches every resource and subresource; `*\/sub` only that subresource of every resource;
 * - a ServiceAccount subject needs a namespace (the API server rejects one without): such a subject is quiet;
 * - an aggregated ClusterRole (`aggregationRule.clusterRoleSelectors`) has the rules of every ClusterRole of the
 *   unit whose labels a selector matches, transitively; its own `rules` are overwritten by the controller;
 * - `cluster-admin` is always the bootstrap role (the API server reconciles it at start), whatever the unit
 *   holds under that name.
 */
import { labelsOf } from '../../src/kube.js';
import type { StateRule } from '../../src/rule.js';
import { matchesSelector } from '../../src/selector.js';
import type { KubeObject, Severity } from '../../src/types.js';
import { listing, quote } from '../../src/text.js';
import { asList, asMap, asString, asStrings } from '../../src/yaml/walk.js';

const RBAC_GROUP = 'rbac.authorization.k8s.io/';
const CLUSTER_ADMIN = 'cluster-admin';

const WRITE_VERBS = new Set(['*', 'create', 'update', 'patch', 'delete', 'deletecollection', 'escalate', 'bind', 'impersonate']);
const READ_VERBS = new Set(['get', 'list', 'watch']);

const REMEDIATION_WILDCARD =
  'Replace the wildcards with the API groups, resources and verbs the workload needs, or grant them per namespace with RoleBindings.';
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
  if (asStrings(rule.resourceNames).length > 0) return undefined;
  if (!asStrings(rule.resources).includes('*')) return undefined;
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

/** ClusterRoles of one unit by name, with labels for aggregation. */
interface UnitRoles {
  byName: Map<string, KubeObject[]>;
  all: KubeObject[];
  effective: Map<KubeObject, Wildcard | null>;
}


/** The strongest wildcard rule a role grants (its own, or through aggregation), or null. */
function strongest(role: KubeObject, roles: UnitRoles, visiting = new Set<KubeObject>()): Wildcard | null {
  const known = roles.effective.get(role);
  if (known !== undefined) return known;
  if (visiting.has(role)) return null;
  visiting.add(role);
  let best: Wildcard | null = null;
  const consider = (w: Wildcard | null | undefined) => {
    if (w && (!best || rank(w) > rank(best))) best = w;
  };
  const aggregation = asMap(role.doc.aggregationRule);
  if (!aggregation) {
    asList(role.doc.rules).forEach((r, i) => consider(wildcardOf(role, i, r)));
  } else {
    // A null or non-mapping selector selects nothing; `{}` selects every role. The role's own rules are
    // overwritten by the aggregation controller.
    const selectors = asList(aggregation.clusterRoleSelectors).filter((s) => asMap(s) !== undefined);
    for (const other of roles.all) {
      if (other === role || visiting.has(other)) continue;
      const labels = labelsOf(other);
      if (selectors.some((s) => matchesSelector(s, labels))) consider(strongest(other, roles, visiting));
    }
  }
  visiting.delete(role);
  // Only a top-level answer is final: inside a walk, `visiting` may have cut an aggregation short.
  if (visiting.size === 0) roles.effective.set(role, best);
  return best;
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

export const rbacWildcard: StateRule = {
  meta: {
    id: 'blast-radius/rbac-wildcard',
    family: 'blast-radius',
    type: 'state',
    severity: 'high',
    description:
      'Flag ClusterRoleBindings that give a ServiceAccount cluster-admin, or a ClusterRole rule covering every resource, cluster-wide.',
    docs: 'docs/rules/blast-radius/rbac-wildcard.md',
    remediation: REMEDIATION_WILDCARD,
  },
  check(ctx) {
    const rolesByUnit = new Map<string, UnitRoles>();
    const bindings: KubeObject[] = [];
    for (const o of ctx.tree.objects) {
      if (o.kind !== 'ClusterRole' && o.kind !== 'ClusterRoleBinding') continue;
      if (!o.apiVersion.startsWith(RBAC_GROUP) || !o.name) continue;
      if (o.kind === 'ClusterRoleBinding') {
        if (!ctx.only || ctx.only.has(o.ref)) bindings.push(o);
        continue;
      }
      const roles = rolesByUnit.get(o.unit) ?? rolesByUnit.set(o.unit, { byName: new Map(), all: [], effective: new Map() }).get(o.unit)!;
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
      let best: { role: KubeObject; w: Wildcard } | undefined;
      for (const role of roles?.byName.get(roleName) ?? []) {
        const w = strongest(role, roles!);
        if (w && (!best || rank(w) > rank(best.w))) best = { role, w };
      }
      if (!best) continue;
      const { role, w } = best;
      const via =
        w.role === role
          ? `ClusterRole ${quote(role.name)}, whose rules[${w.index}]`
          : `ClusterRole ${quote(role.name)}, which aggregates ClusterRole ${quote(w.role.name)}, whose rules[${w.index}]`;
      for (const s of subjects.values()) {
        const key = `wildcard:${s.key}`;
        const id = `${binding.unit}\u0000${binding.ref}\u0000${key}`;
        if (done.has(id)) continue;
        done.add(id);
        const severity: Severity = w.write || s.everyone ? 'high' : 'medium';
        ctx.report({
          key,
          severity,
          message: `cluster-wide grant to ${s.text} through ${bindingText}: ${via} grants ${verbsText(w)} on ${scopeText(w)}: ${powerText(w)}`,
          remediation: REMEDIATION_WILDCARD,
          at: { object: w.role, path: ['rules', w.index, 'resources'] },
          about: binding,
        });
      }
    }
  },
};
