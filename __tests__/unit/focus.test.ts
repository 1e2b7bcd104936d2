/**
 * Incremental judging (src/focus.ts): which subjects a change makes a focused rule judge, how rules linked
 * by meta.after are planned together, and that the engine's report is the same either way.
 */
import { describe, expect, it } from 'vitest';
import { RULES } from '../../rules/index.js';
import { parseConfig, type Config } from '../../src/config.js';
import { analyze } from '../../src/engine.js';
import { buildFleet } from '../../src/fleet.js';
import { focusGroups, focusPlanner } from '../../src/focus.js';
import type { ChangeRule, FocusSpec, Rule, StateRule } from '../../src/rule.js';
import type { Family, KubeObject, Tree } from '../../src/types.js';
import { changeOf } from '../helpers/rule-tester.js';
import type { UnitMap } from '../../src/units.js';

const CONFIG = `fleet:
  clusters:
    - { name: canary-1, nodes: 60, stage: canary, paths: ["clusters/canary-1/**"] }
    - { name: prod-us, nodes: 4800, stage: prod, paths: ["clusters/prod-us/**"] }
rollout: { stages: [canary, prod] }
`;

function config(): Config {
  const r = parseConfig(CONFIG, RULES.map((x) => x.meta.id));
  if (!r.ok) throw new Error(JSON.stringify(r.problems));
  return r.config;
}

const agent = (name: string, image = 'agent:1', sa = name) => `apiVersion: apps/v1
kind: DaemonSet
metadata:
  name: ${name}
  namespace: mon
spec:
  selector: { matchLabels: { app: ${name} } }
  template:
    metadata: { labels: { app: ${name} } }
    spec:
      serviceAccountName: ${sa}
      containers:
        - name: agent
          image: ${image}
`;
const configMap = (name: string, value = 'a') => `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ${name}\n  namespace: mon\ndata:\n  k: ${value}\n`;
const role = (name: string, resources = 'pods') => `apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata:
  name: ${name}
rules:
  - apiGroups: [""]
    resources: [${resources}]
    verbs: [list, watch]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata:
  name: ${name}
roleRef: { apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: ${name} }
subjects:
  - { kind: ServiceAccount, name: ${name}, namespace: mon }
`;
const kustomization = (...resources: string[]) => `apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n${resources.map((r) => `  - ${r}`).join('\n')}\n`;

function change(base: Record<string, string>, head: Record<string, string>) {
  const { base: b, head: h, changes } = changeOf(base, head);
  return { b, h, changes };
}

const AGENTS: FocusSpec = { subjects: ['DaemonSet'], context: ['ConfigMap', 'ClusterRole', 'ClusterRoleBinding'] };

/** What a rule with `spec` (alone in its group) is handed on each side: `unit ref` of every object. */
function view(base: Record<string, string>, head: Record<string, string>, spec: FocusSpec = AGENTS) {
  const { b, h, changes } = change(base, head);
  const resolved = buildFleet(config(), b, h, changes);
  const v = focusPlanner(resolved.base, resolved.head, resolved.sides).view({ group: [spec], own: spec });
  const show = (t: Tree) => t.objects.map((o) => `${o.unit} ${o.ref}`);
  return { base: show(v.base), head: show(v.head) };
}

/** Two clusters, each an overlay of its own agent and config over nothing shared. */
const TWO_CLUSTERS: Record<string, string> = {
  'clusters/canary-1/kustomization.yaml': kustomization('agent.yaml', 'config.yaml', 'rbac.yaml', 'other.yaml'),
  'clusters/canary-1/agent.yaml': agent('agent'),
  'clusters/canary-1/config.yaml': configMap('agent-config'),
  'clusters/canary-1/rbac.yaml': role('agent'),
  'clusters/canary-1/other.yaml': agent('logs'),
  'clusters/prod-us/kustomization.yaml': kustomization('agent.yaml', 'config.yaml'),
  'clusters/prod-us/agent.yaml': agent('node-agent'),
  'clusters/prod-us/config.yaml': configMap('agent-config'),
};

