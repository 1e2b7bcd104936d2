/** RBAC joins (src/rbac.ts): ServiceAccount of a workload, subjects, rules, bindings, aggregation, defaults. */
import jsyaml from 'js-yaml';
import { describe, expect, it } from 'vitest';
import { clusterGrantsFor, grantsNodeScaling, listedResources, serviceAccountOf, subjectMatch, type ServiceAccountRef } from '../../src/rbac.js';
import type { KubeObject } from '../../src/types.js';

/** The Kubernetes objects of a multi-document YAML text, as one unit. */
function objects(text: string, unit = '.'): KubeObject[] {
  return jsyaml.loadAll(text).flatMap((raw, docIndex) => {
    const doc = raw as Record<string, unknown> | null;
    if (!doc || typeof doc.kind !== 'string') return [];
    const meta = (doc.metadata ?? {}) as Record<string, unknown>;
    const name = typeof meta.name === 'string' ? meta.name : '';
    const namespace = typeof meta.namespace === 'string' ? meta.namespace : null;
    return [{ apiVersion: String(doc.apiVersion), kind: doc.kind, name, namespace, ref: namespace ? `${doc.kind}/${namespace}/${name}` : `${doc.kind}/${name}`, doc, file: 'rbac.yaml', docIndex, docPath: [], unit }];
  });
}

const one = (text: string) => objects(text)[0];
const SA: ServiceAccountRef = { namespace: 'monitoring', name: 'agent', path: null };

const ds = (spec: string, ns = 'monitoring') => `apiVersion: apps/v1
kind: DaemonSet
metadata:
  name: agent
${ns ? `  namespace: ${ns}\n` : ''}spec:
  template:
    spec:
${spec}      containers: [{ name: agent, image: example/agent:1 }]
`;

describe('serviceAccountOf', () => {
  it('reads spec.template.spec.serviceAccountName', () => {
    expect(serviceAccountOf(one(ds('      serviceAccountName: telemetry\n')))).toEqual({ namespace: 'monitoring', name: 'telemetry', path: ['spec', 'template', 'spec', 'serviceAccountName'] });
  });
  it('falls back to the deprecated serviceAccount, then to default', () => {
    expect(serviceAccountOf(one(ds('      serviceAccount: old\n')))).toMatchObject({ name: 'old', path: ['spec', 'template', 'spec', 'serviceAccount'] });
    expect(serviceAccountOf(one(ds('')))).toEqual({ namespace: 'monitoring', name: 'default', path: null });
    expect(serviceAccountOf(one(ds('      serviceAccountName: ""\n')))).toMatchObject({ name: 'default', path: null });
  });
  it('keeps a missing namespace as null', () => {
    expect(serviceAccountOf(one(ds('      serviceAccountName: telemetry\n', '')))?.namespace).toBeNull();
  });
  it('OpenTelemetryCollector: spec.serviceAccount, default <name>-collector (63 characters at most)', () => {
    const otel = (name: string, extra = '') => `apiVersion: opentelemetry.io/v1beta1\nkind: OpenTelemetryCollector\nmetadata: { name: ${name}, namespace: otel }\nspec:\n  mode: daemonset\n${extra}`;
    expect(serviceAccountOf(one(otel('agent')))).toEqual({ namespace: 'otel', name: 'agent-collector', path: null });
    expect(serviceAccountOf(one(otel('agent', '  serviceAccount: otel-agent\n')))).toMatchObject({ name: 'otel-agent', path: ['spec', 'serviceAccount'] });
    const long = 'a'.repeat(60);
    expect(serviceAccountOf(one(otel(long)))?.name).toBe(`${'a'.repeat(53)}-collector`);
  });
  it('PrometheusAgent: spec.serviceAccountName, default default', () => {
    const agent = (extra = '') => `apiVersion: monitoring.coreos.com/v1alpha1\nkind: PrometheusAgent\nmetadata: { name: agent, namespace: monitoring }\nspec:\n  mode: DaemonSet\n${extra}`;
    expect(serviceAccountOf(one(agent()))).toEqual({ namespace: 'monitoring', name: 'default', path: null });
    expect(serviceAccountOf(one(agent('  serviceAccountName: prom\n')))).toMatchObject({ name: 'prom', path: ['spec', 'serviceAccountName'] });
  });
  it('is undefined for an object without a pod template', () => {
    expect(serviceAccountOf(one('apiVersion: v1\nkind: ConfigMap\nmetadata: { name: x }\n'))).toBeUndefined();
    expect(serviceAccountOf(one('apiVersion: apps/v1\nkind: DaemonSet\nmetadata: { name: x }\nspec: { template: nope }\n'))).toBeUndefined();
  });
});

