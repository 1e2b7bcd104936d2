/**
 * Exact rendering end to end (issue 10): the built CLI, real git repositories, and the real helm and
 * kubectl binaries (fetched once by __tests__/helpers/render-binaries.ts; a missing binary fails the
 * suite). A team's own chart rendered per environment, findings mapped to the values line; an overlay patch
 * rendered by kustomize for one cluster only; and nothing reaching the network.
 */
import { createServer, type Server } from 'node:http';
import { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cleanupAll, prRepo, runCli } from '../helpers/git-fixture.js';
import { ensureRenderBinaries } from '../helpers/render-binaries.js';

afterAll(cleanupAll);

let bins: { helm: string; kubectl: string };
beforeAll(async () => {
  bins = await ensureRenderBinaries();
}, 300_000);

const FLEET = `fleet:
  clusters:
    - { name: staging, nodes: 60, stage: staging, paths: ["clusters/staging/**"] }
    - { name: prod-us, nodes: 4800, stage: prod, paths: ["clusters/prod-us/**"] }
    - { name: prod-eu, nodes: 3200, stage: prod, paths: ["clusters/prod-eu/**"] }
rollout:
  stages: [staging, prod]
`;

function check(dir: string, env: Record<string, string> = {}) {
  const r = runCli(['check', '--repo', dir, '--base', 'main', '--head', 'pr', '--format', 'json'], { env: { HELM_BIN: bins.helm, KUBECTL_BIN: bins.kubectl, ...env } });
  if (r.code > 1) throw new Error(r.stderr);
  return JSON.parse(r.stdout) as { findings: Array<{ ruleId: string; severity: string; file: string; line: number; clusters: string[]; resource: string; message: string }>; notes: string[] };
}

const lineWith = (text: string, needle: string) => text.split('\n').findIndex((l) => l.includes(needle)) + 1;

/** A team's own node agent chart (no built-in knowledge of it): whether it reads pods cluster-wide is a values switch. */
const CHART = {
  'charts/node-agent/Chart.yaml': 'apiVersion: v2\nname: node-agent\nversion: 1.2.0\n',
  'charts/node-agent/templates/_helpers.tpl': '{{- define "node-agent.name" -}}{{ .Release.Name }}-node-agent{{- end -}}\n',
  'charts/node-agent/templates/daemonset.yaml': `apiVersion: apps/v1
kind: DaemonSet
metadata:
  name: {{ include "node-agent.name" . }}
  namespace: {{ .Release.Namespace }}
spec:
  selector:
    matchLabels: { app: node-agent }
  template:
    metadata:
      labels: { app: node-agent }
    spec:
      serviceAccountName: {{ include "node-agent.name" . }}
      containers:
        - name: agent
          image: "{{ .Values.image.repository }}:{{ .Values.image.tag }}"
`,
  'charts/node-agent/templates/rbac.yaml': `apiVersion: v1
kind: ServiceAccount
metadata:
  name: {{ include "node-agent.name" . }}
  namespace: {{ .Release.Namespace }}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata:
  name: {{ include "node-agent.name" . }}
rules:
{{- if .Values.rbac.clusterWide }}
  - apiGroups: [""]
    resources: [pods, nodes]
    verbs: [get, list, watch]
{{- else }}
  - apiGroups: [""]
    resources: [nodes/proxy]
    verbs: [get]
{{- end }}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata:
  name: {{ include "node-agent.name" . }}
roleRef: { apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: {{ include "node-agent.name" . }} }
subjects:
  - kind: ServiceAccount
    name: {{ include "node-agent.name" . }}
    namespace: {{ .Release.Namespace }}
`,
};

const VALUES = (clusterWide: boolean, tag = '1.4.0') => `image:
  repository: registry.example.com/node-agent
  tag: ${tag}
rbac:
  clusterWide: ${clusterWide}
`;

