/** Kustomize well enough for joins and images: namespace, name prefix / suffix, patches, images, inputs. */
import { describe, expect, it } from 'vitest';
import { defaultConfig, parseConfig } from '../../src/config.js';
import { buildFleet } from '../../src/fleet.js';
import { buildKustomization, mergePatch, resolvePath } from '../../src/kustomize.js';
import { treeFromFiles } from '../../src/tree.js';
import type { KubeObject } from '../../src/types.js';
import { changeOf } from '../helpers/rule-tester.js';
import { getIn } from '../../src/yaml/walk.js';

const tree = (files: Record<string, string>) => treeFromFiles('head', Object.entries(files).map(([path, text]) => ({ path, text })));

const BASE = {
  'base/kustomization.yaml': 'resources:\n  - ds.yaml\n  - rbac.yaml\n',
  'base/ds.yaml': `apiVersion: apps/v1
kind: DaemonSet
metadata: { name: agent, namespace: monitoring }
spec:
  template:
    spec:
      serviceAccountName: agent
      containers:
        - name: agent
          image: registry.example.com/agent:1.0
          env: [{ name: A, value: "1" }]
      volumes: [{ name: cfg, configMap: { name: agent-config } }]
`,
  'base/rbac.yaml': `apiVersion: v1
kind: ServiceAccount
metadata: { name: agent, namespace: monitoring }
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: { name: agent }
rules: [{ apiGroups: [""], resources: [pods], verbs: [list, watch] }]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: { name: agent }
roleRef: { apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: agent }
subjects: [{ kind: ServiceAccount, name: agent, namespace: monitoring }]
---
apiVersion: v1
kind: ConfigMap
metadata: { name: agent-config, namespace: monitoring }
data: { a: "1" }
`,
};

const OVERLAY = {
  ...BASE,
  'variants/prod/kustomization.yaml': `namespace: telemetry
namePrefix: prod-
resources: [../../base]
patches:
  - path: scope.yaml
images:
  - { name: registry.example.com/agent, newTag: "2.0" }
commonAnnotations: { team: sre }
`,
  'variants/prod/scope.yaml': `apiVersion: apps/v1
kind: DaemonSet
metadata:
  name: agent
  annotations: { blast-radius.dev/api-scope: node }
spec:
  template:
    spec:
      containers:
        - name: agent
          env: [{ name: NODE_NAME, valueFrom: { fieldRef: { fieldPath: spec.nodeName } } }]
`,
};