describe('focusPlanner: what a change makes a rule judge', () => {
  it('an edited subject: that subject alone, with the context objects of its unit; other units are left out', () => {
    const v = view(TWO_CLUSTERS, { ...TWO_CLUSTERS, 'clusters/canary-1/agent.yaml': agent('agent', 'agent:2') });
    const expected = ['clusters/canary-1 DaemonSet/mon/agent', 'clusters/canary-1 ConfigMap/mon/agent-config', 'clusters/canary-1 ClusterRole/agent', 'clusters/canary-1 ClusterRoleBinding/agent'];
    expect(new Set(v.head)).toEqual(new Set(expected));
    expect(new Set(v.base)).toEqual(new Set(expected));
  });

  it('keeps the tree order of the objects it keeps', () => {
    const { b, h, changes } = change(TWO_CLUSTERS, { ...TWO_CLUSTERS, 'clusters/canary-1/config.yaml': configMap('agent-config', 'b') });
    const r = buildFleet(config(), b, h, changes);
    const v = focusPlanner(r.base, r.head, r.sides).view({ group: [AGENTS], own: AGENTS });
    const order = (t: Tree, all: Tree) => t.objects.map((o) => all.objects.indexOf(o));
    const positions = order(v.head, r.head);
    expect(positions).toEqual([...positions].sort((x, y) => x - y));
    expect(positions.every((p) => p >= 0)).toBe(true);
  });

  it('an edited context object: every subject of its unit', () => {
    const v = view(TWO_CLUSTERS, { ...TWO_CLUSTERS, 'clusters/canary-1/rbac.yaml': role('agent', 'pods, nodes') });
    const subjects = v.head.filter((x) => x.includes('DaemonSet'));
    expect(subjects).toEqual(['clusters/canary-1 DaemonSet/mon/agent', 'clusters/canary-1 DaemonSet/mon/logs']);
  });

  it('an edit of a kind the rule does not read: nothing to judge', () => {
    const v = view(TWO_CLUSTERS, { ...TWO_CLUSTERS, 'clusters/canary-1/svc.yaml': 'apiVersion: v1\nkind: Service\nmetadata: { name: s, namespace: mon }\n', 'clusters/canary-1/kustomization.yaml': kustomization('agent.yaml', 'config.yaml', 'rbac.yaml', 'other.yaml', 'svc.yaml') });
    expect(v).toEqual({ base: [], head: [] });
  });

  it('a comment, a reordered mapping or a re-indented file judges nothing (the documents are equal)', () => {
    const reordered = agent('agent').replace('  name: agent\n  namespace: mon\n', '  namespace: mon\n  name: agent\n');
    const v = view(TWO_CLUSTERS, { ...TWO_CLUSTERS, 'clusters/canary-1/agent.yaml': `# owned by team obs\n${reordered}` });
    expect(v).toEqual({ base: [], head: [] });
  });

  it('an added or a deleted subject is judged on the side that has it', () => {
    const added = view(TWO_CLUSTERS, { ...TWO_CLUSTERS, 'clusters/prod-us/agent.yaml': `${agent('node-agent')}---\n${agent('extra')}` });
    expect(added.head.filter((x) => x.includes('DaemonSet'))).toEqual(['clusters/prod-us DaemonSet/mon/extra']);
    expect(added.base.filter((x) => x.includes('DaemonSet'))).toEqual([]);
    const deleted = view(TWO_CLUSTERS, { ...TWO_CLUSTERS, 'clusters/canary-1/other.yaml': 'apiVersion: v1\nkind: Service\nmetadata: { name: logs, namespace: mon }\n' });
    expect(deleted.base.filter((x) => x.includes('DaemonSet'))).toEqual(['clusters/canary-1 DaemonSet/mon/logs']);
  });

  it('copies of a judged subject in other units come along: one source under two overlays', () => {
    const shared: Record<string, string> = {
      'base/agent/kustomization.yaml': kustomization('ds.yaml'),
      'base/agent/ds.yaml': agent('agent'),
      'clusters/canary-1/kustomization.yaml': kustomization('../../base/agent', 'config.yaml'),
      'clusters/canary-1/config.yaml': configMap('agent-config'),
      'clusters/prod-us/kustomization.yaml': kustomization('../../base/agent', 'config.yaml', 'more.yaml'),
      'clusters/prod-us/config.yaml': configMap('agent-config'),
      'clusters/prod-us/more.yaml': agent('other'),
    };
    // A prod-only config edit judges prod's subjects; the canary copy of the same source comes along.
    const v = view(shared, { ...shared, 'clusters/prod-us/config.yaml': configMap('agent-config', 'b') });
    expect(v.head.filter((x) => x.includes('DaemonSet')).sort()).toEqual(['clusters/canary-1 DaemonSet/mon/agent', 'clusters/prod-us DaemonSet/mon/agent', 'clusters/prod-us DaemonSet/mon/other']);
    expect(v.head).toContain('clusters/canary-1 ConfigMap/mon/agent-config');
  });

  it('copies by name come along too: the same Kind/namespace/name in another unit from another file', () => {
    const v = view(
      { ...TWO_CLUSTERS, 'clusters/prod-us/agent.yaml': agent('agent') },
      { ...TWO_CLUSTERS, 'clusters/prod-us/agent.yaml': agent('agent'), 'clusters/canary-1/agent.yaml': agent('agent', 'agent:2') },
    );
    expect(v.head.filter((x) => x.includes('DaemonSet')).sort()).toEqual(['clusters/canary-1 DaemonSet/mon/agent', 'clusters/prod-us DaemonSet/mon/agent']);
  });

  it('a rule without context kinds treats every other kind as context', () => {
    const v = view(TWO_CLUSTERS, { ...TWO_CLUSTERS, 'clusters/canary-1/svc.yaml': 'apiVersion: v1\nkind: Service\nmetadata: { name: s, namespace: mon }\n', 'clusters/canary-1/kustomization.yaml': kustomization('agent.yaml', 'config.yaml', 'rbac.yaml', 'other.yaml', 'svc.yaml') }, { subjects: ['DaemonSet'] });
    expect(v.head.filter((x) => x.includes('DaemonSet'))).toEqual(['clusters/canary-1 DaemonSet/mon/agent', 'clusters/canary-1 DaemonSet/mon/logs']);
    expect(v.head).toContain('clusters/canary-1 Service/mon/s');
  });

  it('a unit that reaches other clusters on the head has every subject judged', () => {
    const { b, h } = change(TWO_CLUSTERS, TWO_CLUSTERS);
    // The same objects in unit `u` on both sides; only the unit's clusters differ.
    const inUnit = new Map<KubeObject, KubeObject>();
    const place = (t: Tree): Tree => ({ ...t, objects: t.objects.map((o) => inUnit.get(o) ?? inUnit.set(o, { ...o, unit: 'u' }).get(o)!) });
    const unitMap = (t: Tree, clusters: string[]): UnitMap => ({ units: [{ id: 'u', root: 'clusters', clusters, objects: t.objects, files: new Set(), via: 'test' }], objects: t.objects, fileClusters: new Map(), notes: [] });
    const [pb, ph] = [place(b), place(h)];
    const spec: FocusSpec = { subjects: ['DaemonSet'], context: ['ConfigMap'] };
    const same = focusPlanner(pb, ph, { base: unitMap(pb, ['canary-1']), head: unitMap(ph, ['canary-1']) }).view({ group: [spec], own: spec });
    expect(same.head.objects).toEqual([]);
    const moved = focusPlanner(pb, ph, { base: unitMap(pb, ['canary-1']), head: unitMap(ph, ['canary-1', 'prod-us']) }).view({ group: [spec], own: spec });
    expect(moved.head.objects.filter((o) => o.kind === 'DaemonSet').map((o) => o.name).sort()).toEqual(['agent', 'logs', 'node-agent']);
  });
});