describe('helm template of a chart in the repository', () => {
  const base = {
    '.blast-radius.yml': FLEET,
    ...CHART,
    'charts/node-agent/values.yaml': VALUES(false),
    'charts/node-agent/values-staging.yaml': 'image:\n  tag: 1.4.1\n',
    'charts/node-agent/values-prod.yaml': 'image:\n  tag: 1.4.0\n',
  };

  it('finds a values change that makes the rendered DaemonSet watch cluster-wide, on the values line, in every environment', () => {
    const head = VALUES(true);
    const report = check(prRepo(base, { 'charts/node-agent/values.yaml': head }).dir);
    const found = report.findings.filter((f) => f.ruleId === 'watch-all/daemonset-cluster-watch');
    expect(found.map((f) => `${f.severity} ${f.file}:${f.line} [${f.clusters.join(',')}]`)).toEqual([`high charts/node-agent/values.yaml:${lineWith(head, 'clusterWide')} [prod-eu,prod-us,staging]`]);
    expect(report.notes.some((n) => n.startsWith('rendered with the real tools'))).toBe(true);
  });

  it('maps one environment\'s values file to that environment\'s clusters only', () => {
    const prod = 'image:\n  tag: 1.4.0\nrbac:\n  clusterWide: true\n';
    const report = check(prRepo(base, { 'charts/node-agent/values-prod.yaml': prod }).dir);
    const found = report.findings.filter((f) => f.ruleId === 'watch-all/daemonset-cluster-watch');
    expect(found.map((f) => `${f.file}:${f.line} [${f.clusters.join(',')}]`)).toEqual([`charts/node-agent/values-prod.yaml:${lineWith(prod, 'clusterWide')} [prod-eu,prod-us]`]);
  });

  it('stays quiet on an image tag bump', () => {
    const report = check(prRepo(base, { 'charts/node-agent/values-prod.yaml': 'image:\n  tag: 1.4.2\n' }).dir);
    expect(report.findings.filter((f) => f.ruleId.startsWith('watch-all/'))).toEqual([]);
  });

  it('falls back to the static reading, with a note, when no helm binary is found', () => {
    const report = check(prRepo(base, { 'charts/node-agent/values.yaml': VALUES(true) }).dir, { HELM_BIN: '/nonexistent/helm', PATH: '/usr/bin:/bin' });
    expect(report.notes.some((n) => n.includes('not rendered with helm'))).toBe(true);
    expect(report.findings.filter((f) => f.ruleId.startsWith('watch-all/'))).toEqual([]);
  });
});