describe('buildKustomization', () => {
  const t = tree(OVERLAY);
  const { objects, files } = buildKustomization(t, 'variants/prod', 'variants/prod');
  const by = (ref: string) => objects.find((o) => o.ref === ref)!;

  it('applies namespace and name prefix, and keeps the joins a workload needs', () => {
    expect(objects.map((o) => o.ref).sort()).toEqual([
      'ClusterRole/prod-agent', 'ClusterRoleBinding/prod-agent', 'ConfigMap/telemetry/prod-agent-config',
      'DaemonSet/telemetry/prod-agent', 'ServiceAccount/telemetry/prod-agent',
    ]);
    const ds = by('DaemonSet/telemetry/prod-agent');
    expect(getIn(ds.doc, ['spec', 'template', 'spec', 'serviceAccountName'])).toBe('prod-agent');
    expect(getIn(ds.doc, ['spec', 'template', 'spec', 'volumes', 0, 'configMap', 'name'])).toBe('prod-agent-config');
    const crb = by('ClusterRoleBinding/prod-agent');
    expect(getIn(crb.doc, ['roleRef', 'name'])).toBe('prod-agent');
    expect(getIn(crb.doc, ['subjects', 0])).toEqual({ kind: 'ServiceAccount', name: 'prod-agent', namespace: 'telemetry' });
  });

  it('applies a strategic merge patch by kind and name: annotations merged, containers merged by name', () => {
    const ds = by('DaemonSet/telemetry/prod-agent');
    expect(getIn(ds.doc, ['metadata', 'annotations'])).toEqual({ 'blast-radius.dev/api-scope': 'node', team: 'sre' });
    const env = getIn(ds.doc, ['spec', 'template', 'spec', 'containers', 0, 'env']) as any[];
    expect(env.map((e) => e.name)).toEqual(['A', 'NODE_NAME']);
    expect(getIn(ds.doc, ['spec', 'template', 'spec', 'containers', 0, 'image'])).toBe('registry.example.com/agent:2.0');
  });

  it('leaves the parsed objects untouched and points derived objects at their source', () => {
    const raw = t.objects.find((o) => o.kind === 'DaemonSet')!;
    expect(raw.name).toBe('agent');
    expect(getIn(raw.doc, ['metadata', 'annotations'])).toBeUndefined();
    expect(by('DaemonSet/telemetry/prod-agent').source).toBe(raw);
  });

  it('treats the patch as an input, not an object, and records every file it read', () => {
    expect(t.files.get('variants/prod/scope.yaml')?.input).toBe('variants/prod/kustomization.yaml');
    expect(t.objects.filter((o) => o.kind === 'DaemonSet')).toHaveLength(1);
    expect([...files].sort()).toEqual(['base/ds.yaml', 'base/kustomization.yaml', 'base/rbac.yaml', 'variants/prod/kustomization.yaml', 'variants/prod/scope.yaml']);
  });

  it('applies JSON 6902 patches with a target, and $patch: delete', () => {
    const t2 = tree({
      ...BASE,
      'o/kustomization.yaml': `resources: [../base]
patches:
  - target: { kind: DaemonSet, name: "ag.*" }
    patch: |-
      - op: add
        path: /metadata/labels
        value: { tier: node }
      - op: replace
        path: /spec/template/spec/containers/0/image
        value: other:3
  - patch: |-
      apiVersion: v1
      kind: ConfigMap
      metadata: { name: agent-config, namespace: monitoring }
      $patch: delete
`,
    });
    const r = buildKustomization(t2, 'o', 'o');
    const ds = r.objects.find((o) => o.kind === 'DaemonSet')!;
    expect(getIn(ds.doc, ['metadata', 'labels'])).toEqual({ tier: 'node' });
    expect(getIn(ds.doc, ['spec', 'template', 'spec', 'containers', 0, 'image'])).toBe('other:3');
    expect(r.objects.some((o) => o.kind === 'ConfigMap')).toBe(false);
  });

  it('applies a component\'s patches to everything the including kustomization gathered', () => {
    const t4 = tree({
      ...BASE,
      'app/kustomization.yaml': 'resources: [../base]\ncomponents: [../comp]\n',
      'comp/kustomization.yaml': `apiVersion: kustomize.config.k8s.io/v1alpha1
kind: Component
patches:
  - target: { kind: DaemonSet, labelSelector: "tier in (node,edge),!skip" }
    patch: |-
      - op: add
        path: /spec/updateStrategy
        value: { rollingUpdate: { maxUnavailable: "100%" } }
`,
      'base/ds.yaml': BASE['base/ds.yaml'].replace('metadata: { name: agent, namespace: monitoring }', 'metadata: { name: agent, namespace: monitoring, labels: { tier: edge } }'),
    });
    const ds = buildKustomization(t4, 'app', 'app').objects.find((o) => o.kind === 'DaemonSet')!;
    expect(getIn(ds.doc, ['spec', 'updateStrategy', 'rollingUpdate', 'maxUnavailable'])).toBe('100%');
  });

  it('puts `labels` into pod templates only with includeTemplates / includeSelectors; commonLabels always', () => {
    const build = (extra: string) => {
      const files = { ...BASE, 'o/kustomization.yaml': `resources: [../base]\n${extra}` };
      const ds = buildKustomization(tree(files), 'o', 'o').objects.find((o) => o.kind === 'DaemonSet')!;
      return { meta: getIn(ds.doc, ['metadata', 'labels']), template: getIn(ds.doc, ['spec', 'template', 'metadata']) };
    };
    // The default: metadata only, and the template is left exactly as written (no metadata added).
    expect(build('labels:\n  - pairs: { team: platform }\n')).toEqual({ meta: { team: 'platform' }, template: undefined });
    expect(build('labels:\n  - pairs: { team: platform }\n    includeTemplates: true\n').template).toEqual({ labels: { team: 'platform' } });
    expect(build('labels:\n  - pairs: { team: platform }\n    includeSelectors: true\n').template).toEqual({ labels: { team: 'platform' } });
    expect(build('commonLabels: { team: platform }\n').template).toEqual({ labels: { team: 'platform' } });
  });

  it('sets `replicas` on workloads by their built or source name, the last entry for a name winning', () => {
    const deploy = (name: string, kind = 'Deployment') => `apiVersion: apps/v1\nkind: ${kind}\nmetadata: { name: ${name} }\nspec:\n  replicas: 1\n`;
    const t = tree({
      'base/kustomization.yaml': 'resources: [web.yaml, api.yaml, db.yaml, pdb.yaml]\n',
      'base/web.yaml': deploy('web'),
      'base/api.yaml': deploy('api'),
      'base/db.yaml': deploy('db', 'StatefulSet'),
      'base/pdb.yaml': 'apiVersion: policy/v1\nkind: PodDisruptionBudget\nmetadata: { name: web }\nspec:\n  replicas: 1\n',
      'o/kustomization.yaml': 'resources: [../base]\nnamePrefix: p-\nreplicas:\n  - { name: web, count: 3 }\n  - { name: p-api, count: 4 }\n  - { name: db, count: 2 }\n  - { name: db, count: 6 }\n  - { name: none, count: 9 }\n  - { name: web, count: bad }\n',
    });
    const replicas = Object.fromEntries(buildKustomization(t, 'o', 'o').objects.map((o) => [`${o.kind}/${o.name}`, getIn(o.doc, ['spec', 'replicas'])]));
    expect(replicas).toEqual({ 'Deployment/p-web': 3, 'Deployment/p-api': 4, 'StatefulSet/p-db': 6, 'PodDisruptionBudget/p-web': 1 });
  });

  it('shares a base between overlays of one tree: one that transforms it works on copies, one that only gathers it changes nothing', () => {
    const t = tree({
      ...BASE,
      'mid/kustomization.yaml': 'resources: [../base]\n',
      'patched/kustomization.yaml': 'resources: [../mid]\nnamespace: edge\nimages:\n  - { name: agent, newTag: "2" }\n',
      'plain/kustomization.yaml': 'resources: [../mid]\n',
      'comp/kustomization.yaml': 'apiVersion: kustomize.config.k8s.io/v1alpha1\nkind: Component\ncommonLabels: { via: comp }\n',
      'with-comp/kustomization.yaml': 'resources: [../mid]\ncomponents: [../comp]\n',
    });
    const ds = (dir: string) => buildKustomization(t, dir, dir).objects.find((o) => o.kind === 'DaemonSet')!;
    const patched = ds('patched');
    const withComp = ds('with-comp');
    const plain = ds('plain');
    // Every file read, however deep the sub-build that read it, is the unit's (built after `mid` was cached).
    expect([...buildKustomization(t, 'plain', 'plain').files].sort()).toEqual(['base/ds.yaml', 'base/kustomization.yaml', 'base/rbac.yaml', 'mid/kustomization.yaml', 'plain/kustomization.yaml']);
    expect(patched.namespace).toBe('edge');
    expect(getIn(withComp.doc, ['metadata', 'labels'])).toEqual({ via: 'comp' });
    // Built after both: the shared base is as parsed, the very document of its source.
    expect(plain.namespace).toBe('monitoring');
    expect(plain.doc).toBe(plain.source!.doc);
    expect(getIn(plain.doc, ['metadata', 'labels'])).toBeUndefined();
    expect(getIn(ds('patched').doc, ['metadata', 'labels'])).toBeUndefined();
  });

  it('keeps what a kustomization gathered when a component cannot be applied (no kustomization file, a cycle)', () => {
    const names = (dir: string, files: Record<string, string>) => {
      const r = buildKustomization(tree({ ...BASE, ...files }), dir, dir);
      return { refs: r.objects.map((o) => o.ref).sort(), notes: r.notes.join('\n') };
    };
    const plainDir = names('o', { 'o/kustomization.yaml': 'resources: [../base/ds.yaml]\ncomponents: [../comp]\n', 'comp/cm.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata: { name: x }\n' });
    expect(plainDir.refs).toEqual(['DaemonSet/monitoring/agent']);
    expect(plainDir.notes).toMatch(/comp: component has no kustomization file; not applied/);
    const cycle = names('o', {
      'o/kustomization.yaml': 'resources: [../base/ds.yaml]\ncomponents: [../comp]\n',
      'comp/kustomization.yaml': 'apiVersion: kustomize.config.k8s.io/v1alpha1\nkind: Component\ncomponents: [../comp]\ncommonLabels: { via: comp }\n',
    });
    expect(cycle.refs).toEqual(['DaemonSet/monitoring/agent']);
    expect(cycle.notes).toMatch(/cycle/);
    const notMap = names('o', { 'o/kustomization.yaml': 'resources: [../base/ds.yaml]\ncomponents: [../comp]\n', 'comp/kustomization.yaml': '- not\n- a map\n' });
    expect(notMap.refs).toEqual(['DaemonSet/monitoring/agent']);
    expect(notMap.notes).toMatch(/comp\/kustomization.yaml: component kustomization could not be read as a mapping; not applied/);
  });

  it('notes remote bases and cycles instead of failing', () => {
    const t3 = tree({ 'a/kustomization.yaml': 'resources: [../b, "https://github.com/x/y//base?ref=v1"]\n', 'b/kustomization.yaml': 'resources: [../a]\n' });
    const r = buildKustomization(t3, 'a', 'a');
    expect(r.notes.join('\n')).toMatch(/remote or out-of-repository resource/);
    expect(r.notes.join('\n')).toMatch(/cycle/);
  });
});

