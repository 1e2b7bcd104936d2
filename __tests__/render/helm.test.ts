/**
 * Exact Helm rendering with the real helm binary (issue 10): values select what renders, values files
 * order, dependencies that would need the network, vendored subcharts (directory, .tgz, file://), and the
 * attribution of rendered changes to the values keys that caused them.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { attributeChanges, differingPaths, helmTemplate, missingDependencies, parseTemplateOutput, type HelmChartInput } from '../../src/render/helm.js';
import { createWorkspace, findTools, type RenderTool, type Workspace } from '../../src/render/tools.js';
import { ensureRenderBinaries } from '../helpers/render-binaries.js';

let helm: RenderTool;
let ws: Workspace;
let scratch: string;

beforeAll(async () => {
  const bins = await ensureRenderBinaries();
  const found = findTools({ HELM_BIN: bins.helm, PATH: '' });
  if (!found.helm) throw new Error(`helm not found: ${found.notes.join('; ')}`);
  helm = found.helm;
  ws = createWorkspace();
  scratch = mkdtempSync(join(tmpdir(), 'helm-test-'));
}, 300_000);

afterAll(() => {
  ws?.cleanup();
  if (scratch) rmSync(scratch, { recursive: true, force: true });
});

const TIMEOUT = 30_000;

const CHART_YAML = `apiVersion: v2
name: agent
version: 0.1.0
`;

const VALUES_YAML = `mode: daemonset
image:
  repository: example/agent
  tag: "1.0"
rbac:
  create: true
  clusterWide: false
tolerations: []
`;

const DAEMONSET = `{{- if eq .Values.mode "daemonset" }}
apiVersion: apps/v1
kind: DaemonSet
{{- else }}
apiVersion: apps/v1
kind: Deployment
{{- end }}
metadata:
  name: {{ .Release.Name }}-agent
  namespace: {{ .Release.Namespace }}
  annotations:
    kube-version: {{ .Capabilities.KubeVersion.Version | quote }}
spec:
  selector:
    matchLabels: {app: agent}
  template:
    metadata:
      labels: {app: agent}
    spec:
      serviceAccountName: {{ .Release.Name }}-agent
      {{- with .Values.tolerations }}
      tolerations:
        {{- toYaml . | nindent 8 }}
      {{- end }}
      containers:
        - name: agent
          image: "{{ .Values.image.repository }}:{{ .Values.image.tag }}"
          env:
            - name: WATCH_NAMESPACE
              value: {{ if .Values.rbac.clusterWide }}""{{ else }}{{ .Release.Namespace | quote }}{{ end }}
`;

const CLUSTERROLE = `{{- if .Values.rbac.create }}
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata:
  name: {{ .Release.Name }}-agent
rules:
{{- if .Values.rbac.clusterWide }}
  - apiGroups: [""]
    resources: ["pods", "nodes", "namespaces"]
    verbs: ["get", "list", "watch"]
{{- else }}
  - apiGroups: [""]
    resources: ["configmaps"]
    verbs: ["get"]
{{- end }}
{{- end }}
`;

// Random on every render: must never be attributed to a values key.
const SECRET = `apiVersion: v1
kind: Secret
metadata:
  name: {{ .Release.Name }}-token
  namespace: {{ .Release.Namespace }}
data:
  token: {{ randAlphaNum 24 | b64enc | quote }}
`;

const TEST_POD = `apiVersion: v1
kind: Pod
metadata:
  name: {{ .Release.Name }}-test
  annotations:
    helm.sh/hook: test
spec:
  containers: [{name: t, image: busybox}]
`;

const DIR = 'deploy/charts/agent';

function agentFiles(extra: Record<string, string | Uint8Array> = {}, chartYaml = CHART_YAML): Map<string, string | Uint8Array> {
  const files = new Map<string, string | Uint8Array>([
    [`${DIR}/Chart.yaml`, chartYaml],
    [`${DIR}/values.yaml`, VALUES_YAML],
    [`${DIR}/templates/daemonset.yaml`, DAEMONSET],
    [`${DIR}/templates/clusterrole.yaml`, CLUSTERROLE],
    [`${DIR}/templates/secret.yaml`, SECRET],
    [`${DIR}/templates/tests/test-pod.yaml`, TEST_POD],
  ]);
  for (const [k, v] of Object.entries(extra)) files.set(k, v);
  return files;
}

function input(over: Partial<HelmChartInput> = {}): HelmChartInput {
  return {
    chartDir: DIR,
    files: agentFiles(),
    release: { name: 'r1', namespace: 'monitoring' },
    values: [],
    ...over,
  };
}

type Docs = Array<{ doc: Record<string, unknown>; source: string }>;

async function render(i: HelmChartInput): Promise<Docs> {
  const out = await helmTemplate(helm, ws, i, TIMEOUT);
  if ('error' in out) throw new Error(out.error);
  return out.docs;
}

const kinds = (docs: Docs) => docs.map((d) => `${String(d.doc.kind)}/${String((d.doc.metadata as Record<string, unknown>).name)}`).sort();
const find = (docs: Docs, kind: string) => docs.find((d) => d.doc.kind === kind)?.doc as Record<string, any> | undefined;

/** `helm package` of a small chart, read back as bytes. */
function packageChart(name: string, templates: Record<string, string>, chartYaml?: string): Uint8Array {
  const dir = join(scratch, `src-${name}-${Math.random().toString(36).slice(2)}`);
  mkdirSync(join(dir, name, 'templates'), { recursive: true });
  writeFileSync(join(dir, name, 'Chart.yaml'), chartYaml ?? `apiVersion: v2\nname: ${name}\nversion: 1.0.0\n`);
  for (const [f, t] of Object.entries(templates)) writeFileSync(join(dir, name, 'templates', f), t);
  const home = join(dir, 'home');
  execFileSync(helm.path, ['package', join(dir, name), '-d', join(dir, 'out')], {
    env: { HOME: home, HELM_CACHE_HOME: join(home, 'c'), HELM_CONFIG_HOME: join(home, 'g'), HELM_DATA_HOME: join(home, 'd'), PATH: dirname(helm.path) },
    stdio: 'pipe',
  });
  const [tgz] = readdirSync(join(dir, 'out'));
  return new Uint8Array(readFileSync(join(dir, 'out', tgz)));
}