const meta = (id: string, family: Family, after?: string[]) => ({ id, family, type: 'state' as const, severity: 'high' as const, description: 'd', docs: 'd.md', remediation: 'r', ...(after ? { after } : {}) });
const stateRule = (id: string, family: Family, focus?: FocusSpec, after?: string[]): StateRule => ({ meta: meta(id, family, after), ...(focus ? { focus } : {}), check: () => undefined });

describe('focusGroups: rules that read each other are planned together', () => {
  const p = stateRule('watch-all/producer', 'watch-all', AGENTS);
  const alone = stateRule('blast-radius/alone', 'blast-radius', { subjects: ['Deployment'] });

  it('a rule with focus and no readers is focused on its own spec', () => {
    const groups = focusGroups([p, alone]);
    expect(groups.get(alone)).toEqual({ group: [alone.focus], own: alone.focus });
    expect(groups.get(p)).toEqual({ group: [AGENTS], own: AGENTS });
  });

  it('a focused producer and consumer share one group', () => {
    const c = stateRule('canary/consumer', 'canary', { subjects: ['Deployment', 'DaemonSet'], context: ['PodDisruptionBudget'] }, ['watch-all']);
    const groups = focusGroups([p, c, alone]);
    expect(groups.get(p)!.group).toEqual([AGENTS, c.focus]);
    expect(groups.get(c)!.group).toEqual([AGENTS, c.focus]);
    expect(groups.get(c)!.own).toBe(c.focus);
  });

  it('a state rule without focus that reads a producer makes the producer judge everything', () => {
    const c = stateRule('canary/consumer', 'canary', undefined, ['watch-all/producer']);
    const groups = focusGroups([p, c, alone]);
    expect(groups.has(p)).toBe(false);
    expect(groups.has(alone)).toBe(true);
  });

  it('a consumer of a producer without focus judges everything', () => {
    const full = stateRule('watch-all/full', 'watch-all');
    const c = stateRule('canary/consumer', 'canary', AGENTS, ['watch-all']);
    expect(focusGroups([full, c]).has(c)).toBe(false);
  });

  it('change rules reading a producer leave it focused (they read findings about changed objects only)', () => {
    const c: ChangeRule = { meta: { ...meta('revert-lock/change', 'revert-lock', ['watch-all']), type: 'change' }, check: () => undefined };
    expect(focusGroups([p, c] as Rule[]).has(p)).toBe(true);
  });

  it('the shipped rules: the watch-all rules and canary/workload-strategy are planned together', () => {
    const groups = focusGroups(RULES);
    const focused = [...groups.keys()].map((r) => r.meta.id).sort();
    expect(focused).toContain('watch-all/daemonset-cluster-watch');
    expect(focused).toContain('canary/workload-strategy');
    const ws = RULES.find((r) => r.meta.id === 'canary/workload-strategy')!;
    const dcw = RULES.find((r) => r.meta.id === 'watch-all/daemonset-cluster-watch')!;
    expect(groups.get(ws)!.group).toEqual(groups.get(dcw)!.group);
  });
});