describe('mergePatch and paths', () => {
  it('merges maps, deletes null keys, merges named lists and replaces other lists', () => {
    expect(mergePatch({ a: 1, b: { c: 2 }, l: [1, 2] }, { a: null, b: { d: 3 }, l: [3] })).toEqual({ b: { c: 2, d: 3 }, l: [3] });
    expect(mergePatch({ containers: [{ name: 'a', image: 'x' }, { name: 'b' }] }, { containers: [{ name: 'a', image: 'y' }, { name: 'b', $patch: 'delete' }] })).toEqual({ containers: [{ name: 'a', image: 'y' }] });
  });
  it('resolves relative paths and refuses ones that leave the repository', () => {
    expect(resolvePath('clusters/prod', '../../base')).toBe('base');
    expect(resolvePath('clusters/prod', './')).toBe('clusters/prod');
    expect(resolvePath('a', '../../x')).toBeUndefined();
    expect(resolvePath('a', 'github.com/org/repo//x')).toBeUndefined();
  });
});

describe('units in the fleet map', () => {
  const files = {
    ...OVERLAY,
    'clusters/prod-us/kustomization.yaml': 'resources: [../../variants/prod]\n',
    'clusters/canary-1/kustomization.yaml': 'resources: [../../base]\n',
  };
  it('gives each cluster its own copy of a shared object, with the unit and clusters of its overlay', () => {
    const t = tree(files);
    const { fleet, head } = buildFleet(defaultConfig(), t, t);
    const ds = head.objects.filter((o) => o.kind === 'DaemonSet');
    expect(ds.map((o) => [o.unit, o.ref, fleet.clustersOfObject(o).join()])).toEqual([
      ['clusters/canary-1', 'DaemonSet/monitoring/agent', 'canary-1'],
      ['clusters/prod-us', 'DaemonSet/telemetry/prod-agent', 'prod-us'],
    ]);
    expect(fleet.clustersOfFile('base/ds.yaml')).toEqual(['canary-1', 'prod-us']);
    expect(fleet.clustersOfFile('variants/prod/scope.yaml')).toEqual(['prod-us']);
  });

  it('keeps every object of a repository without units in unit "."', () => {
    const t = tree({ 'a.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata: { name: a }\n' });
    const { fleet, head } = buildFleet(defaultConfig(), t, t);
    expect(head.objects.map((o) => o.unit)).toEqual(['.']);
    expect(fleet.clustersOfObject(head.objects[0])).toEqual(['unmapped']);
  });

  it('does not duplicate a shared base that every cluster\'s globs also name', () => {
    const r = parseConfig('fleet:\n  clusters:\n    - { name: canary-1, paths: ["clusters/canary-1/**", "base/**"] }\n    - { name: prod-us, paths: ["clusters/prod-us/**", "base/**"] }\n', []);
    if (!r.ok) throw new Error('config');
    const t = tree({ ...files, 'clusters/prod-us/kustomization.yaml': 'namespace: tel\nresources: [../../base]\n' });
    const { head } = buildFleet(r.config, t, t);
    expect(head.objects.filter((o) => o.kind === 'DaemonSet').map((o) => `${o.unit} ${o.ref}`)).toEqual(['clusters/canary-1 DaemonSet/monitoring/agent', 'clusters/prod-us DaemonSet/tel/agent']);
  });

  it('does not duplicate a shared base that a config glob also names', () => {
    const r = parseConfig('fleet:\n  clusters:\n    - { name: canary-1, paths: ["clusters/canary-1/**", "base/**"] }\n', []);
    if (!r.ok) throw new Error('config');
    const t = tree(files);
    const { head } = buildFleet(r.config, t, t);
    expect(head.objects.filter((o) => o.kind === 'DaemonSet').map((o) => o.unit)).toEqual(['clusters/canary-1']);
  });
});

