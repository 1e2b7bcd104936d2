/**
 * Table tests of blast-radius/rbac-wildcard. Each dangerous case has a safe twin next to it; lines are looked
 * up in the case's own YAML. Findings are about the ClusterRoleBinding (resource) and point at the ClusterRole
 * rule (wildcards, sensitive grants) or at the binding's roleRef (cluster-admin).
 */
import { readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { rbacWildcard } from '../../../rules/blast-radius/rbac-wildcard.js';
import { lineContaining, ruleTester, runCase, type ExpectedFinding } from '../../helpers/rule-tester.js';
import { annotate, CORPUS_DIR, HAS_CORPUS, readCorpus } from '../../helpers/corpus.js';

const lineOf = lineContaining;

interface RuleSpec {
  groups?: string[];
  resources?: string[];
  verbs?: string[];
  resourceNames?: string[];
  nonResourceURLs?: string[];
}

const ALL: RuleSpec = { groups: ['*'], resources: ['*'], verbs: ['*'] };
const READ_ALL: RuleSpec = { groups: ['*'], resources: ['*'], verbs: ['get', 'list', 'watch'] };

function role(name: string, rules: RuleSpec[], extra: { labels?: Record<string, string>; aggregate?: Array<Record<string, string>>; annotations?: Record<string, string> } = {}): string {
  const lines = ['apiVersion: rbac.authorization.k8s.io/v1', 'kind: ClusterRole', 'metadata:', `  name: ${name}`];
  if (extra.labels) lines.push('  labels:', ...Object.entries(extra.labels).map(([k, v]) => `    ${k}: ${JSON.stringify(v)}`));
  if (extra.annotations) lines.push('  annotations:', ...Object.entries(extra.annotations).map(([k, v]) => `    ${k}: ${JSON.stringify(v)}`));
  if (extra.aggregate) {
    lines.push('aggregationRule:', '  clusterRoleSelectors:', ...extra.aggregate.map((m) => `  - matchLabels: ${JSON.stringify(m)}`));
  }
  lines.push(rules.length === 0 ? 'rules: []' : 'rules:');
  for (const r of rules) {
    const first = r.nonResourceURLs ? `- nonResourceURLs: ${JSON.stringify(r.nonResourceURLs)}` : `- apiGroups: ${JSON.stringify(r.groups ?? [''])}`;
    lines.push(first);
    if (!r.nonResourceURLs) lines.push(`  resources: ${JSON.stringify(r.resources ?? ['pods'])}`);
    if (r.resourceNames) lines.push(`  resourceNames: ${JSON.stringify(r.resourceNames)}`);
    lines.push(`  verbs: ${JSON.stringify(r.verbs ?? ['get'])}`);
  }
  return `${lines.join('\n')}\n`;
}

type SubjectSpec = { kind: 'ServiceAccount'; name: string; namespace?: string } | { kind: 'User' | 'Group'; name: string };
const sa = (name: string, namespace: string | null = 'argocd'): SubjectSpec => ({ kind: 'ServiceAccount', name, ...(namespace ? { namespace } : {}) });

function binding(name: string, roleName: string, subjects: SubjectSpec[], extra: { kind?: string; namespace?: string; annotations?: Record<string, string> } = {}): string {
  const lines = ['apiVersion: rbac.authorization.k8s.io/v1', `kind: ${extra.kind ?? 'ClusterRoleBinding'}`, 'metadata:', `  name: ${name}`];
  if (extra.namespace) lines.push(`  namespace: ${extra.namespace}`);
  if (extra.annotations) lines.push('  annotations:', ...Object.entries(extra.annotations).map(([k, v]) => `    ${k}: ${JSON.stringify(v)}`));
  lines.push('roleRef:', '  apiGroup: rbac.authorization.k8s.io', '  kind: ClusterRole', `  name: ${roleName}`, 'subjects:');
  for (const s of subjects) {
    lines.push(`- kind: ${s.kind}`, `  name: ${s.name}`);
    if (s.kind === 'ServiceAccount' && s.namespace) lines.push(`  namespace: ${s.namespace}`);
    if (s.kind !== 'ServiceAccount') lines.push('  apiGroup: rbac.authorization.k8s.io');
  }
  return `${lines.join('\n')}\n`;
}

const ROLE_FILE = 'infra/rbac/role.yaml';
const BINDING_FILE = 'infra/rbac/binding.yaml';
const pair = (r: string, b: string) => ({ [ROLE_FILE]: r, [BINDING_FILE]: b });

/** A wildcard finding: at the `resources` line of the nth rule with `resources` in the role text. */
const wild = (severity: 'high' | 'medium', subject: string, roleText: string, nth = 1, messageIncludes?: string[]): ExpectedFinding => ({
  severity,
  key: `wildcard:${subject}`,
  line: lineOf(roleText, 'resources:', nth),
  ...(messageIncludes ? { messageIncludes } : {}),
});
/** A sensitive-grant finding: at the `field` line of the nth rule with that field in the role text. */
const sens = (severity: 'high' | 'medium', subject: string, roleText: string, nth = 1, field: 'resources' | 'verbs' = 'resources', messageIncludes?: string[]): ExpectedFinding => ({
  severity,
  key: `sensitive:${subject}`,
  line: lineOf(roleText, `${field}:`, nth),
  ...(messageIncludes ? { messageIncludes } : {}),
});
const admin = (subject: string, bindingText: string, messageIncludes?: string[]): ExpectedFinding => ({
  severity: 'high',
  key: `cluster-admin:${subject}`,
  line: lineOf(bindingText, 'name: cluster-admin'),
  ...(messageIncludes ? { messageIncludes } : {}),
});

// ---- fixtures -------------------------------------------------------------------------------------

const controllerRole = role('app-controller', [ALL, { nonResourceURLs: ['*'], verbs: ['*'] }]);
const controllerBinding = binding('app-controller', 'app-controller', [sa('app-controller')]);
const readRole = role('auditor', [{ resources: ['events'], verbs: ['create'] }, READ_ALL]);
const readBinding = binding('auditor', 'auditor', [sa('auditor', 'policy-system')]);
const everyoneBinding = binding('auditor', 'auditor', [{ kind: 'Group', name: 'system:authenticated' }]);
const coreRole = role('core-admin', [{ groups: [''], resources: ['*'], verbs: ['*'] }]);
const coreRead = role('core-reader', [{ groups: [''], resources: ['*'], verbs: ['list', 'watch'] }]);
const patchDelete = role('ui-server', [{ groups: ['*'], resources: ['*'], verbs: ['delete', 'get', 'patch'] }]);
const scopedGroup = role('prom-operator', [{ groups: ['monitoring.coreos.com'], resources: ['*'], verbs: ['*'] }]);
const subresourceWildcard = role('scaler', [{ groups: ['*'], resources: ['*/scale', '*/finalizers'], verbs: ['get', 'update'] }]);
const nonResourceOnly = role('metrics-reader', [{ nonResourceURLs: ['*'], verbs: ['get'] }]);
const named = role('named', [{ groups: ['*'], resources: ['*'], verbs: ['*'], resourceNames: ['one'] }]);
const customVerbs = role('custom', [{ groups: ['*'], resources: ['*'], verbs: ['use', 'approve'] }]);
const secondRule = role('mixed', [{ resources: ['pods'], verbs: ['get'] }, READ_ALL, { groups: ['*'], resources: ['*'], verbs: ['escalate'] }]);
const aggregate = role('platform-admin', [], { aggregate: [{ 'rbac.example.com/aggregate-to-platform-admin': 'true' }] });
const aggregated = role('platform-admin-extra', [ALL], { labels: { 'rbac.example.com/aggregate-to-platform-admin': 'true' } });
const notAggregated = role('platform-admin-extra', [ALL], { labels: { 'rbac.example.com/aggregate-to-other': 'true' } });
const clusterAdminBinding = binding('ci-admin', 'cluster-admin', [sa('ci-runner', 'ci')]);
const clusterAdminMany = binding('ops-admin', 'cluster-admin', [sa('a', 'ops'), sa('b', 'ops'), { kind: 'User', name: 'alice@example.com' }, { kind: 'Group', name: 'system:serviceaccounts:ci' }]);
const clusterAdminHumans = binding('humans-admin', 'cluster-admin', [{ kind: 'Group', name: 'platform-admins' }, { kind: 'User', name: 'alice@example.com' }]);
const builtinAdmin = binding('ci-admin', 'admin', [sa('ci-runner', 'ci')]);
const asUser = binding('app-controller', 'app-controller', [{ kind: 'User', name: 'system:serviceaccount:argocd:app-controller' }]);
const humans = binding('app-controller', 'app-controller', [{ kind: 'Group', name: 'platform-admins' }, { kind: 'User', name: 'alice@example.com' }]);
const noNamespace = binding('app-controller', 'app-controller', [sa('app-controller', null)]);
const roleBinding = binding('app-controller', 'app-controller', [sa('app-controller')], { kind: 'RoleBinding', namespace: 'argocd' });
const twoSubjects = binding('app-controller', 'app-controller', [sa('app-controller'), sa('app-controller-shard-2')]);
const secondBinding = binding('app-controller-extra', 'app-controller', [sa('app-controller')]);
const ignoredRole = role('app-controller', [ALL], { annotations: { 'blast-radius.dev/ignore': 'blast-radius/rbac-wildcard -- reviewed' } });
// Sensitive grants without `*` resources (RULEBOOK C.6 CRIT-RBAC-1: `verbs: ["*"]`), and escalate / bind /
// impersonate. Named write verbs (create, update, patch, delete…) on the same resources and reads of Secrets
// are quiet by design: an admission job updating webhook configurations, an operator creating its CRDs,
// kube-state-metrics listing Secrets. Each `*All` fixture is the dangerous twin of the named-verb one.
const appBinding = binding('app', 'app', [sa('app', 'default')]);
/** The reviewer's repro: `*` verbs on Secrets, Pods and ServiceAccounts, and on every RBAC object. */
const fullRbac = role('app', [
  { groups: [''], resources: ['secrets', 'pods', 'serviceaccounts'], verbs: ['*'] },
  { groups: ['rbac.authorization.k8s.io'], resources: ['*'], verbs: ['*'] },
]);
const secretsWrite = role('app', [{ resources: ['configmaps'], verbs: ['get'] }, { resources: ['secrets'], verbs: ['create', 'update'] }]);
const secretsAll = role('app', [{ resources: ['configmaps'], verbs: ['get'] }, { resources: ['secrets'], verbs: ['*'] }]);
const secretsAllNamed = role('app', [{ resources: ['configmaps'], verbs: ['get'] }, { resources: ['secrets'], verbs: ['*'], resourceNames: ['app-tls'] }]);
const secretsWriteNamed = role('app', [{ resources: ['configmaps'], verbs: ['get'] }, { resources: ['secrets'], verbs: ['create', 'update'], resourceNames: ['app-tls'] }]);
const secretsRead = role('app', [{ resources: ['secrets', 'configmaps'], verbs: ['get', 'list', 'watch'] }]);
const secretsGet = role('app', [{ resources: ['secrets'], verbs: ['get'] }]);
const configmapsRead = role('app', [{ resources: ['configmaps', 'endpoints'], verbs: ['get', 'list', 'watch'] }]);
const execRole = role('app', [{ resources: ['pods'], verbs: ['get', 'list'] }, { resources: ['pods/exec'], verbs: ['create'] }]);
const execWildcard = role('app', [{ groups: [''], resources: ['*/exec'], verbs: ['create'] }]);
const execAll = role('app', [{ resources: ['pods'], verbs: ['get', 'list'] }, { resources: ['pods/exec'], verbs: ['*'] }]);
const execWildcardAll = role('app', [{ groups: [''], resources: ['*/exec'], verbs: ['*'] }]);
const logsRole = role('app', [{ resources: ['pods', 'pods/log'], verbs: ['get', 'list'] }]);
const podsCreate = role('app', [{ resources: ['pods'], verbs: ['create', 'delete'] }]);
const podsDelete = role('app', [{ resources: ['pods'], verbs: ['list', 'delete'] }]);
const podsStatus = role('app', [{ resources: ['pods/status'], verbs: ['patch'] }]);
const podsAll = role('app', [{ resources: ['pods'], verbs: ['*'] }]);
const podsStatusAll = role('app', [{ resources: ['pods/status'], verbs: ['*'] }]);
const tokenRole = role('app', [{ resources: ['serviceaccounts/token'], verbs: ['create'] }]);
const tokenNamed = role('app', [{ resources: ['serviceaccounts/token'], verbs: ['create'], resourceNames: ['calico-cni-plugin'] }]);
const tokenAll = role('app', [{ resources: ['serviceaccounts/token'], verbs: ['*'] }]);
const serviceaccountsWrite = role('app', [{ resources: ['serviceaccounts'], verbs: ['get', 'create', 'update', 'patch', 'delete'] }]);
const serviceaccountsAll = role('app', [{ resources: ['serviceaccounts'], verbs: ['*'] }]);
const nodesPatch = role('app', [{ resources: ['nodes'], verbs: ['get', 'patch'] }]);
const nodesStatus = role('app', [{ resources: ['nodes'], verbs: ['get'] }, { resources: ['nodes/status'], verbs: ['patch', 'update'] }]);
const nodesAll = role('app', [{ resources: ['nodes'], verbs: ['*'] }]);
const webhookUpdate = role('app', [{ groups: ['admissionregistration.k8s.io'], resources: ['validatingwebhookconfigurations'], verbs: ['get', 'update'] }]);
const webhookNamed = role('app', [
  { groups: ['admissionregistration.k8s.io'], resources: ['validatingwebhookconfigurations'], verbs: ['get', 'update'], resourceNames: ['app-webhook'] },
  { groups: ['admissionregistration.k8s.io'], resources: ['validatingwebhookconfigurations'], verbs: ['get', 'list', 'watch'] },
]);
const webhookAll = role('app', [{ groups: ['admissionregistration.k8s.io'], resources: ['validatingwebhookconfigurations'], verbs: ['*'] }]);
const mutatingCreate = role('app', [{ groups: ['admissionregistration.k8s.io'], resources: ['mutatingwebhookconfigurations'], verbs: ['create'] }]);
const mutatingAll = role('app', [{ groups: ['admissionregistration.k8s.io'], resources: ['mutatingwebhookconfigurations'], verbs: ['*'] }]);
const crdDelete = role('app', [{ groups: ['apiextensions.k8s.io'], resources: ['customresourcedefinitions'], verbs: ['get', 'list', 'watch', 'delete'] }]);
const crdRead = role('app', [{ groups: ['apiextensions.k8s.io'], resources: ['customresourcedefinitions'], verbs: ['get', 'list', 'watch'] }]);
const crdCreate = role('app', [{ groups: ['apiextensions.k8s.io'], resources: ['customresourcedefinitions'], verbs: ['create', 'get', 'list', 'patch', 'update'] }]);
const crdAll = role('app', [{ groups: ['apiextensions.k8s.io'], resources: ['customresourcedefinitions'], verbs: ['*'] }]);
const escalateRole = role('app', [
  { groups: ['rbac.authorization.k8s.io'], resources: ['clusterroles', 'clusterrolebindings'], verbs: ['get', 'list'] },
  { groups: ['rbac.authorization.k8s.io'], resources: ['clusterroles'], verbs: ['bind', 'escalate'] },
]);
const bindingsWrite = role('app', [{ groups: ['rbac.authorization.k8s.io'], resources: ['rolebindings'], verbs: ['create', 'delete'] }]);
const bindingsAll = role('app', [{ groups: ['rbac.authorization.k8s.io'], resources: ['rolebindings', 'clusterrolebindings'], verbs: ['*'] }]);
const rbacRead = role('app', [{ groups: ['rbac.authorization.k8s.io'], resources: ['clusterroles', 'clusterrolebindings', 'roles', 'rolebindings'], verbs: ['get', 'list', 'watch'] }]);
const impersonateRole = role('app', [{ groups: [''], resources: ['users', 'groups'], verbs: ['impersonate'] }]);
const impersonateNamed = role('app', [{ groups: [''], resources: ['users'], verbs: ['impersonate'], resourceNames: ['deploy-bot'] }]);
const foreignVerbs = role('app', [{ groups: ['example.com'], resources: ['widgets'], verbs: ['bind', 'impersonate', 'escalate'] }]);
/** The kube-prometheus operator's own-CRD grants without its Secrets rule: `*` verbs on named resources only. */
const ownCrds = role('app', [
  { groups: ['monitoring.coreos.com'], resources: ['*'], verbs: ['*'] },
  { groups: ['apps'], resources: ['statefulsets'], verbs: ['*'] },
  { groups: [''], resources: ['configmaps', 'services', 'endpoints'], verbs: ['*'] },
]);
/** Gatekeeper's pattern: read every resource (medium wildcard) and write CRDs with named verbs (quiet). */
const readAllWriteCrds = role('app', [READ_ALL, { groups: ['apiextensions.k8s.io'], resources: ['customresourcedefinitions'], verbs: ['create', 'delete', 'patch', 'update'] }]);
/** Its dangerous twin: every verb on CRDs (high sensitive) next to the read-only wildcard (medium). */
const readAllAllCrds = role('app', [READ_ALL, { groups: ['apiextensions.k8s.io'], resources: ['customresourcedefinitions'], verbs: ['*'] }]);
const readAllSecrets = role('app', [READ_ALL, { resources: ['secrets'], verbs: ['list', 'watch'] }]);
/** What a PR that follows the wildcard remediation writes for a controller that does need Secrets. */
const narrowedController = role('app-controller', [
  { groups: [''], resources: ['secrets', 'configmaps'], verbs: ['*'] },
  { groups: ['apps'], resources: ['deployments'], verbs: ['*'] },
]);
const sensitiveAggregate = role('app', [], { aggregate: [{ 'rbac.example.com/aggregate-to-app': 'true' }] });
const sensitiveAggregated = role('app-secrets', [{ resources: ['secrets'], verbs: ['*'] }], { labels: { 'rbac.example.com/aggregate-to-app': 'true' } });
const sensitiveAggregatedPatch = role('app-secrets', [{ resources: ['secrets'], verbs: ['patch'] }], { labels: { 'rbac.example.com/aggregate-to-app': 'true' } });

/**
 * `n` ClusterRoles that each aggregate every ClusterRole (`clusterRoleSelectors: [{}]`), so each selects all
 * the others, plus one ordinary role `leaf` with `leafRules`, and a binding of the first one. A walk that
 * backtracks visits every ordering of the n roles (n! paths): 40 roles would never finish.
 */
function mutualAggregation(n: number, leafRules: RuleSpec[]): { roles: string; binding: string } {
  const docs: string[] = [];
  for (let i = 0; i < n; i++) {
    docs.push(`apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata:\n  name: mesh-${i}\n  labels: {mesh: "true"}\naggregationRule:\n  clusterRoleSelectors: [{}]\nrules: []\n`);
  }
  docs.push(role('leaf', leafRules, { labels: { mesh: 'true' } }));
  return { roles: docs.join('---\n'), binding: binding('mesh', 'mesh-0', [sa('mesh', 'ops')]) };
}
const meshWildcard = mutualAggregation(40, [{ resources: ['configmaps'], verbs: ['get'] }, ALL]);
const meshQuiet = mutualAggregation(40, [{ resources: ['configmaps'], verbs: ['get'] }]);
const meshSecretsCreate = mutualAggregation(40, [{ resources: ['secrets'], verbs: ['create'] }]);
const meshSecrets = mutualAggregation(40, [{ resources: ['secrets'], verbs: ['*'] }]);
/** Every one of the 40 roles bound: each closure is computed once and cached. */
const meshAllBound = (() => {
  const m = mutualAggregation(40, [ALL]);
  return { roles: m.roles, binding: Array.from({ length: 40 }, (_, i) => binding(`mesh-${i}`, `mesh-${i}`, [sa(`mesh-${i}`, 'ops')])).join('---\n') };
})();

const listKind = `apiVersion: v1
kind: List
items:
- apiVersion: rbac.authorization.k8s.io/v1
  kind: ClusterRole
  metadata:
    name: in-a-list
  rules:
  - apiGroups: ["*"]
    resources: ["*"]
    verbs: ["*"]
- apiVersion: rbac.authorization.k8s.io/v1
  kind: ClusterRoleBinding
  metadata:
    name: in-a-list
  roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: in-a-list}
  subjects:
  - {kind: ServiceAccount, name: listed, namespace: tools}
`;
const oddInput = [
  'apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata:\n  name: odd\nrules: nope\n',
  'apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata:\n  name: odd2\nrules:\n- null\n- just a string\n- {apiGroups: "*", resources: "*", verbs: "*"}\n- {apiGroups: [7], resources: [null], verbs: [{}]}\n',
  'apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata:\n  name: loop-a\n  labels: {loop: "b"}\naggregationRule:\n  clusterRoleSelectors:\n  - matchLabels: {loop: "a"}\n  - null\n',
  'apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata:\n  name: loop-b\n  labels: {loop: "a"}\naggregationRule:\n  clusterRoleSelectors:\n  - matchLabels: {loop: "b"}\n',
  'apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRoleBinding\nmetadata:\n  name: loop\nroleRef: {kind: ClusterRole, name: loop-a}\nsubjects: [{kind: ServiceAccount, name: x, namespace: y}]\n',
  'apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRoleBinding\nmetadata:\n  name: odd-binding\nroleRef: odd2\nsubjects: {kind: ServiceAccount}\n',
  'apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRoleBinding\nmetadata:\n  name: odd-subjects\nroleRef: {kind: ClusterRole, name: odd2}\nsubjects:\n- null\n- 7\n- {kind: ServiceAccount, name: [a], namespace: b}\n',
  'apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRoleBinding\nmetadata:\n  name: role-kind\nroleRef: {kind: Role, name: cluster-admin}\nsubjects: [{kind: ServiceAccount, name: x, namespace: y}]\n',
  'apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRoleBinding\n',
  'apiVersion: v1\nkind: ServiceAccount\nmetadata:\n  name: x\n  namespace: y\n',
  'apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata:\n  name: odd3\nrules:\n- {apiGroups: [""], resources: "secrets", verbs: "*"}\n- {apiGroups: [null], resources: [{}], verbs: [create, 7]}\n- {apiGroups: "rbac.authorization.k8s.io", resources: [clusterroles], verbs: [escalate]}\n- {apiGroups: [""], resources: [], verbs: [create]}\n- {apiGroups: [""], resources: [secrets], verbs: []}\n',
  'apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRoleBinding\nmetadata:\n  name: odd3\nroleRef: {kind: ClusterRole, name: odd3}\nsubjects: [{kind: ServiceAccount, name: x, namespace: y}]\n',
].join('---\n');

ruleTester(rbacWildcard).run({
  valid: [
    { name: 'wildcard role bound only to people (twin of the ServiceAccount case)', files: pair(controllerRole, humans) },
    { name: 'wildcard role nobody in the unit binds', files: { [ROLE_FILE]: controllerRole } },
    { name: 'a RoleBinding to the wildcard role grants inside one namespace', files: pair(controllerRole, roleBinding) },
    { name: 'a ServiceAccount subject without a namespace is rejected by the API server', files: pair(controllerRole, noNamespace) },
    { name: 'every resource of a named API group only', files: pair(scopedGroup, binding('prom-operator', 'prom-operator', [sa('prometheus-operator', 'monitoring')])) },
    { name: 'subresource wildcards (*/scale, */finalizers)', files: pair(subresourceWildcard, binding('scaler', 'scaler', [sa('scaler', 'kube-system')])) },
    { name: 'nonResourceURLs * with get only', files: pair(nonResourceOnly, binding('metrics-reader', 'metrics-reader', [sa('prometheus', 'monitoring')])) },
    { name: 'a wildcard rule limited by resourceNames', files: pair(named, binding('named', 'named', [sa('x', 'tools')])) },
    { name: 'only verbs that are neither reads nor writes', files: pair(customVerbs, binding('custom', 'custom', [sa('x', 'tools')])) },
    { name: 'the aggregation selector does not match the wildcard role (twin of the aggregation case)', files: { [ROLE_FILE]: `${aggregate}---\n${notAggregated}`, [BINDING_FILE]: binding('platform-admin', 'platform-admin', [sa('platform', 'ops')]) } },
    { name: 'cluster-admin for people only (twin of the cluster-admin case)', files: { [BINDING_FILE]: clusterAdminHumans } },
    { name: 'the built-in admin role bound cluster-wide is not judged here', files: { [BINDING_FILE]: builtinAdmin } },
    { name: 'base already had the same role and binding', base: pair(controllerRole, controllerBinding), files: pair(controllerRole, controllerBinding) },
    {
      name: 'base already had them; the PR only adds annotations to both',
      base: pair(controllerRole, controllerBinding),
      files: pair(annotate(controllerRole, 'ClusterRole'), annotate(controllerBinding, 'ClusterRoleBinding')),
    },
    {
      name: 'base already bound the ServiceAccount; the PR removes another subject',
      base: pair(controllerRole, twoSubjects),
      files: pair(controllerRole, controllerBinding),
    },
    {
      name: 'ignore annotation on the binding suppresses the finding',
      files: pair(controllerRole, binding('app-controller', 'app-controller', [sa('app-controller')], { annotations: { 'blast-radius.dev/ignore': 'blast-radius/rbac-wildcard -- Argo CD manages every resource by design' } })),
      suppressed: [wild('high', 'argocd/app-controller', controllerRole)],
    },
    {
      name: 'ignore annotation on the role suppresses the finding',
      files: pair(ignoredRole, controllerBinding),
      suppressed: [wild('high', 'argocd/app-controller', ignoredRole)],
    },
    { name: 'rule turned off in the config', files: pair(controllerRole, controllerBinding), config: 'rules:\n  blast-radius/rbac-wildcard: off\n' },
    { name: 'odd input never throws', files: { 'odd.yaml': oddInput } },
    // Sensitive grants: the safe twin of each dangerous case. Named write verbs on the sensitive resources and
    // reads of Secrets are deliberately quiet (what many upstream controllers need by design); only `*` verbs,
    // escalate / bind and impersonate are findings.
    { name: 'create and update of Secrets: named write verbs are quiet (twin of "*" on Secrets)', files: pair(secretsWrite, appBinding) },
    { name: 'Secret writes limited to named Secrets (twin of Secret writes)', files: pair(secretsWriteNamed, appBinding) },
    { name: '"*" on Secrets limited to named Secrets (twin of "*" on Secrets)', files: pair(secretsAllNamed, appBinding) },
    { name: 'get, list and watch of Secrets cluster-wide are quiet (the kube-state-metrics pattern)', files: pair(secretsRead, appBinding) },
    { name: 'get of Secrets by name cluster-wide is quiet', files: pair(secretsGet, appBinding) },
    { name: 'reads of ConfigMaps and Endpoints (twin of Secret reads)', files: pair(configmapsRead, appBinding) },
    { name: 'create of pods/exec: a named verb is quiet (twin of "*" on pods/exec)', files: pair(execRole, appBinding) },
    { name: 'create of */exec: a named verb is quiet (twin of "*" on */exec)', files: pair(execWildcard, appBinding) },
    { name: 'get of pods and pods/log (twin of pods/exec)', files: pair(logsRole, appBinding) },
    { name: 'create and delete of pods: named verbs are quiet (twin of "*" on pods)', files: pair(podsCreate, appBinding) },
    { name: 'list and delete of pods: named verbs are quiet (twin of "*" on pods)', files: pair(podsDelete, appBinding) },
    { name: 'patch of pods/status only (twin of pod writes)', files: pair(podsStatus, appBinding) },
    { name: '"*" on pods/status only: another subresource (twin of "*" on pods)', files: pair(podsStatusAll, appBinding) },
    { name: 'create of serviceaccounts/token: a named verb is quiet (twin of "*" on serviceaccounts/token)', files: pair(tokenRole, appBinding) },
    { name: 'a token for one named ServiceAccount (calico-node; twin of token create)', files: pair(tokenNamed, appBinding) },
    { name: 'create, update, patch and delete of ServiceAccounts: named verbs are quiet (twin of "*" on serviceaccounts)', files: pair(serviceaccountsWrite, appBinding) },
    { name: 'patch of nodes: a named verb is quiet (twin of "*" on nodes)', files: pair(nodesPatch, appBinding) },
    { name: 'patch of nodes/status only (twin of node writes)', files: pair(nodesStatus, appBinding) },
    {
      name: 'update of every ValidatingWebhookConfiguration: quiet (the ingress-nginx admission job pattern; twin of "*" on webhook configurations)',
      files: pair(webhookUpdate, appBinding),
    },
    { name: 'update of its own named webhook configuration, reads of the others (twin of webhook writes)', files: pair(webhookNamed, appBinding) },
    { name: 'create of MutatingWebhookConfigurations: a named verb is quiet (twin of "*" on them)', files: pair(mutatingCreate, appBinding) },
    { name: 'delete of CustomResourceDefinitions: quiet (the calico-kube-controllers pattern; twin of "*" on CRDs)', files: pair(crdDelete, appBinding) },
    { name: 'create, patch and update of CustomResourceDefinitions: quiet (an operator installing its CRDs)', files: pair(crdCreate, appBinding) },
    { name: 'reads of CustomResourceDefinitions (twin of CRD delete)', files: pair(crdRead, appBinding) },
    { name: 'create and delete of RoleBindings: named verbs are quiet (twin of "*" on bindings)', files: pair(bindingsWrite, appBinding) },
    { name: 'reads of every RBAC object (twin of RBAC writes and escalate / bind)', files: pair(rbacRead, appBinding) },
    { name: 'impersonation of one named user (twin of impersonation)', files: pair(impersonateNamed, appBinding) },
    { name: 'escalate, bind and impersonate on another API group are not RBAC verbs there', files: pair(foreignVerbs, appBinding) },
    { name: '"*" verbs on an operator\'s own CRDs, StatefulSets, ConfigMaps and Services', files: pair(ownCrds, appBinding) },
    { name: 'Secret writes granted to people only', files: pair(fullRbac, binding('app', 'app', [{ kind: 'Group', name: 'platform-admins' }])) },
    { name: 'Secret writes granted by a RoleBinding', files: pair(fullRbac, binding('app', 'app', [sa('app', 'default')], { kind: 'RoleBinding', namespace: 'default' })) },
    {
      name: 'a Secret patch reached through aggregation: a named verb is quiet (twin of "*" through aggregation)',
      files: { [ROLE_FILE]: `${sensitiveAggregate}---\n${sensitiveAggregatedPatch}`, [BINDING_FILE]: appBinding },
    },
    { name: '40 ClusterRoles aggregating one another, no wildcard among them (twin of the next case)', files: { [ROLE_FILE]: meshQuiet.roles, [BINDING_FILE]: meshQuiet.binding } },
    {
      name: '40 ClusterRoles aggregating one another and an ordinary role that creates Secrets (a named verb: quiet)',
      files: { [ROLE_FILE]: meshSecretsCreate.roles, [BINDING_FILE]: meshSecretsCreate.binding },
    },
    {
      name: 'base already had "*" on Secrets; the PR adds "*" on pods (same key, same severity)',
      base: pair(secretsAll, appBinding),
      files: pair(role('app', [{ resources: ['configmaps'], verbs: ['get'] }, { resources: ['secrets'], verbs: ['*'] }, { resources: ['pods'], verbs: ['*'] }]), appBinding),
    },
    {
      name: 'the PR adds create to reads of Secrets (a named verb: still quiet; twin of the PR that adds "*")',
      base: pair(secretsRead, appBinding),
      files: pair(role('app', [{ resources: ['secrets', 'configmaps'], verbs: ['get', 'list', 'watch', 'create'] }]), appBinding),
    },
    {
      name: 'the PR replaces "*" on every resource by a list that still names Secrets (the base grant covered them)',
      base: pair(controllerRole, controllerBinding),
      files: pair(narrowedController, controllerBinding),
    },
    { name: 'the PR replaces read-everything by reads of Secrets', base: pair(role('app', [READ_ALL]), appBinding), files: pair(secretsRead, appBinding) },
    { name: 'base already had the Secret writes; the PR only adds annotations', base: pair(fullRbac, appBinding), files: pair(annotate(fullRbac, 'ClusterRole'), annotate(appBinding, 'ClusterRoleBinding')) },
    {
      name: 'ignore annotation on the binding suppresses the sensitive finding',
      files: pair(secretsAll, binding('app', 'app', [sa('app', 'default')], { annotations: { 'blast-radius.dev/ignore': 'blast-radius/rbac-wildcard -- cert rotation writes Secrets everywhere' } })),
      suppressed: [sens('high', 'default/app', secretsAll, 2)],
    },
  ],
  invalid: [
    {
      name: 'reads of Secrets for every ServiceAccount of the cluster: high (every pod can read every credential)',
      files: pair(secretsRead, binding('app', 'app', [{ kind: 'Group', name: 'system:serviceaccounts' }])),
      findings: [{ severity: 'high', key: 'sensitive:group:system:serviceaccounts', line: lineContaining(secretsRead, 'resources:'), messageIncludes: ['read every Secret of the cluster'] }],
    },
    {
      name: 'every verb on every resource, bound to a ServiceAccount',
      files: pair(controllerRole, controllerBinding),
      findings: [
        wild('high', 'argocd/app-controller', controllerRole, 1, [
          'cluster-wide grant to ServiceAccount "argocd/app-controller" through ClusterRoleBinding "app-controller"',
          'ClusterRole "app-controller", whose rules[0] grants every verb on every resource of every API group',
          'cluster-admin in all but name',
          'read every Secret',
        ]),
      ],
    },
    {
      name: 'read-only on every resource is medium',
      files: pair(readRole, readBinding),
      findings: [wild('medium', 'policy-system/auditor', readRole, 2, ['rules[1] grants the verbs "get", "list" and "watch"', 'every Secret (the credentials of every workload) included'])],
    },
    {
      name: 'read-only on every resource for every authenticated client is high',
      files: pair(readRole, everyoneBinding),
      findings: [wild('high', 'group:system:authenticated', readRole, 2, ['Group "system:authenticated" (every authenticated user and ServiceAccount)'])],
    },
    {
      name: 'every verb on every core resource',
      files: pair(coreRole, binding('core-admin', 'core-admin', [sa('ops', 'tools')])),
      findings: [wild('high', 'tools/ops', coreRole, 1, ['every resource of the core API group', 'start pods as any ServiceAccount'])],
    },
    {
      name: 'list and watch of every core resource',
      files: pair(coreRead, binding('core-reader', 'core-reader', [sa('ops', 'tools')])),
      findings: [wild('medium', 'tools/ops', coreRead, 1, ['the core kinds'])],
    },
    {
      name: 'delete, get and patch on every resource (the Argo CD server pattern)',
      files: pair(patchDelete, binding('ui-server', 'ui-server', [sa('server')])),
      findings: [wild('high', 'argocd/server', patchDelete, 1, ['rewrite any object', 'delete any namespace or CustomResourceDefinition'])],
    },
    {
      name: 'the strongest of several wildcard rules is reported',
      files: pair(secondRule, binding('mixed', 'mixed', [sa('x', 'tools')])),
      findings: [wild('high', 'tools/x', secondRule, 3, ['rules[2]', 'grant itself any permission'])],
    },
    {
      name: 'ServiceAccount named as a User',
      files: pair(controllerRole, asUser),
      findings: [wild('high', 'argocd/app-controller', controllerRole, 1, ['(as User "system:serviceaccount:argocd:app-controller")'])],
    },
    {
      name: 'a wildcard role reached through aggregation',
      files: { [ROLE_FILE]: `${aggregate}---\n${aggregated}`, [BINDING_FILE]: binding('platform-admin', 'platform-admin', [sa('platform', 'ops')]) },
      findings: [
        {
          severity: 'high',
          key: 'wildcard:ops/platform',
          line: lineOf(`${aggregate}---\n${aggregated}`, 'resources:'),
          messageIncludes: ['ClusterRole "platform-admin", which aggregates ClusterRole "platform-admin-extra", whose rules[0]'],
        },
      ],
    },
    {
      name: 'cluster-admin for a ServiceAccount',
      files: { [BINDING_FILE]: clusterAdminBinding },
      findings: [admin('ci/ci-runner', clusterAdminBinding, ['cluster-admin for ServiceAccount "ci/ci-runner" through ClusterRoleBinding "ci-admin"', 'one compromised or misbehaving pod reaches the whole cluster'])],
    },
    {
      name: 'cluster-admin for two ServiceAccounts, a person and a namespace group',
      files: { [BINDING_FILE]: clusterAdminMany },
      findings: [admin('ops/a', clusterAdminMany), admin('ops/b', clusterAdminMany), admin('group:system:serviceaccounts:ci', clusterAdminMany, ['every ServiceAccount of namespace "ci"'])],
    },
    {
      name: 'the PR only adds a binding to an existing wildcard role',
      base: { [ROLE_FILE]: controllerRole },
      files: pair(controllerRole, controllerBinding),
      findings: [wild('high', 'argocd/app-controller', controllerRole)],
    },
    {
      name: 'the PR adds a ServiceAccount to an existing binding: only the new one is reported',
      base: pair(controllerRole, controllerBinding),
      files: pair(controllerRole, twoSubjects),
      findings: [wild('high', 'argocd/app-controller-shard-2', controllerRole)],
    },
    {
      name: 'the PR adds a second binding for an already bound ServiceAccount (a new binding is new)',
      base: pair(controllerRole, controllerBinding),
      files: { ...pair(controllerRole, controllerBinding), 'infra/rbac/extra.yaml': secondBinding },
      findings: [wild('high', 'argocd/app-controller', controllerRole)],
    },
    {
      name: 'the PR widens a bound role to every resource',
      base: pair(role('app-controller', [{ groups: ['apps'], resources: ['deployments'], verbs: ['*'] }]), controllerBinding),
      files: pair(controllerRole, controllerBinding),
      findings: [wild('high', 'argocd/app-controller', controllerRole)],
    },
    {
      name: 'the PR turns a read-only wildcard into a write wildcard',
      base: pair(role('auditor', [{ resources: ['events'], verbs: ['create'] }, READ_ALL]), readBinding),
      files: pair(role('auditor', [{ resources: ['events'], verbs: ['create'] }, { ...READ_ALL, verbs: ['get', 'list', 'watch', 'patch'] }]), readBinding),
      findings: [{ severity: 'high', key: 'wildcard:policy-system/auditor', line: lineOf(readRole, 'resources:', 2) }],
    },
    {
      name: 'a List holding the role and the binding',
      files: { 'infra/list.yaml': listKind },
      findings: [{ severity: 'high', key: 'wildcard:tools/listed', line: lineOf(listKind, 'resources:') }],
    },
    // Sensitive grants (RULEBOOK C.6 CRIT-RBAC-1 without `*` resources): `verbs: ["*"]` on a sensitive
    // resource, or escalate / bind / impersonate. Every category has a high case here; its quiet named-verb
    // twin is in `valid`.
    {
      name: 'the reviewer\'s repro: "*" on Secrets, Pods and ServiceAccounts and on every RBAC object',
      files: pair(fullRbac, appBinding),
      findings: [
        sens('high', 'default/app', fullRbac, 2, 'verbs', [
          'cluster-wide grant to ServiceAccount "default/app" through ClusterRoleBinding "app"',
          'ClusterRole "app", whose rules[1] grants every verb on every resource of API group "rbac.authorization.k8s.io"',
          'a compromised or misbehaving pod running as it can give itself or any other identity any permission, cluster-admin included',
          'send requests as any ServiceAccount and with their permissions',
          'create, rewrite or delete any Role, ClusterRole or binding of the cluster',
          'run any image as any ServiceAccount of any namespace',
          'create, rewrite or delete any Secret of any namespace',
          'create, rewrite or delete any ServiceAccount of the cluster',
        ]),
      ],
    },
    {
      name: '"*" on Secrets',
      files: pair(secretsAll, appBinding),
      findings: [sens('high', 'default/app', secretsAll, 2, 'resources', ['whose rules[1] grants every verb on "secrets"', 'create, rewrite or delete any Secret of any namespace (a token Secret for any ServiceAccount included)'])],
    },
    {
      name: '"*" on pods/exec',
      files: pair(execAll, appBinding),
      findings: [sens('high', 'default/app', execAll, 2, 'resources', ['whose rules[1] grants every verb on "pods/exec"', 'run commands in any container of the cluster (kubectl exec)'])],
    },
    {
      name: '"*" on */exec (every resource\'s exec subresource)',
      files: pair(execWildcardAll, appBinding),
      findings: [sens('high', 'default/app', execWildcardAll, 1, 'resources', ['every verb on "*/exec"', 'run commands in any container of the cluster'])],
    },
    {
      name: '"*" on pods',
      files: pair(podsAll, appBinding),
      findings: [
        sens('high', 'default/app', podsAll, 1, 'resources', [
          'every verb on "pods"',
          'run any image as any ServiceAccount of any namespace (create a pod, or patch the image of a running one) and delete any pod of the cluster',
        ]),
      ],
    },
    {
      name: '"*" on serviceaccounts/token',
      files: pair(tokenAll, appBinding),
      findings: [sens('high', 'default/app', tokenAll, 1, 'resources', ['every verb on "serviceaccounts/token"', 'mint a token for any ServiceAccount of the cluster'])],
    },
    {
      name: '"*" on serviceaccounts includes impersonate: points at the verbs',
      files: pair(serviceaccountsAll, appBinding),
      findings: [
        sens('high', 'default/app', serviceaccountsAll, 1, 'verbs', [
          'every verb on "serviceaccounts"',
          'send requests as any ServiceAccount and with their permissions',
          'create, rewrite or delete any ServiceAccount of the cluster',
        ]),
      ],
    },
    {
      name: '"*" on nodes',
      files: pair(nodesAll, appBinding),
      findings: [sens('high', 'default/app', nodesAll, 1, 'resources', ['every verb on "nodes"', 'create, rewrite or delete any Node (its labels and taints steer where pods run)'])],
    },
    {
      name: '"*" on ValidatingWebhookConfigurations',
      files: pair(webhookAll, appBinding),
      findings: [
        sens('high', 'default/app', webhookAll, 1, 'resources', [
          'every verb on "validatingwebhookconfigurations" of API group "admissionregistration.k8s.io"',
          'create, rewrite or delete admission webhooks, which receive every object written to the cluster (Secrets included) and can reject every request',
        ]),
      ],
    },
    {
      name: '"*" on MutatingWebhookConfigurations',
      files: pair(mutatingAll, appBinding),
      findings: [sens('high', 'default/app', mutatingAll, 1, 'resources', ['every verb on "mutatingwebhookconfigurations"', 'can rewrite pods or reject every request'])],
    },
    {
      name: '"*" on CustomResourceDefinitions',
      files: pair(crdAll, appBinding),
      findings: [
        sens('high', 'default/app', crdAll, 1, 'resources', [
          'every verb on "customresourcedefinitions" of API group "apiextensions.k8s.io"',
          'create, rewrite or delete any CustomResourceDefinition (deleting one deletes every object of its kind)',
        ]),
      ],
    },
    {
      name: 'bind and escalate on ClusterRoles point at the verbs',
      files: pair(escalateRole, appBinding),
      findings: [sens('high', 'default/app', escalateRole, 2, 'verbs', ['whose rules[1] grants the verbs "bind" and "escalate" on "clusterroles"', 'cluster-admin included ("bind" and "escalate" skip RBAC\'s escalation check)'])],
    },
    {
      name: '"*" on RoleBindings and ClusterRoleBindings',
      files: pair(bindingsAll, appBinding),
      findings: [
        sens('high', 'default/app', bindingsAll, 1, 'resources', [
          'every verb on "clusterrolebindings" and "rolebindings" of API group "rbac.authorization.k8s.io"',
          'create, rewrite or delete any Role, ClusterRole or binding of the cluster, handing what it holds to any identity',
        ]),
      ],
    },
    {
      name: 'impersonation of users and groups',
      files: pair(impersonateRole, appBinding),
      findings: [sens('high', 'default/app', impersonateRole, 1, 'verbs', ['send requests as any user or any group (as the group "system:masters", with every permission)'])],
    },
    {
      name: 'read everything (medium wildcard) and named writes of CRDs (quiet): only the wildcard (the Gatekeeper pattern)',
      files: pair(readAllWriteCrds, appBinding),
      findings: [wild('medium', 'default/app', readAllWriteCrds, 1)],
    },
    {
      name: 'read everything (medium wildcard) and "*" on CRDs (high sensitive): both are reported',
      files: pair(readAllAllCrds, appBinding),
      findings: [wild('medium', 'default/app', readAllAllCrds, 1), sens('high', 'default/app', readAllAllCrds, 2, 'resources', ['whose rules[1] grants every verb on "customresourcedefinitions"'])],
    },
    {
      name: 'read everything and read Secrets: the wildcard says it all',
      files: pair(readAllSecrets, appBinding),
      findings: [wild('medium', 'default/app', readAllSecrets, 1)],
    },
    {
      name: '"*" on Secrets reached through aggregation',
      files: { [ROLE_FILE]: `${sensitiveAggregate}---\n${sensitiveAggregated}`, [BINDING_FILE]: appBinding },
      findings: [
        {
          severity: 'high',
          key: 'sensitive:default/app',
          line: lineOf(`${sensitiveAggregate}---\n${sensitiveAggregated}`, 'resources:'),
          messageIncludes: ['ClusterRole "app", which aggregates ClusterRole "app-secrets", whose rules[0] grants every verb on "secrets"'],
        },
      ],
    },
    {
      name: 'two ServiceAccounts bound to "*" on Secrets: one finding each',
      files: pair(secretsAll, binding('app', 'app', [sa('app', 'default'), sa('worker', 'default')])),
      findings: [sens('high', 'default/app', secretsAll, 2), sens('high', 'default/worker', secretsAll, 2)],
    },
    {
      name: 'the PR only adds a binding to an existing role with "*" on Secrets',
      base: { [ROLE_FILE]: secretsAll },
      files: pair(secretsAll, appBinding),
      findings: [sens('high', 'default/app', secretsAll, 2)],
    },
    {
      name: 'the PR turns reads of Secrets (quiet) into "*" (high)',
      base: pair(secretsRead, appBinding),
      files: pair(role('app', [{ resources: ['secrets', 'configmaps'], verbs: ['*'] }]), appBinding),
      findings: [{ severity: 'high', key: 'sensitive:default/app', line: lineOf(secretsRead, 'resources:'), messageIncludes: ['every verb on "secrets"'] }],
    },
    {
      name: 'the PR turns named Secret writes (quiet) into "*" (high)',
      base: pair(secretsWrite, appBinding),
      files: pair(secretsAll, appBinding),
      findings: [sens('high', 'default/app', secretsAll, 2)],
    },
    {
      name: 'the PR widens Secret writes to "*" on every resource (a new wildcard finding)',
      base: pair(secretsWrite, appBinding),
      files: pair(role('app', [{ resources: ['configmaps'], verbs: ['get'] }, ALL]), appBinding),
      findings: [wild('high', 'default/app', secretsWrite, 2)],
    },
    // Aggregation cycles: each of 40 roles selects all the others. A walk that backtracks takes 40! paths.
    {
      name: '40 ClusterRoles aggregating one another and an ordinary wildcard role',
      files: { [ROLE_FILE]: meshWildcard.roles, [BINDING_FILE]: meshWildcard.binding },
      findings: [{ severity: 'high', key: 'wildcard:ops/mesh', line: lineOf(meshWildcard.roles, 'resources:', 2), messageIncludes: ['ClusterRole "mesh-0", which aggregates ClusterRole "leaf", whose rules[1]'] }],
    },
    {
      name: '40 ClusterRoles aggregating one another and an ordinary role with "*" on Secrets',
      files: { [ROLE_FILE]: meshSecrets.roles, [BINDING_FILE]: meshSecrets.binding },
      findings: [
        {
          severity: 'high',
          key: 'sensitive:ops/mesh',
          line: lineOf(meshSecrets.roles, 'resources:'),
          messageIncludes: ['ClusterRole "mesh-0", which aggregates ClusterRole "leaf", whose rules[0] grants every verb on "secrets"'],
        },
      ],
    },
    {
      name: '40 ClusterRoles aggregating one another, each bound to its own ServiceAccount',
      files: { [ROLE_FILE]: meshAllBound.roles, [BINDING_FILE]: meshAllBound.binding },
      findings: Array.from({ length: 40 }, (_, i) => ({ severity: 'high' as const, key: `wildcard:ops/mesh-${i}`, line: lineOf(meshAllBound.roles, 'resources:') })),
    },
    {
      name: 'config severity override applies',
      files: pair(controllerRole, controllerBinding),
      config: { rules: { 'blast-radius/rbac-wildcard': { severity: 'medium' } } },
      findings: [{ ...wild('high', 'argocd/app-controller', controllerRole), severity: 'medium' }],
    },
  ],
});

describe('rbac-wildcard: what the finding is about', () => {
  it('the resource is the binding; the file and line are the role rule', () => {
    const { live } = runCase(rbacWildcard, { name: 'x', files: pair(controllerRole, controllerBinding) });
    expect(live.map((f) => [f.resource, f.file, f.line])).toEqual([['ClusterRoleBinding/app-controller', ROLE_FILE, lineOf(controllerRole, 'resources:')]]);
  });
  it('cluster-admin points at the roleRef of the binding', () => {
    const { live } = runCase(rbacWildcard, { name: 'y', files: { [BINDING_FILE]: clusterAdminBinding } });
    expect(live.map((f) => [f.resource, f.file])).toEqual([['ClusterRoleBinding/ci-admin', BINDING_FILE]]);
  });
  it('a sensitive grant is about the binding, points at the role rule and says how to narrow it', () => {
    const { live } = runCase(rbacWildcard, { name: 'z', files: pair(fullRbac, appBinding) });
    expect(live.map((f) => [f.resource, f.file, f.line])).toEqual([['ClusterRoleBinding/app', ROLE_FILE, lineOf(fullRbac, 'verbs:', 2)]]);
    expect(live[0].remediation).toBe(
      'Grant these verbs with RoleBindings in the namespaces the workload manages, or limit them to the objects it owns with resourceNames.',
    );
  });
});

// ---- real-world manifests -------------------------------------------------------------------------

const ARGO = 'argoproj+argo-cd/manifests/cluster-rbac';
const GATEKEEPER = 'open-policy-agent+gatekeeper/deploy/gatekeeper.yaml';
const CALICO = 'projectcalico+calico/manifests/calico.yaml';
const TIGERA = 'projectcalico+calico/manifests/tigera-operator.yaml';
const KUBE_PROMETHEUS = 'prometheus-operator+kube-prometheus/manifests';

if (HAS_CORPUS) {
  const argoPaths = [
    'kustomization.yaml',
    'application-controller/kustomization.yaml',
    'application-controller/argocd-application-controller-clusterrole.yaml',
    'application-controller/argocd-application-controller-clusterrolebinding.yaml',
    'applicationset-controller/kustomization.yaml',
    'applicationset-controller/argocd-applicationset-controller-clusterrole.yaml',
    'applicationset-controller/argocd-applicationset-controller-clusterrolebinding.yaml',
    'server/kustomization.yaml',
    'server/argocd-server-clusterrole.yaml',
    'server/argocd-server-clusterrolebinding.yaml',
  ].map((p) => `${ARGO}/${p}`);
  const argo = Object.fromEntries(argoPaths.map((p) => [p, readCorpus(p)]));
  const CONTROLLER_ROLE = `${ARGO}/application-controller/argocd-application-controller-clusterrole.yaml`;
  const APPSET_ROLE = `${ARGO}/applicationset-controller/argocd-applicationset-controller-clusterrole.yaml`;
  const CONTROLLER_BINDING = `${ARGO}/application-controller/argocd-application-controller-clusterrolebinding.yaml`;
  const SERVER_ROLE = `${ARGO}/server/argocd-server-clusterrole.yaml`;
  const argoAnnotated = Object.fromEntries(Object.entries(argo).map(([p, t]) => [p, annotate(annotate(t, 'ClusterRole'), 'ClusterRoleBinding')]));
  const argoWithoutBinding = Object.fromEntries(Object.entries(argo).filter(([p]) => p !== CONTROLLER_BINDING));
  const gatekeeper = readCorpus(GATEKEEPER);
  const calico = readCorpus(CALICO);
  const tigera = readCorpus(TIGERA);
  const promFiles = Object.fromEntries(
    readdirSync(`${CORPUS_DIR}${KUBE_PROMETHEUS}`)
      .filter((f) => /clusterRole/i.test(f))
      .map((f) => [`${KUBE_PROMETHEUS}/${f}`, readCorpus(`${KUBE_PROMETHEUS}/${f}`)]),
  );

  describe('real-world manifests: the annotation-only PR really changes the RBAC objects', () => {
    it('annotates the Argo CD roles and bindings', () => {
      const text = argoAnnotated[CONTROLLER_ROLE];
      expect(text.split('\n').length).toBe(argo[CONTROLLER_ROLE].split('\n').length + 2);
      expect(argoAnnotated[CONTROLLER_BINDING]).not.toBe(argo[CONTROLLER_BINDING]);
      expect(Object.keys(promFiles).length).toBeGreaterThan(10);
    });
  });

  // Expected from RULEBOOK C.6 before the rule ever ran on these files (wildcards), and re-derived from what
  // each upstream ClusterRole grants when the sensitive-grant check was narrowed to `verbs: ["*"]` on the
  // sensitive resources plus escalate / bind / impersonate (named write verbs and Secret reads are quiet):
  // - Argo CD cluster-rbac: argocd-application-controller has apiGroups/resources/verbs "*" bound to the
  //   ServiceAccount argocd/argocd-application-controller → high wildcard (its sensitive grants are covered by
  //   it); argocd-server has delete/get/patch on "*"/"*" bound to argocd/argocd-server → high wildcard (writes),
  //   and no "*" verb anywhere → no sensitive finding. The applicationset controller's get/list/watch of
  //   `secrets` (rules[4]) is a Secret read → quiet.
  // - Gatekeeper deploy: gatekeeper-manager-role rules[1] is get/list/watch on "*"/"*", bound to
  //   gatekeeper-system/gatekeeper-admin → medium wildcard. rules[5] creates, patches, updates and deletes
  //   customresourcedefinitions with named verbs → quiet; its "*" resources are in its own API groups
  //   (config.gatekeeper.sh, constraints.gatekeeper.sh…) → quiet; no "*" verb → no sensitive finding.
  // - kube-prometheus: group-scoped wildcards (metrics.k8s.io "*") and "*" verbs on the operator's own CRDs and
  //   StatefulSets → quiet; prometheus-operator rules[2] is "*" on core configmaps and secrets → high sensitive
  //   (Secrets only; its list/delete of pods is a named verb → not in the message); kube-state-metrics lists
  //   and watches secrets (a read) → quiet.
  // - Calico calico.yaml: no "*" verb and no escalate / bind / impersonate in any bound ClusterRole; "*"
  //   resources only within projectcalico.org / crd.projectcalico.org; calico-node's serviceaccounts/token
  //   create names its object; calico-kube-controllers' delete of customresourcedefinitions (rules[14], the
  //   migration controller) is a named verb → quiet.
  // - Calico tigera-operator.yaml: bind and escalate on RBAC roles (rules[10]) → high sensitive, pointing at
  //   rules[10] verbs; its writes of pods, serviceaccounts, nodes, webhook configurations, CRDs and RBAC
  //   objects use named verbs, none "*" → not in the message.
  const otherPowers = (message: string) =>
    ['admission webhooks', 'any Node', 'any Role, ClusterRole or binding', 'CustomResourceDefinition', 'run any image'].filter((s) => message.includes(s));
  describe('real-world manifests: what the narrowed sensitive grant leaves out of the message', () => {
    it('tigera-operator: only bind / escalate, none of its named-verb writes', () => {
      const { live } = runCase(rbacWildcard, { name: 'tigera', files: { [TIGERA]: tigera } });
      expect(live).toHaveLength(1);
      expect(otherPowers(live[0].message)).toEqual([]);
    });
    it('prometheus-operator: Secrets only, not its list / delete of pods', () => {
      const { live } = runCase(rbacWildcard, { name: 'prom', files: promFiles });
      expect(live).toHaveLength(1);
      expect(live[0].message).not.toContain('pod of the cluster');
    });
  });
  ruleTester(rbacWildcard).run({
    valid: [
      { name: 'Argo CD cluster-rbac: only annotations added to the roles and bindings', base: argo, files: argoAnnotated },
      {
        name: 'Argo CD applicationset controller alone: its get / list / watch of Secrets (rules[4]) is quiet',
        files: Object.fromEntries(
          [APPSET_ROLE, `${ARGO}/applicationset-controller/argocd-applicationset-controller-clusterrolebinding.yaml`, `${ARGO}/applicationset-controller/kustomization.yaml`].map((p) => [p, argo[p]]),
        ),
      },
      {
        name: 'kube-prometheus: only annotations added to the ClusterRoles and bindings',
        base: promFiles,
        files: Object.fromEntries(Object.entries(promFiles).map(([p, t]) => [p, annotate(annotate(t, 'ClusterRole'), 'ClusterRoleBinding')])),
      },
      { name: 'Calico tigera-operator.yaml: only annotations added to the ClusterRoles and bindings', base: { [TIGERA]: tigera }, files: { [TIGERA]: annotate(annotate(tigera, 'ClusterRole'), 'ClusterRoleBinding') } },
      { name: 'Calico calico.yaml: no "*" verb on a sensitive resource (calico-kube-controllers deletes CRDs with a named verb)', files: { [CALICO]: calico } },
    ],
    invalid: [
      {
        name: 'Argo CD cluster-rbac',
        files: argo,
        findings: [
          { severity: 'high', key: 'wildcard:argocd/argocd-application-controller', line: lineOf(argo[CONTROLLER_ROLE], 'resources:'), messageIncludes: ['every verb on every resource of every API group'] },
          { severity: 'high', key: 'wildcard:argocd/argocd-server', line: lineOf(argo[SERVER_ROLE], 'resources:'), messageIncludes: ['the verbs "delete", "get" and "patch"'] },
        ],
      },
      {
        name: 'kube-prometheus ClusterRoles and ClusterRoleBindings',
        files: promFiles,
        findings: [
          {
            severity: 'high',
            key: 'sensitive:monitoring/prometheus-operator',
            line: lineOf(promFiles[`${KUBE_PROMETHEUS}/prometheusOperator-clusterRole.yaml`], 'resources:', 3),
            messageIncludes: ['whose rules[2] grants every verb on "secrets"', 'create, rewrite or delete any Secret of any namespace'],
          },
        ],
      },
      {
        name: 'Calico tigera-operator.yaml',
        files: { [TIGERA]: tigera },
        findings: [
          {
            severity: 'high',
            key: 'sensitive:tigera-operator/tigera-operator',
            // rules[10] lists clusterroles, clusterrolebindings, rolebindings, roles; its verbs line follows.
            line: lineOf(tigera, '      - roles', 1) + 1,
            messageIncludes: [
              'whose rules[10] grants the verbs "bind" and "escalate" on "roles" and "clusterroles"',
              'give itself or any other identity any permission, cluster-admin included',
            ],
          },
        ],
      },
      {
        name: 'Argo CD cluster-rbac: the PR only adds the application-controller binding',
        base: argoWithoutBinding,
        files: argo,
        findings: [{ severity: 'high', key: 'wildcard:argocd/argocd-application-controller', line: lineOf(argo[CONTROLLER_ROLE], 'resources:') }],
      },
      {
        name: 'Gatekeeper deploy/gatekeeper.yaml',
        files: { [GATEKEEPER]: gatekeeper },
        findings: [{ severity: 'medium', key: 'wildcard:gatekeeper-system/gatekeeper-admin', line: 5536, messageIncludes: ['ClusterRole "gatekeeper-manager-role", whose rules[1]'] }],
      },
    ],
  });
} else {
  describe.skip('real-world manifests (../shared/corpus is absent)', () => {
    it('skipped', () => {});
  });
}