describe('subjectMatch', () => {
  it('matches the ServiceAccount by name and namespace', () => {
    expect(subjectMatch({ kind: 'ServiceAccount', name: 'agent', namespace: 'monitoring' }, SA)).toBe('ServiceAccount "monitoring/agent"');
    expect(subjectMatch({ kind: 'ServiceAccount', name: 'agent', namespace: 'other' }, SA)).toBeUndefined();
    expect(subjectMatch({ kind: 'ServiceAccount', name: 'other', namespace: 'monitoring' }, SA)).toBeUndefined();
  });
  it('needs the subject namespace (the API server rejects a ServiceAccount subject without one)', () => {
    expect(subjectMatch({ kind: 'ServiceAccount', name: 'agent' }, SA)).toBeUndefined();
  });
  it('matches any namespace when the workload leaves its namespace unset', () => {
    expect(subjectMatch({ kind: 'ServiceAccount', name: 'agent', namespace: 'anywhere' }, { ...SA, namespace: null })).toBeDefined();
  });
  it('matches the groups every ServiceAccount belongs to, and its User name', () => {
    expect(subjectMatch({ kind: 'Group', name: 'system:serviceaccounts', apiGroup: 'rbac.authorization.k8s.io' }, SA)).toBe('Group "system:serviceaccounts"');
    expect(subjectMatch({ kind: 'Group', name: 'system:serviceaccounts:monitoring' }, SA)).toBe('Group "system:serviceaccounts:monitoring"');
    expect(subjectMatch({ kind: 'Group', name: 'system:serviceaccounts:other' }, SA)).toBeUndefined();
    expect(subjectMatch({ kind: 'Group', name: 'system:authenticated' }, SA)).toBeDefined();
    expect(subjectMatch({ kind: 'Group', name: 'system:nodes' }, SA)).toBeUndefined();
    expect(subjectMatch({ kind: 'User', name: 'system:serviceaccount:monitoring:agent' }, SA)).toBe('User "system:serviceaccount:monitoring:agent"');
    expect(subjectMatch({ kind: 'User', name: 'system:serviceaccount:other:agent' }, SA)).toBeUndefined();
  });
  it('never throws on odd subjects', () => {
    for (const s of [null, 'x', 42, [], {}, { kind: 'ServiceAccount' }, { kind: 7, name: 'agent' }]) expect(subjectMatch(s, SA)).toBeUndefined();
  });
});