const LIB_SECRET = `apiVersion: v1
kind: ConfigMap
metadata:
  name: lib-{{ .Release.Name }}
data:
  from: {{ .Chart.Name }}
`;

describe('helmTemplate', () => {
  it('renders what the values select, in the release namespace, with the template each object came from', async () => {
    const docs = await render(input({ kubeVersion: 'v1.31.4' }));
    expect(kinds(docs)).toEqual(['ClusterRole/r1-agent', 'DaemonSet/r1-agent', 'Secret/r1-token']);
    const ds = find(docs, 'DaemonSet')!;
    expect(ds.metadata.namespace).toBe('monitoring');
    expect(ds.metadata.annotations['kube-version']).toBe('v1.31.4');
    expect(ds.spec.template.spec.containers[0].image).toBe('example/agent:1.0');
    expect(docs.find((d) => d.doc.kind === 'DaemonSet')!.source).toBe('agent/templates/daemonset.yaml');
    expect(docs.find((d) => d.doc.kind === 'ClusterRole')!.source).toBe('agent/templates/clusterrole.yaml');
    // Test hooks run only under `helm test`: not part of the release.
    expect(docs.some((d) => d.doc.kind === 'Pod')).toBe(false);

    const other = await render(input({ values: [{ name: 'envs/prod/values.yaml', doc: { mode: 'deployment', rbac: { create: false } } }] }));
    expect(kinds(other)).toEqual(['Deployment/r1-agent', 'Secret/r1-token']);
  });

  it('applies values files in -f order: the later one wins', async () => {
    const a = { name: 'a.yaml', doc: { image: { tag: '2.0' } } };
    const b = { name: 'b.yaml', doc: { image: { tag: '3.0' }, tolerations: [{ operator: 'Exists' }] } };
    const ab = find(await render(input({ values: [a, b] })), 'DaemonSet')!;
    expect(ab.spec.template.spec.containers[0].image).toBe('example/agent:3.0');
    expect(ab.spec.template.spec.tolerations).toEqual([{ operator: 'Exists' }]);
    const ba = find(await render(input({ values: [b, a] })), 'DaemonSet')!;
    expect(ba.spec.template.spec.containers[0].image).toBe('example/agent:2.0');
  });

  it('keeps string values strings (values are written as JSON, never re-guessed as YAML)', async () => {
    const ds = find(await render(input({ values: [{ name: 'v.yaml', doc: { image: { tag: '012' } } }] })), 'DaemonSet')!;
    expect(ds.spec.template.spec.containers[0].image).toBe('example/agent:012');
  });

  it('returns an error (never throws) for a failing template, naming repository paths instead of temp dirs', async () => {
    const files = agentFiles({ [`${DIR}/templates/boom.yaml`]: '{{ fail "values say no" }}' });
    const out = await helmTemplate(helm, ws, input({ files }), TIMEOUT);
    expect('error' in out && out.error).toMatch(/values say no/);
    expect('error' in out && out.error).not.toContain(ws.dir);
  });

  it('refuses release names, namespaces and versions that could be read as flags', async () => {
    for (const bad of [
      input({ release: { name: '--post-renderer=/bin/sh', namespace: null } }),
      input({ release: { name: 'ok', namespace: '--kubeconfig=/etc/x' } }),
      input({ kubeVersion: '1.30 --set-file=x=/etc/passwd' }),
      input({ release: { name: 'x'.repeat(54), namespace: null } }),
    ]) {
      const out = await helmTemplate(helm, ws, bad, TIMEOUT);
      expect(out).toHaveProperty('error');
    }
  });

  it('renders without a namespace (helm defaults it) and a chart at the repository root', async () => {
    const files = new Map([...agentFiles()].map(([k, v]) => [k.slice(DIR.length + 1), v]));
    const docs = await render(input({ chartDir: '', files, release: { name: 'root', namespace: null } }));
    expect(find(docs, 'DaemonSet')!.metadata.namespace).toBe('default');
  });

  it('reports a chart without Chart.yaml as an error, not a throw', async () => {
    const out = await helmTemplate(helm, ws, input({ chartDir: 'nowhere' }), TIMEOUT);
    expect(out).toHaveProperty('error');
    expect(missingDependencies(input({ chartDir: 'nowhere' }))).toEqual(['nowhere: no Chart.yaml']);
  });
});