describe('kustomize build of the overlays a change touches', () => {
  const DS = `apiVersion: apps/v1
kind: DaemonSet
metadata: { name: log-agent, namespace: logging }
spec:
  selector: { matchLabels: { app: log-agent } }
  template:
    metadata: { labels: { app: log-agent } }
    spec:
      containers:
        - name: agent
          image: registry.example.com/log-agent:2.0.0
`;
  const k = (...r: string[]) => `apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n${r.map((x) => `  - ${x}`).join('\n')}\n`;
  const base = {
    '.blast-radius.yml': FLEET,
    'base/log-agent/daemonset.yaml': DS,
    'base/log-agent/kustomization.yaml': k('daemonset.yaml'),
    'clusters/staging/kustomization.yaml': k('../../base/log-agent'),
    'clusters/prod-us/kustomization.yaml': k('../../base/log-agent'),
    'clusters/prod-eu/kustomization.yaml': k('../../base/log-agent'),
  };

  it('shows an overlay patch that makes the DaemonSet tolerate every taint in that cluster only', () => {
    const patch = `apiVersion: apps/v1
kind: DaemonSet
metadata: { name: log-agent, namespace: logging }
spec:
  template:
    spec:
      tolerations:
        - operator: Exists
`;
    const report = check(
      prRepo(base, {
        'clusters/prod-us/tolerate-all.yaml': patch,
        'clusters/prod-us/kustomization.yaml': `${k('../../base/log-agent')}patches:\n  - path: tolerate-all.yaml\n`,
      }).dir,
    );
    const found = report.findings.filter((f) => f.ruleId === 'blast-radius/tolerate-all-daemonset');
    expect(found.map((f) => `${f.resource} [${f.clusters.join(',')}]`)).toEqual(['DaemonSet/logging/log-agent [prod-us]']);
    expect(report.notes.some((n) => n.includes('overlay clusters/prod-us'))).toBe(true);
  });

  it('builds a large overlay statically when its features are exact: kustomize would take seconds (its time grows with the square of the objects)', () => {
    const many = Array.from({ length: 600 }, (_, i) => `apiVersion: v1\nkind: ConfigMap\nmetadata: { name: settings-${i}, namespace: logging }\ndata: { k: "${i}" }\n`).join('---\n');
    const big = { ...base, 'clusters/staging/settings.yaml': many, 'clusters/staging/kustomization.yaml': k('../../base/log-agent', 'settings.yaml') };
    const patch = 'apiVersion: apps/v1\nkind: DaemonSet\nmetadata: { name: log-agent, namespace: logging }\nspec:\n  template:\n    spec:\n      tolerations:\n        - operator: Exists\n';
    const started = Date.now();
    const report = check(prRepo(big, { 'clusters/staging/tolerate-all.yaml': patch, 'clusters/staging/kustomization.yaml': `${k('../../base/log-agent', 'settings.yaml')}patches:\n  - path: tolerate-all.yaml\n` }).dir);
    expect(report.notes).toContain('overlay clusters/staging (601 objects) built statically, not rendered: over 500 objects (kustomize\'s build time grows with the square of the objects), and only kustomize features the static build applies exactly');
    expect(report.notes.some((n) => n.startsWith('rendered with the real tools'))).toBe(false);
    // The static build applies the patch exactly: the finding is the one rendering would give.
    expect(report.findings.filter((f) => f.ruleId === 'blast-radius/tolerate-all-daemonset').map((f) => `${f.resource} [${f.clusters.join(',')}]`)).toEqual(['DaemonSet/logging/log-agent [staging]']);
    expect(Date.now() - started).toBeLessThan(20_000);
  });

  it('builds an overlay past what kustomize builds within the time limit statically, naming the fields the static build approximates', () => {
    const many = Array.from({ length: 4_000 }, (_, i) => `apiVersion: v1\nkind: ConfigMap\nmetadata: { name: s-${i}, namespace: logging }\n`).join('---\n');
    const kz = `${k('../../base/log-agent', 'settings.yaml')}replacements: []\n`;
    const big = { ...base, 'clusters/staging/settings.yaml': many, 'clusters/staging/kustomization.yaml': kz };
    const report = check(prRepo(big, { 'clusters/staging/kustomization.yaml': `${kz}commonAnnotations: { team: logs }\n` }).dir);
    expect(report.notes).toContain('overlay clusters/staging (4001 objects) built statically, not rendered: over the 4000 objects kustomize can build within 30 s (the static build approximates replacements)');
    expect(report.notes.some((n) => n.startsWith('rendered with the real tools'))).toBe(false);
  });
});