describe('listedResources', () => {
  const names = (rule: unknown) => listedResources(rule).resources.map((r) => r.resource);
  it('needs list, watch or * (case-sensitive)', () => {
    expect(names({ apiGroups: [''], resources: ['pods'], verbs: ['get'] })).toEqual([]);
    expect(names({ apiGroups: [''], resources: ['pods'], verbs: ['LIST'] })).toEqual([]);
    expect(names({ apiGroups: [''], resources: ['pods'], verbs: ['watch'] })).toEqual(['pods']);
    expect(listedResources({ apiGroups: [''], resources: ['pods'], verbs: ['get', 'list', 'watch'] }).verbs).toEqual(['list', 'watch']);
    expect(names({ apiGroups: [''], resources: ['pods'], verbs: ['*'] })).toEqual(['pods']);
  });
  it('grants no cluster-wide list with resourceNames', () => {
    expect(names({ apiGroups: [''], resources: ['pods'], resourceNames: ['one'], verbs: ['list', 'watch'] })).toEqual([]);
    expect(names({ apiGroups: [''], resources: ['pods'], resourceNames: [], verbs: ['list'] })).toEqual(['pods']);
  });
  it('matches the resource to its API group', () => {
    expect(names({ apiGroups: ['apps'], resources: ['pods'], verbs: ['list'] })).toEqual([]);
    expect(names({ apiGroups: ['metrics.k8s.io'], resources: ['pods', 'nodes'], verbs: ['list'] })).toEqual([]);
    expect(names({ apiGroups: ['*'], resources: ['pods'], verbs: ['list'] })).toEqual(['pods']);
    expect(names({ apiGroups: ['discovery.k8s.io'], resources: ['endpointslices'], verbs: ['list'] })).toEqual(['endpointslices']);
    expect(names({ apiGroups: [''], resources: ['endpointslices'], verbs: ['list'] })).toEqual([]);
    expect(names({ apiGroups: ['coordination.k8s.io'], resources: ['leases'], verbs: ['list'] })).toEqual(['leases']);
    expect(names({ apiGroups: ['events.k8s.io'], resources: ['events'], verbs: ['list'] })).toEqual(['events']);
    expect(names({ apiGroups: ['extensions'], resources: ['replicasets'], verbs: ['list'] })).toEqual(['replicasets']);
    expect(names({ apiGroups: [], resources: ['pods'], verbs: ['list'] })).toEqual([]);
  });
  it('reads resources * as every node-scaling kind its groups cover', () => {
    expect(names({ apiGroups: [''], resources: ['*'], verbs: ['list'] })).toEqual(['pods', 'nodes', 'endpoints', 'events']);
    expect(names({ apiGroups: ['*'], resources: ['*'], verbs: ['*'] })).toEqual(['pods', 'nodes', 'leases', 'endpoints', 'endpointslices', 'events']);
    expect(names({ apiGroups: ['apps'], resources: ['*'], verbs: ['list'] })).toEqual([]);
    expect(listedResources({ apiGroups: [''], resources: ['*'], verbs: ['list'] }).wildcard).toBe(true);
  });
  it('keeps unknown plurals (CRDs) and skips subresources', () => {
    expect(listedResources({ apiGroups: ['cilium.io'], resources: ['ciliumendpoints'], verbs: ['list'] }).resources).toEqual([{ group: 'cilium.io', resource: 'ciliumendpoints' }]);
    expect(names({ apiGroups: [''], resources: ['pods/log', 'nodes/stats'], verbs: ['list', 'get'] })).toEqual([]);
  });
  it('never throws on odd rules', () => {
    for (const r of [null, 'x', 7, [], {}, { verbs: 'list' }, { apiGroups: [''], resources: [null, 5], verbs: ['list'] }]) expect(() => listedResources(r)).not.toThrow();
  });
});

const CRB = (name: string, role: string, subject = '{kind: ServiceAccount, name: agent, namespace: monitoring}') => `---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: { name: ${name} }
roleRef: { apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: ${role} }
subjects: [${subject}]
`;
const CR = (name: string, rules: string, labels = '') => `---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: { name: ${name}${labels ? `, labels: ${labels}` : ''} }
rules: ${rules}
`;
const PODS_RULE = '[{apiGroups: [""], resources: [pods], verbs: [get, list, watch]}]';