describe('incremental and full judging give the same report', () => {
  const agentFiles: Record<string, string> = {
    'clusters/canary-1/kustomization.yaml': kustomization('agent.yaml', 'rbac.yaml', 'pdb.yaml'),
    'clusters/canary-1/agent.yaml': agent('agent'),
    'clusters/canary-1/rbac.yaml': role('agent', 'configmaps'),
    'clusters/canary-1/pdb.yaml': 'apiVersion: policy/v1\nkind: PodDisruptionBudget\nmetadata: { name: agent, namespace: mon }\nspec:\n  maxUnavailable: 1\n  selector: { matchLabels: { app: agent } }\n',
    'clusters/prod-us/kustomization.yaml': kustomization('../canary-1/agent.yaml', '../canary-1/rbac.yaml'),
  };
  const both = (base: Record<string, string>, head: Record<string, string>) => {
    const run = (incremental: boolean) => {
      const { b, h, changes } = change(base, head);
      const { report } = analyze({ changes, base: b, head: h, config: config(), rules: RULES, incremental, startedAt: 0 });
      return { ...report, stats: { ...report.stats, durationMs: 0 } };
    };
    const full = run(false);
    expect(run(true)).toEqual(full);
    return full;
  };

  it('two objects of one name in one unit, the first edited and the second only touched by a comment: found either way', () => {
    // Found in review: pairing by unit and name kept the last copy only, which judged the same, so the
    // edit to the first was never seen.
    const base = { 'a/agent.yaml': agent('agent'), 'a/rbac.yaml': role('agent', 'services'), 'b/rbac.yaml': role('agent', 'services') };
    const report = both(base, { ...base, 'a/rbac.yaml': role('agent', 'pods, nodes'), 'b/rbac.yaml': `# owner: sre\n${role('agent', 'services')}` });
    expect(report.findings.map((f) => f.ruleId)).toContain('watch-all/daemonset-cluster-watch');
    const dup = { 'clusters/canary-1/agents.yaml': `${agent('agent', 'agent:1', 'other')}---\n${agent('agent', 'agent:1', 'other')}`, 'clusters/canary-1/rbac.yaml': role('agent', 'pods, nodes') };
    const second = both(dup, { ...dup, 'clusters/canary-1/agents.yaml': `${agent('agent', 'agent:1', 'agent')}---\n${agent('agent', 'agent:1', 'other')}` });
    expect(second.findings.map((f) => f.ruleId)).toContain('watch-all/daemonset-cluster-watch');
  });

  it('an object beside an Argo CD Application whose destination moves reaches other clusters: judged either way', () => {
    // Found in review: objects outside every unit reach the clusters of their file, which the release an
    // Application in that file renders adds to.
    const app = (dest: string) => `apiVersion: argoproj.io/v1alpha1\nkind: Application\nmetadata: { name: fb, namespace: argocd }\nspec:\n  project: default\n  destination: { name: ${dest}, namespace: logging }\n  source: { repoURL: https://fluent.github.io/helm-charts, chart: fluent-bit, targetRevision: 0.47.0 }\n`;
    const file = (dest: string) => ({ 'apps/agent.yaml': `${app(dest)}---\n${agent('agent')}---\n${role('agent', 'pods, nodes')}` });
    const report = both(file('canary-1'), file('prod-us'));
    expect(report.findings.filter((f) => f.ruleId === 'watch-all/daemonset-cluster-watch').map((f) => f.clusters)).toEqual([['prod-us']]);
  });

  it('an RBAC edit that makes an unchanged agent watch nodes cluster-wide: found either way', () => {
    const report = both(agentFiles, { ...agentFiles, 'clusters/canary-1/rbac.yaml': role('agent', 'pods, nodes') });
    expect(report.findings.map((f) => f.ruleId)).toContain('watch-all/daemonset-cluster-watch');
  });

  it('an image bump of that agent: the same report either way', () => {
    const watching = { ...agentFiles, 'clusters/canary-1/rbac.yaml': role('agent', 'pods, nodes') };
    both(watching, { ...watching, 'clusters/canary-1/agent.yaml': agent('agent', 'agent:2') });
  });

  it('an RBAC edit under an agent that rolls out to every node at once: workload-strategy, reading the new watch-all finding, turns high either way', () => {
    const allAtOnce = agent('agent').replace('  template:\n', '  updateStrategy: { type: RollingUpdate, rollingUpdate: { maxUnavailable: 100% } }\n  template:\n');
    const files = { ...agentFiles, 'clusters/canary-1/agent.yaml': allAtOnce };
    const report = both(files, { ...files, 'clusters/canary-1/rbac.yaml': role('agent', 'pods, nodes') });
    const strategy = report.findings.filter((f) => f.ruleId === 'canary/workload-strategy');
    expect(strategy.map((f) => [f.severity, f.clusters])).toEqual([['high', ['canary-1', 'prod-us']]]);
  });
});