describe('builds shared by the two sides of a change', () => {
  const team = (name: string, image = 'app:1') => ({
    [`apps/${name}/kustomization.yaml`]: 'resources:\n  - deploy.yaml\n',
    [`apps/${name}/deploy.yaml`]: `apiVersion: apps/v1\nkind: Deployment\nmetadata: { name: ${name}, namespace: ${name} }\nspec:\n  replicas: 2\n  template:\n    spec:\n      containers: [{ name: app, image: ${image} }]\n`,
  });
  const cluster = (name: string) => ({
    [`clusters/${name}/kustomization.yaml`]: `resources:\n  - ../../base\n  - teams/web\npatches:\n  - path: patch.yaml\n`,
    [`clusters/${name}/teams/web/kustomization.yaml`]: 'resources:\n  - ../../../../apps/web\nreplicas:\n  - { name: web, count: 5 }\n',
    [`clusters/${name}/patch.yaml`]: 'apiVersion: apps/v1\nkind: DaemonSet\nmetadata: { name: agent, namespace: monitoring }\nspec:\n  template:\n    spec:\n      tolerations: [{ operator: Exists }]\n',
  });
  const FILES: Record<string, string> = { ...BASE, ...team('web'), ...cluster('prod-us'), ...cluster('prod-eu') };
  const CONFIG = 'fleet:\n  clusters:\n    - { name: prod-us, paths: ["clusters/prod-us/**"] }\n    - { name: prod-eu, paths: ["clusters/prod-eu/**"] }\n';

  function sides(base: Record<string, string>, head: Record<string, string>) {
    const c = changeOf(base, head);
    const r = parseConfig(CONFIG, []);
    if (!r.ok) throw new Error('config');
    return buildFleet(r.config, c.base, c.head, c.changes);
  }
  const find = (objects: readonly KubeObject[], kind: string, name: string, unit: string) => objects.find((o) => o.kind === kind && o.name === name && o.unit === unit);

  it('an untouched team overlay is built once: both sides hold the very same patched object', () => {
    const r = sides(FILES, { ...FILES, 'base/ds.yaml': BASE['base/ds.yaml'].replace('agent:1.0', 'agent:1.1') });
    const [b, h] = [find(r.base.objects, 'Deployment', 'web', 'clusters/prod-us'), find(r.head.objects, 'Deployment', 'web', 'clusters/prod-us')];
    expect(getIn(h!.doc, ['spec', 'replicas'])).toBe(5);
    expect(h).toBe(b);
    // The changed base is built on each side: the agent differs.
    const [bd, hd] = [find(r.base.objects, 'DaemonSet', 'agent', 'clusters/prod-us'), find(r.head.objects, 'DaemonSet', 'agent', 'clusters/prod-us')];
    expect(getIn(hd!.doc, ['spec', 'template', 'spec', 'containers', 0, 'image'])).toBe('registry.example.com/agent:1.1');
    expect(getIn(bd!.doc, ['spec', 'template', 'spec', 'containers', 0, 'image'])).toBe('registry.example.com/agent:1.0');
  });

  it('a change to a file a build read, or under a directory it looked in, is built again on each side', () => {
    const edited = sides(FILES, { ...FILES, ...team('web', 'app:2') });
    expect(getIn(find(edited.head.objects, 'Deployment', 'web', 'clusters/prod-us')!.doc, ['spec', 'template', 'spec', 'containers', 0, 'image'])).toBe('app:2');
    expect(getIn(find(edited.base.objects, 'Deployment', 'web', 'clusters/prod-us')!.doc, ['spec', 'template', 'spec', 'containers', 0, 'image'])).toBe('app:1');
    // A file added to a plain directory a build listed.
    const plain = { ...FILES, 'clusters/prod-us/teams/web/kustomization.yaml': 'resources:\n  - ../../../../apps/web/deploy.yaml\n  - extra\n', 'clusters/prod-us/teams/web/extra/a.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata: { name: a, namespace: web }\n' };
    const added = sides(plain, { ...plain, 'clusters/prod-us/teams/web/extra/b.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata: { name: b, namespace: web }\n' });
    expect(find(added.head.objects, 'ConfigMap', 'b', 'clusters/prod-us')).toBeDefined();
    expect(find(added.base.objects, 'ConfigMap', 'b', 'clusters/prod-us')).toBeUndefined();
    // A resource that did not exist on the base and does on the head.
    const missing = { ...FILES, 'clusters/prod-eu/teams/web/kustomization.yaml': 'resources:\n  - ../../../../apps/web\n  - later.yaml\n' };
    const appeared = sides(missing, { ...missing, 'clusters/prod-eu/teams/web/later.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata: { name: later, namespace: web }\n' });
    expect(find(appeared.head.objects, 'ConfigMap', 'later', 'clusters/prod-eu')).toBeDefined();
    expect(find(appeared.base.objects, 'ConfigMap', 'later', 'clusters/prod-eu')).toBeUndefined();
  });

  it('without a change set nothing is reused: each side is built from its own tree', () => {
    const deploy = (name: string) => `apiVersion: apps/v1\nkind: Deployment\nmetadata: { name: ${name}, namespace: web }\n`;
    const base = { 'clusters/prod-us/kustomization.yaml': 'resources: [a.yaml, ../../lib/x]\n', 'clusters/prod-us/a.yaml': deploy('a'), 'lib/x/kustomization.yaml': 'resources: [b.yaml]\n', 'lib/x/b.yaml': deploy('b') };
    const head = { ...base, 'lib/x/kustomization.yaml': 'resources: []\n' };
    const r = parseConfig(CONFIG, []);
    if (!r.ok) throw new Error('config');
    const c = changeOf(base, head);
    const f = buildFleet(r.config, c.base, c.head);
    expect(f.base.objects.map((o) => `${o.unit} ${o.name}`)).toEqual(['clusters/prod-us a', 'clusters/prod-us b']);
    expect(f.head.objects.map((o) => `${o.unit} ${o.name}`)).toEqual(['clusters/prod-us a', '. b']);
  });

  it('a file added to or deleted from a plain directory outside the unit root that the unit lists is seen (the unit is not reused)', () => {
    const plain = { ...FILES, 'clusters/prod-us/kustomization.yaml': 'resources:\n  - ../../base\n  - ../../shared/plain\n', 'shared/plain/a.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata: { name: a, namespace: web }\n' };
    const withB = { ...plain, 'shared/plain/b.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata: { name: b, namespace: web }\n' };
    const added = sides(plain, withB);
    expect(find(added.head.objects, 'ConfigMap', 'b', 'clusters/prod-us')).toBeDefined();
    expect(find(added.base.objects, 'ConfigMap', 'b', 'clusters/prod-us')).toBeUndefined();
    // Found in review: the head (built first) no longer reads the deleted file, so its build looked reusable.
    const deleted = sides(withB, plain);
    expect(find(deleted.base.objects, 'ConfigMap', 'b', 'clusters/prod-us')).toBeDefined();
    expect(find(deleted.head.objects, 'ConfigMap', 'b', 'clusters/prod-us')).toBeUndefined();
  });

  it('an unchanged file read as a resource on one side and as a patch on the other is built on each side', () => {
    // The head's prod-eu overlay starts using apps/web/deploy.yaml as a patch: prod-us's team overlay,
    // untouched, lists it as a resource on both sides, but the head reads it as an input.
    const head = { ...FILES, 'clusters/prod-eu/kustomization.yaml': `resources:\n  - ../../base\npatches:\n  - path: ../../apps/web/deploy.yaml\n` };
    const r = sides(FILES, head);
    expect(find(r.base.objects, 'Deployment', 'web', 'clusters/prod-us')).toBeDefined();
    expect(find(r.head.objects, 'Deployment', 'web', 'clusters/prod-us')).toBeUndefined();
  });
});