describe('clusterGrantsFor', () => {
  it('joins ClusterRoleBinding → ClusterRole', () => {
    const unit = objects(CRB('agent', 'agent-reader') + CR('agent-reader', PODS_RULE));
    const grants = clusterGrantsFor(SA, unit);
    expect(grants).toHaveLength(1);
    expect(grants[0]).toMatchObject({ subject: 'ServiceAccount "monitoring/agent"', role: 'agent-reader', source: 'agent-reader', builtIn: false, ruleIndex: 0, verbs: ['list', 'watch'] });
    expect(grants[0].binding.name).toBe('agent');
    expect(grants[0].resources).toEqual([{ group: '', resource: 'pods' }]);
    expect(grantsNodeScaling(grants[0])).toBe(true);
  });

  it('ignores RoleBindings (namespaced: never a cluster-wide list), even to a ClusterRole', () => {
    const rb = `---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: { name: agent, namespace: monitoring }
roleRef: { apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: agent-reader }
subjects: [{kind: ServiceAccount, name: agent, namespace: monitoring}]
`;
    expect(clusterGrantsFor(SA, objects(rb + CR('agent-reader', PODS_RULE)))).toEqual([]);
  });

  it('grants nothing for a role the unit does not define (unless it is a Kubernetes default)', () => {
    expect(clusterGrantsFor(SA, objects(CRB('agent', 'somewhere-else')))).toEqual([]);
  });

  it('uses the Kubernetes default cluster-admin and view when the unit does not define them', () => {
    const admin = clusterGrantsFor(SA, objects(CRB('agent', 'cluster-admin')));
    expect(admin).toHaveLength(1);
    expect(admin[0]).toMatchObject({ builtIn: true, wildcard: true, ruleIndex: null });
    expect(admin[0].resources.map((r) => r.resource)).toEqual(['pods', 'nodes', 'leases', 'endpoints', 'endpointslices', 'events']);
    const view = clusterGrantsFor(SA, objects(CRB('agent', 'view')));
    expect(view.flatMap((g) => g.resources.map((r) => r.resource))).toEqual(expect.arrayContaining(['pods', 'endpoints', 'events', 'endpointslices', 'replicasets']));
    // A unit that defines its own `view` uses it.
    const own = clusterGrantsFor(SA, objects(CRB('agent', 'view') + CR('view', '[{apiGroups: [""], resources: [services], verbs: [list]}]')));
    expect(own.flatMap((g) => g.resources.map((r) => r.resource))).toEqual(['services']);
    expect(own[0].builtIn).toBe(false);
  });

  it('follows aggregated ClusterRoles (transitively) and ignores their own rules', () => {
    const unit = objects(
      CRB('agent', 'agg') +
        `---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: { name: agg }
aggregationRule:
  clusterRoleSelectors: [{matchLabels: {example.com/aggregate-to-agent: "true"}}, null]
rules: [{apiGroups: [""], resources: [nodes], verbs: [list]}]
` +
        `---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: { name: mid, labels: {example.com/aggregate-to-agent: "true"} }
aggregationRule:
  clusterRoleSelectors: [{matchLabels: {example.com/aggregate-to-mid: "true"}}]
` +
        CR('pods-part', PODS_RULE, '{example.com/aggregate-to-mid: "true"}') +
        CR('svc-part', '[{apiGroups: [""], resources: [services], verbs: [watch]}]', '{example.com/aggregate-to-agent: "true"}') +
        CR('unlabelled', '[{apiGroups: [""], resources: [events], verbs: [list]}]'),
    );
    const grants = clusterGrantsFor(SA, unit);
    expect(grants.map((g) => [g.role, g.source, g.resources.map((r) => r.resource).join()])).toEqual([
      ['agg', 'pods-part', 'pods'],
      ['agg', 'svc-part', 'services'],
    ]);
    expect(grants.filter(grantsNodeScaling).map((g) => g.source)).toEqual(['pods-part']);
  });

  it('survives aggregation cycles', () => {
    const cyc = (name: string, selects: string) => `---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: { name: ${name}, labels: {agg/${name}: "true"} }
aggregationRule: { clusterRoleSelectors: [{matchLabels: {agg/${selects}: "true"}}] }
`;
    expect(clusterGrantsFor(SA, objects(CRB('agent', 'a') + cyc('a', 'b') + cyc('b', 'a')))).toEqual([]);
  });

  it('matches group subjects and skips bindings to other ServiceAccounts', () => {
    const unit = objects(
      CRB('all-sas', 'agent-reader', '{kind: Group, name: "system:serviceaccounts", apiGroup: rbac.authorization.k8s.io}') +
        CRB('other', 'agent-reader', '{kind: ServiceAccount, name: agent, namespace: elsewhere}') +
        CR('agent-reader', PODS_RULE),
    );
    expect(clusterGrantsFor(SA, unit).map((g) => [g.binding.name, g.subject])).toEqual([['all-sas', 'Group "system:serviceaccounts"']]);
  });

  it('skips bindings whose roleRef is not a ClusterRole, and odd documents', () => {
    const unit = objects(
      `---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: { name: role-ref }
roleRef: { kind: Role, name: agent-reader }
subjects: [{kind: ServiceAccount, name: agent, namespace: monitoring}]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: { name: odd }
roleRef: nope
subjects: nope
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: { name: odd-role }
rules: nope
` + CR('agent-reader', PODS_RULE),
    );
    expect(clusterGrantsFor(SA, unit)).toEqual([]);
  });
});
