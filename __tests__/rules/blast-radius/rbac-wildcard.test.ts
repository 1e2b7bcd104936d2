/**
 * Table tests of blast-radius/rbac-wildcard. Each dangerous case has a safe twin next to it; lines are looked
 * up in the case's own YAML. Findings are about the ClusterRoleBinding (resource) and point at the ClusterRole
 * rule (wildcards) or at the binding's roleRef (cluster-admin).
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
  ],
  invalid: [
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
  const CONTROLLER_BINDING = `${ARGO}/application-controller/argocd-application-controller-clusterrolebinding.yaml`;
  const SERVER_ROLE = `${ARGO}/server/argocd-server-clusterrole.yaml`;
  const argoAnnotated = Object.fromEntries(Object.entries(argo).map(([p, t]) => [p, annotate(annotate(t, 'ClusterRole'), 'ClusterRoleBinding')]));
  const argoWithoutBinding = Object.fromEntries(Object.entries(argo).filter(([p]) => p !== CONTROLLER_BINDING));
  const gatekeeper = readCorpus(GATEKEEPER);
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

  // Expected from RULEBOOK C.6 before the rule ever ran on these files:
  // - Argo CD cluster-rbac: argocd-application-controller has apiGroups/resources/verbs "*" bound to the
  //   ServiceAccount argocd/argocd-application-controller → high; argocd-server has delete/get/patch on "*"/"*"
  //   bound to argocd/argocd-server → high (writes); the applicationset controller lists named resources → quiet.
  // - Gatekeeper deploy: gatekeeper-manager-role rules[1] is get/list/watch on "*"/"*", bound to
  //   gatekeeper-system/gatekeeper-admin → medium (reads every Secret, writes nothing cluster-wide).
  // - kube-prometheus: only group-scoped wildcards (metrics.k8s.io "*") and "*" verbs on named resources → quiet.
  // - Calico manifests: "*" only within projectcalico.org / crd.projectcalico.org → quiet.
  ruleTester(rbacWildcard).run({
    valid: [
      { name: 'Argo CD cluster-rbac: only annotations added to the roles and bindings', base: argo, files: argoAnnotated },
      { name: 'kube-prometheus ClusterRoles and ClusterRoleBindings', files: promFiles },
      { name: 'Calico calico.yaml', files: { [CALICO]: readCorpus(CALICO) } },
      { name: 'Calico tigera-operator.yaml', files: { [TIGERA]: readCorpus(TIGERA) } },
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