describe('dependencies', () => {
  const withDeps = (deps: string) => `${CHART_YAML}dependencies:\n${deps}`;

  it('lists a dependency on a chart repository that is not vendored, and does not render it', async () => {
    const files = agentFiles({}, withDeps('  - name: redis\n    version: 17.0.0\n    repository: http://127.0.0.1:9/charts\n  - name: oci\n    version: 1.0.0\n    repository: oci://127.0.0.1:9/x\n'));
    const i = input({ files });
    expect(missingDependencies(i)).toEqual([
      `${DIR}: dependency redis@17.0.0 (http://127.0.0.1:9/charts) is not vendored under charts/: rendering it would need the network`,
      `${DIR}: dependency oci@1.0.0 (oci://127.0.0.1:9/x) is not vendored under charts/: rendering it would need the network`,
    ]);
    const out = await helmTemplate(helm, ws, i, TIMEOUT);
    expect('error' in out && out.error).toMatch(/not rendered offline: .*redis/);
  });

  it('accepts a vendored subchart directory, matched by its Chart.yaml name (not the directory name)', async () => {
    const files = agentFiles(
      {
        [`${DIR}/charts/whatever/Chart.yaml`]: 'apiVersion: v2\nname: lib\nversion: 1.0.0\n',
        [`${DIR}/charts/whatever/templates/cm.yaml`]: LIB_SECRET,
      },
      withDeps('  - name: lib\n    version: 1.0.0\n    repository: https://127.0.0.1:9/charts\n'),
    );
    expect(missingDependencies(input({ files }))).toEqual([]);
    const docs = await render(input({ files }));
    expect(docs.find((d) => d.doc.kind === 'ConfigMap')?.source).toBe('agent/charts/lib/templates/cm.yaml');
  });

  it('lists what a vendored subchart itself depends on and lacks (helm would silently leave it out)', () => {
    const files = agentFiles(
      {
        [`${DIR}/charts/lib/Chart.yaml`]: 'apiVersion: v2\nname: lib\nversion: 1.0.0\ndependencies:\n  - name: deep\n    version: 2.0.0\n    repository: https://127.0.0.1:9/charts\n',
        [`${DIR}/charts/lib/templates/cm.yaml`]: LIB_SECRET,
        [`${DIR}/charts/_helpers/Chart.yaml`]: 'not a chart: skipped like helm does',
      },
      withDeps('  - name: lib\n    version: 1.0.0\n    repository: https://127.0.0.1:9/charts\n'),
    );
    expect(missingDependencies(input({ files }))).toEqual([
      `${DIR}/charts/lib: dependency deep@2.0.0 (https://127.0.0.1:9/charts) is not vendored under charts/: rendering it would need the network`,
    ]);
  });

  it('renders a vendored .tgz byte-exact (bytes, or a latin1 string), and refuses one whose bytes were lost', async () => {
    const tgz = packageChart('lib', { 'cm.yaml': LIB_SECRET });
    const chartYaml = withDeps('  - name: lib\n    version: 1.0.0\n    repository: https://127.0.0.1:9/charts\n');
    for (const content of [tgz, Buffer.from(tgz).toString('latin1')]) {
      const files = agentFiles({ [`${DIR}/charts/lib-1.0.0.tgz`]: content }, chartYaml);
      expect(missingDependencies(input({ files }))).toEqual([]);
      const docs = await render(input({ files }));
      expect(find(docs, 'ConfigMap')?.data).toEqual({ from: 'lib' });
    }
    const mangled = agentFiles({ [`${DIR}/charts/lib-1.0.0.tgz`]: Buffer.from(tgz).toString('utf8') }, chartYaml);
    expect(missingDependencies(input({ files: mangled }))[0]).toBe(`${DIR}/charts/lib-1.0.0.tgz: vendored chart archive is not readable (given as text; its bytes are needed)`);
    const out = await helmTemplate(helm, ws, input({ files: mangled }), TIMEOUT);
    expect('error' in out && out.error).toMatch(/lib-1\.0\.0\.tgz: vendored chart archive is not readable \(given as text/);
  });

  it('reads the name of a vendored .tgz from inside it, and the archive`s own vendored charts', () => {
    const tgz = packageChart('lib', { 'cm.yaml': LIB_SECRET });
    const files = agentFiles({ [`${DIR}/charts/renamed.tgz`]: tgz }, withDeps('  - name: lib\n    version: 1.0.0\n    repository: https://x\n  - name: other\n    version: 1.0.0\n    repository: https://x\n'));
    expect(missingDependencies(input({ files }))).toEqual([`${DIR}: dependency other@1.0.0 (https://x) is not vendored under charts/: rendering it would need the network`]);
  });

  it('vendors file:// dependencies inside the repository as helm dependency build would, and refuses those outside', async () => {
    const chartYaml = withDeps('  - name: lib\n    version: 1.0.0\n    repository: file://../../lib\n');
    const files = agentFiles(
      {
        'deploy/lib/Chart.yaml': 'apiVersion: v2\nname: lib\nversion: 1.0.0\n',
        'deploy/lib/templates/cm.yaml': LIB_SECRET,
      },
      chartYaml,
    );
    expect(missingDependencies(input({ files }))).toEqual([]);
    const docs = await render(input({ files }));
    expect(docs.find((d) => d.doc.kind === 'ConfigMap')?.source).toBe('agent/charts/lib/templates/cm.yaml');

    // The target's files were not given: missing, so the caller can fall back (or pass them).
    expect(missingDependencies(input({ files: agentFiles({}, chartYaml) }))).toEqual([
      `${DIR}: dependency lib@1.0.0 (file://../../lib) has no Chart.yaml at deploy/lib among the files given`,
    ]);
    // Outside the repository, or absolute.
    const outside = agentFiles({}, withDeps('  - name: a\n    version: 1.0.0\n    repository: file://../../../../etc\n  - name: b\n    version: 1.0.0\n    repository: file:///etc/b\n'));
    expect(missingDependencies(input({ files: outside }))).toEqual([
      `${DIR}: dependency a@1.0.0 (file://../../../../etc) points outside the repository`,
      `${DIR}: dependency b@1.0.0 (file:///etc/b) points outside the repository`,
    ]);
  });

  it('stops at a cycle of file:// dependencies', () => {
    const files = new Map<string, string>([
      ['a/Chart.yaml', 'apiVersion: v2\nname: a\nversion: 1.0.0\ndependencies:\n  - name: b\n    version: 1.0.0\n    repository: file://../b\n'],
      ['b/Chart.yaml', 'apiVersion: v2\nname: b\nversion: 1.0.0\ndependencies:\n  - name: a\n    version: 1.0.0\n    repository: file://../a\n'],
    ]);
    expect(missingDependencies(input({ chartDir: 'a', files }))).toEqual(['b: dependency a@1.0.0 (file://../a) forms a cycle of file:// dependencies']);
  });

  it('reads apiVersion v1 requirements.yaml too', () => {
    const files = agentFiles({ [`${DIR}/requirements.yaml`]: 'dependencies:\n  - name: old\n    version: 1.0.0\n    repository: https://x\n' }, 'apiVersion: v1\nname: agent\nversion: 0.1.0\n');
    expect(missingDependencies(input({ files }))).toHaveLength(1);
  });
});

describe('attributeChanges', () => {
  const base = { rbac: { create: true, clusterWide: false }, image: { tag: '1.0' } };
  const head = { rbac: { create: true, clusterWide: true }, image: { tag: '1.1' } };

  it('maps the ClusterRole rules to rbac.clusterWide, and the image tag only to the DaemonSet image', async () => {
    const out = await attributeChanges(helm, ws, input(), base, head, { timeoutMs: TIMEOUT, maxKeys: 8 });
    if ('error' in out) throw new Error(out.error);
    expect(out.unattributed).toEqual([]);
    expect([...out.byObject.keys()].sort()).toEqual(['ClusterRole/r1-agent', 'DaemonSet/monitoring/r1-agent']);

    const role = out.byObject.get('ClusterRole/r1-agent')!;
    expect(role.map((e) => e.valuesPath)).toEqual([['rbac', 'clusterWide']]);
    expect(role[0].fieldPaths).toContainEqual(['rules', 0, 'resources']);
    expect(role[0].fieldPaths.every((f) => f[0] === 'rules')).toBe(true);

    const ds = out.byObject.get('DaemonSet/monitoring/r1-agent')!;
    expect(ds).toEqual([
      { valuesPath: ['image', 'tag'], fieldPaths: [['spec', 'template', 'spec', 'containers', 0, 'image']] },
      { valuesPath: ['rbac', 'clusterWide'], fieldPaths: [['spec', 'template', 'spec', 'containers', 0, 'env', 0, 'value']] },
    ]);
    // The random token differs on every render: noise, never attributed.
    expect(out.byObject.has('Secret/monitoring/r1-token')).toBe(false);
  });

  it('is deterministic, and bounded by maxKeys (the rest reported, in sorted order)', async () => {
    const a = await attributeChanges(helm, ws, input(), base, head, { timeoutMs: TIMEOUT, maxKeys: 8 });
    const b = await attributeChanges(helm, ws, input(), base, head, { timeoutMs: TIMEOUT, maxKeys: 8 });
    expect(a).toEqual(b);

    const one = await attributeChanges(helm, ws, input(), base, head, { timeoutMs: TIMEOUT, maxKeys: 1 });
    if ('error' in one) throw new Error(one.error);
    expect(one.unattributed).toEqual([['rbac', 'clusterWide']]);
    expect([...one.byObject.keys()]).toEqual(['DaemonSet/monitoring/r1-agent']);

    const none = await attributeChanges(helm, ws, input(), base, head, { timeoutMs: TIMEOUT, maxKeys: 0 });
    expect(none).toEqual({ byObject: new Map(), unattributed: [['image', 'tag'], ['rbac', 'clusterWide']] });
  });

  it('traces a key that head adds (set back = removed) and one that head removes', async () => {
    const out = await attributeChanges(
      helm,
      ws,
      input(),
      { mode: 'deployment' },
      { tolerations: [{ operator: 'Exists' }] },
      { timeoutMs: TIMEOUT, maxKeys: 8 },
    );
    if ('error' in out) throw new Error(out.error);
    // Removing `mode: deployment` turned the Deployment into a DaemonSet: both objects, whole.
    expect(out.byObject.get('Deployment/monitoring/r1-agent')).toEqual([{ valuesPath: ['mode'], fieldPaths: [[]] }]);
    expect(out.byObject.get('DaemonSet/monitoring/r1-agent')).toEqual([
      { valuesPath: ['mode'], fieldPaths: [[]] },
      { valuesPath: ['tolerations'], fieldPaths: [['spec', 'template', 'spec', 'tolerations']] },
    ]);
  });

  it('renders nothing when the values did not change, and reports a trial render that fails as unattributed', async () => {
    expect(await attributeChanges(helm, ws, input(), base, base, { timeoutMs: TIMEOUT, maxKeys: 8 })).toEqual({ byObject: new Map(), unattributed: [] });
    const files = agentFiles({ [`${DIR}/templates/guard.yaml`]: '{{ if eq .Values.image.tag "0.9" }}{{ fail "unsupported" }}{{ end }}' });
    const out = await attributeChanges(helm, ws, input({ files }), { image: { tag: '0.9' } }, { image: { tag: '1.1' } }, { timeoutMs: TIMEOUT, maxKeys: 8 });
    expect(out).toEqual({ byObject: new Map(), unattributed: [['image', 'tag']] });
  });

  it('returns an error when head itself does not render', async () => {
    const out = await attributeChanges(helm, ws, input({ chartDir: 'nowhere' }), base, head, { timeoutMs: TIMEOUT, maxKeys: 8 });
    expect(out).toHaveProperty('error');
  });
});

describe('parseTemplateOutput and differingPaths', () => {
  it('splits helm output into documents with their source; skips empty ones', () => {
    const out = parseTemplateOutput('---\n# Source: c/templates/a.yaml\nkind: A\n---\n# Source: c/templates/empty.yaml\n---\n# Source: c/templates/b.yaml\nkind: B\nlist:\n  - x\n');
    expect(out).toEqual({ docs: [{ doc: { kind: 'A' }, source: 'c/templates/a.yaml' }, { doc: { kind: 'B', list: ['x'] }, source: 'c/templates/b.yaml' }] });
    expect(parseTemplateOutput('---\n# Source: c/templates/bad.yaml\na: [\n')).toHaveProperty('error');
  });

  it('finds leaf paths in sorted key order; same-length lists item by item, others whole', () => {
    expect(differingPaths({ b: 1, a: { y: [1, 2], x: 's' } }, { b: 1, a: { y: [1, 3], x: 't', z: null } })).toEqual([['a', 'x'], ['a', 'y', 1], ['a', 'z']]);
    expect(differingPaths({ l: [1] }, { l: [1, 2] })).toEqual([['l']]);
    expect(differingPaths({ m: { a: 1 } }, { m: 'scalar' })).toEqual([['m']]);
    expect(differingPaths({ a: 1 }, { a: 1 })).toEqual([]);
  });
});