describe('rendering never reaches the network', () => {
  let server: Server;
  let hits: string[];
  let port: number;
  beforeAll(async () => {
    hits = [];
    server = createServer((req, res) => {
      hits.push(`${req.method} ${req.url}`);
      res.writeHead(404).end();
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    port = (server.address() as AddressInfo).port;
  });
  afterAll(() => new Promise<void>((r) => server.close(() => r())));

  it('does not fetch a chart dependency from a repository, and says the release was read statically', () => {
    const base = {
      '.blast-radius.yml': FLEET,
      ...CHART,
      'charts/node-agent/Chart.yaml': `apiVersion: v2\nname: node-agent\nversion: 1.2.0\ndependencies:\n  - name: common\n    version: 1.0.0\n    repository: http://127.0.0.1:${port}/charts\n`,
      'charts/node-agent/values.yaml': VALUES(false),
    };
    const report = check(prRepo(base, { 'charts/node-agent/values.yaml': VALUES(true) }).dir);
    expect(hits).toEqual([]);
    expect(report.notes.some((n) => n.includes('not vendored'))).toBe(true);
  });

  it('does not build an overlay with a remote resource', () => {
    const base = {
      '.blast-radius.yml': FLEET,
      'clusters/prod-us/kustomization.yaml': `apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n  - http://127.0.0.1:${port}/agent.yaml\n  - local.yaml\n`,
      'clusters/prod-us/local.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata: { name: a, namespace: x }\ndata: { k: v }\n',
    };
    const report = check(prRepo(base, { 'clusters/prod-us/local.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata: { name: a, namespace: x }\ndata: { k: w }\n' }).dir);
    expect(hits).toEqual([]);
    expect(report.notes.some((n) => n.includes('remote resources'))).toBe(true);
  });
});

describe('rendering keeps the static semantics where they were right (review)', () => {
  const k = (body: string) => `apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\n${body}`;
  const FB_DS = `apiVersion: apps/v1
kind: DaemonSet
metadata: { name: fluent-bit, namespace: logging }
spec:
  selector: { matchLabels: { app: fluent-bit } }
  template:
    metadata: { labels: { app: fluent-bit } }
    spec:
      containers:
        - name: fluent-bit
          image: cr.fluentbit.io/fluent/fluent-bit:3.2.0
          volumeMounts: [{ name: config, mountPath: /fluent-bit/etc/ }]
      volumes:
        - name: config
          configMap: { name: fluent-bit-config }
`;
  const conf = (flush: number) => `[SERVICE]\n    Flush ${flush}\n[INPUT]\n    Name kubernetes_events\n    Tag k8s_events\n`;
  const base = {
    '.blast-radius.yml': FLEET,
    'base/fb/daemonset.yaml': FB_DS,
    'base/fb/fluent-bit.conf': conf(1),
    'base/fb/kustomization.yaml': k('resources: [daemonset.yaml]\nconfigMapGenerator:\n  - { name: fluent-bit-config, namespace: logging, files: [fluent-bit.conf] }\n'),
    'clusters/prod-us/kustomization.yaml': k('resources: [../../base/fb]\n'),
  };

  it('does not report a finding the base already had when a generator input changes (kustomize\'s hashed names)', () => {
    const report = check(prRepo(base, { 'base/fb/fluent-bit.conf': conf(5) }).dir);
    expect(report.notes.some((n) => n.startsWith('rendered with the real tools'))).toBe(true);
    expect(report.findings.filter((f) => f.ruleId.startsWith('watch-all/'))).toEqual([]);
  });

  it('refuses to render an overlay that climbs out of the repository', () => {
    const report = check(prRepo(base, { 'clusters/prod-us/kustomization.yaml': k('resources: [../../base/fb, ../../../../../../../../../../etc/outside]\n') }).dir);
    expect(report.notes.some((n) => n.includes('paths outside the repository'))).toBe(true);
    expect(report.notes.some((n) => n.startsWith('rendered with the real tools'))).toBe(false);
  });

  it('renders an overlay whose secretGenerator reads an env file in a subdirectory', () => {
    const head = { 'clusters/prod-us/kustomization.yaml': k('resources: [../../base/fb]\nsecretGenerator:\n  - { name: creds, namespace: logging, envs: [secrets/creds.env] }\n'), 'clusters/prod-us/secrets/creds.env': 'TOKEN=abc\n' };
    const report = check(prRepo(base, head).dir);
    expect(report.notes.filter((n) => n.includes('could not be rendered'))).toEqual([]);
    expect(report.notes.some((n) => n.startsWith('rendered with the real tools') && n.includes('clusters/prod-us'))).toBe(true);
  });

  it('traces a finding about RBAC to the values key that changed the grants, not another key of the same change', () => {
    const chart = { ...CHART, 'charts/node-agent/templates/cm.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata: { name: agent-settings, namespace: {{ .Release.Namespace }} }\ndata: { level: {{ .Values.config.level | quote }} }\n' };
    const values = (level: string, wide: boolean) => `config:\n  level: ${level}\n${VALUES(wide)}`;
    const head = values('debug', true);
    const report = check(prRepo({ '.blast-radius.yml': FLEET, ...chart, 'charts/node-agent/values.yaml': values('info', false) }, { 'charts/node-agent/values.yaml': head }).dir);
    const found = report.findings.filter((f) => f.ruleId === 'watch-all/daemonset-cluster-watch');
    expect(found.map((f) => `${f.file}:${f.line}`)).toEqual([`charts/node-agent/values.yaml:${lineWith(head, 'clusterWide')}`]);
  });
});
