/**
 * src/render/kustomize.ts: exact overlay builds with the real `kubectl kustomize` — the kubectl 1.35.2 of
 * ensureRenderBinaries() and, when the machine has one, its own /usr/bin/kubectl (the one the Action finds
 * on a runner's PATH) — on a small base and two overlays the test writes: a node agent DaemonSet with a
 * generated ConfigMap; `prod` sets a namespace, an image tag, a merged generator literal and a tolerations
 * patch; `staging` only a namespace and an image name. Plus the refusals: remote references (never run),
 * files outside the overlay's root (kustomize's default load restrictor), unsafe paths.
 */
import { existsSync, readdirSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { escapingKustomizeRefs, kustomizeBuild, localKustomizeRefs, remoteKustomizeRefs } from '../../src/render/kustomize.js';
import { createWorkspace, findTools, type RenderTool, type Workspace } from '../../src/render/tools.js';
import { ensureRenderBinaries } from '../helpers/render-binaries.js';

const BASE: Record<string, string> = {
  'base/kustomization.yaml': `resources:
  - daemonset.yaml
configMapGenerator:
  - name: agent-config
    files:
      - agent.conf
`,
  'base/agent.conf': 'level=info\n',
  'base/daemonset.yaml': `apiVersion: apps/v1
kind: DaemonSet
metadata:
  name: node-agent
spec:
  selector:
    matchLabels: {app: node-agent}
  template:
    metadata:
      labels: {app: node-agent}
    spec:
      containers:
        - name: agent
          image: example.com/agent:1.0
          volumeMounts:
            - {name: config, mountPath: /etc/agent}
      volumes:
        - name: config
          configMap:
            name: agent-config
`,
};

const PROD: Record<string, string> = {
  'overlays/prod/kustomization.yaml': `namespace: monitoring
resources:
  - ../../base
images:
  - name: example.com/agent
    newTag: "2.0"
patches:
  - path: tolerations.yaml
configMapGenerator:
  - name: agent-config
    behavior: merge
    literals:
      - cluster=prod
`,
  'overlays/prod/tolerations.yaml': `apiVersion: apps/v1
kind: DaemonSet
metadata:
  name: node-agent
spec:
  template:
    spec:
      tolerations:
        - operator: Exists
`,
};

const STAGING: Record<string, string> = {
  'overlays/staging/kustomization.yaml': `namespace: monitoring-staging
resources:
  - ../../base
images:
  - name: example.com/agent
    newName: registry.example.com/agent
`,
};

const files = (...parts: Array<Record<string, string>>) => new Map(parts.flatMap((p) => Object.entries(p)));

type Doc = Record<string, unknown>;
const byKind = (docs: Doc[], kind: string): Doc => {
  const d = docs.find((x) => x.kind === kind);
  if (!d) throw new Error(`no ${kind} in ${JSON.stringify(docs)}`);
  return d;
};
// Narrow views of the rendered objects (the documents are plain parsed YAML).
interface DaemonSetView {
  metadata: { name: string; namespace?: string };
  spec: { template: { spec: { containers: Array<{ image: string }>; tolerations?: unknown[]; volumes: Array<{ configMap: { name: string } }> } } };
}
interface ConfigMapView {
  metadata: { name: string; namespace?: string };
  data: Record<string, string>;
}

const workspaces: Workspace[] = [];
function workspace(): Workspace {
  const ws = createWorkspace();
  workspaces.push(ws);
  return ws;
}
afterAll(() => {
  for (const ws of workspaces) ws.cleanup();
});

const kubectls: Array<{ label: string; tool?: RenderTool }> = [{ label: 'kubectl 1.35.2 from the test binaries' }];
if (existsSync('/usr/bin/kubectl')) kubectls.push({ label: '/usr/bin/kubectl of this machine' });

beforeAll(async () => {
  const bins = await ensureRenderBinaries();
  const pinned = findTools({ KUBECTL_BIN: bins.kubectl, PATH: '' });
  if (!pinned.kubectl) throw new Error(`the test kubectl is not usable: ${pinned.notes.join('; ')}`);
  kubectls[0].tool = pinned.kubectl;
  if (kubectls[1]) {
    const system = findTools({ KUBECTL_BIN: '/usr/bin/kubectl', PATH: '' });
    if (!system.kubectl) throw new Error(`/usr/bin/kubectl is present but not usable: ${system.notes.join('; ')}`);
    kubectls[1].tool = system.kubectl;
  }
}, 600_000);

async function build(tool: RenderTool | undefined, root: string, input: Map<string, string>, ws = workspace()): Promise<Doc[]> {
  if (!tool) throw new Error('kubectl not set up');
  const r = await kustomizeBuild(tool, ws, root, input, 30_000);
  if ('error' in r) throw new Error(r.error);
  return r.docs;
}

describe.each(kubectls)('kustomizeBuild with $label', (k) => {
  it('applies the prod overlay exactly: namespace, image tag, merged generator and the tolerations patch', async () => {
    const docs = await build(k.tool, 'overlays/prod', files(BASE, PROD));
    expect(docs.map((d) => d.kind).sort()).toEqual(['ConfigMap', 'DaemonSet']);
    const ds = byKind(docs, 'DaemonSet') as unknown as DaemonSetView;
    const cm = byKind(docs, 'ConfigMap') as unknown as ConfigMapView;
    expect(ds.metadata).toEqual({ name: 'node-agent', namespace: 'monitoring' });
    expect(ds.spec.template.spec.containers[0].image).toBe('example.com/agent:2.0');
    expect(ds.spec.template.spec.tolerations).toEqual([{ operator: 'Exists' }]);
    expect(cm.metadata.namespace).toBe('monitoring');
    expect(cm.metadata.name).toMatch(/^agent-config-[a-z0-9]{10}$/);
    expect(cm.data).toEqual({ 'agent.conf': 'level=info\n', cluster: 'prod' });
    // The generated name (with its content hash) is what the DaemonSet mounts.
    expect(ds.spec.template.spec.volumes[0].configMap.name).toBe(cm.metadata.name);
  });

  it('shows the tolerations patch in the prod overlay only: staging keeps the base pod spec', async () => {
    const docs = await build(k.tool, 'overlays/staging', files(BASE, PROD, STAGING));
    const ds = byKind(docs, 'DaemonSet') as unknown as DaemonSetView;
    expect(ds.metadata.namespace).toBe('monitoring-staging');
    expect(ds.spec.template.spec.tolerations).toBeUndefined();
    expect(ds.spec.template.spec.containers[0].image).toBe('registry.example.com/agent:1.0');
    expect((byKind(docs, 'ConfigMap') as unknown as ConfigMapView).data).toEqual({ 'agent.conf': 'level=info\n' });
  });

  it('builds a kustomization at the repository root when the overlay is "."', async () => {
    const docs = await build(k.tool, '.', files({
      'kustomization.yaml': 'namePrefix: edge-\nresources: [base]\n',
      ...Object.fromEntries(Object.entries(BASE).map(([p, t]) => [p, t])),
    }));
    expect((byKind(docs, 'DaemonSet') as unknown as DaemonSetView).metadata.name).toBe('edge-node-agent');
  });

  it('keeps kustomize\'s default load restrictor: an overlay cannot read a patch from outside its own directory', async () => {
    const input = files(BASE, {
      'overlays/prod/kustomization.yaml': 'resources: [../../base]\npatches:\n  - path: ../../shared/tolerations.yaml\n',
      'shared/tolerations.yaml': PROD['overlays/prod/tolerations.yaml'],
    });
    const r = await kustomizeBuild(k.tool as RenderTool, workspace(), 'overlays/prod', input, 30_000);
    expect(r).toEqual({ error: expect.stringMatching(/kubectl kustomize failed: .*(security|not in or below)/) as unknown as string });
  });

  it('reports a failing build with repository paths, not the temp copy\'s', async () => {
    const input = files(BASE, { 'overlays/broken/kustomization.yaml': 'resources: [../../base, missing.yaml]\n' });
    const r = await kustomizeBuild(k.tool as RenderTool, workspace(), 'overlays/broken', input, 30_000);
    if (!('error' in r)) throw new Error('the build should fail');
    expect(r.error).toMatch(/^kubectl kustomize failed: /);
    expect(r.error).toContain('missing.yaml');
    expect(r.error).not.toContain('blast-radius-render-');
  });
});

describe('kustomizeBuild refusals', () => {
  it('does not run kubectl for an overlay with a remote base, and says which reference it was', async () => {
    const input = files(BASE, { 'overlays/x/kustomization.yaml': 'resources:\n  - ../../base\n  - github.com/example/manifests//agent?ref=v1\n' });
    const r = await kustomizeBuild(kubectls[0].tool as RenderTool, workspace(), 'overlays/x', input, 30_000);
    expect(r).toEqual({ error: 'refers to remote resources (github.com/example/manifests//agent?ref=v1), which would need the network' });
  });

  it('returns an error, not an exception, for an overlay without a kustomization file', async () => {
    const r = await kustomizeBuild(kubectls[0].tool as RenderTool, workspace(), 'overlays/none', files(BASE), 30_000);
    expect(r).toEqual({ error: 'no kustomization file in overlays/none' });
  });

  it('returns an error, not an exception, when a file path would leave the copy', async () => {
    const input = files(BASE, PROD, { '../outside.yaml': 'x: 1\n' });
    const r = await kustomizeBuild(kubectls[0].tool as RenderTool, workspace(), 'overlays/prod', input, 30_000);
    expect(r).toEqual({ error: expect.stringContaining('"../outside.yaml" refused') as unknown as string });
  });

  it('refuses an overlay path that climbs out of the repository', async () => {
    const r = await kustomizeBuild(kubectls[0].tool as RenderTool, workspace(), '../elsewhere', files(BASE), 30_000);
    expect(r).toEqual({ error: 'overlay path "../elsewhere" refused' });
  });

  it('leaves nothing behind in the workspace after a build, successful or not', async () => {
    const ws = workspace();
    await build(kubectls[0].tool, 'overlays/prod', files(BASE, PROD), ws);
    await kustomizeBuild(kubectls[0].tool as RenderTool, ws, 'overlays/broken', files(BASE, { 'overlays/broken/kustomization.yaml': 'resources: [nope.yaml]\n' }), 30_000);
    expect(readdirSync(ws.dir)).toEqual([]);
  });
});

describe('remoteKustomizeRefs', () => {
  it('lists URLs and git references wherever kustomize would load them', () => {
    const refs = remoteKustomizeRefs(new Map([
      ['a/kustomization.yaml', `resources:
  - https://example.com/x.yaml
  - git@github.com:org/repo.git//deploy?ref=main
  - ../local
bases:
  - github.com/org/repo/base?ref=v1
components:
  - git::https://example.com/repo.git//component
patches:
  - path: http://127.0.0.1:8080/patch.yaml
  - patch: |-
      - op: add
        path: /metadata/annotations/docs
        value: https://docs.example.com/not-fetched
configMapGenerator:
  - name: c
    files:
      - conf=https://example.com/conf.txt
openapi:
  path: https://example.com/schema.json
helmCharts:
  - name: agent
    repo: https://charts.example.com
`],
      ['b/Kustomization', 'components: [ssh://git@example.com/repo.git//c]\ntransformers:\n  - file:///etc/transformer.yaml\n'],
    ]));
    expect(refs).toEqual([
      'https://example.com/x.yaml',
      'git@github.com:org/repo.git//deploy?ref=main',
      'github.com/org/repo/base?ref=v1',
      'git::https://example.com/repo.git//component',
      'http://127.0.0.1:8080/patch.yaml',
      'https://example.com/conf.txt',
      'https://example.com/schema.json',
      'https://charts.example.com',
      'ssh://git@example.com/repo.git//c',
      'file:///etc/transformer.yaml',
    ]);
  });

  it('treats a local directory named like a host as local when the files hold it', () => {
    const input = new Map([
      ['kustomization.yaml', 'resources:\n  - apps.example.com/agent/\n'],
      ['apps.example.com/agent/kustomization.yaml', 'resources: [ds.yaml]\n'],
    ]);
    expect(remoteKustomizeRefs(input)).toEqual([]);
    input.delete('apps.example.com/agent/kustomization.yaml');
    expect(remoteKustomizeRefs(input)).toEqual(['apps.example.com/agent/']);
  });

  it('ignores files that are not kustomizations, local paths, and kustomizations that do not parse', () => {
    expect(remoteKustomizeRefs(new Map([
      ['deploy.yaml', 'resources: [https://example.com/x.yaml]\n'],
      ['k/kustomization.yaml', 'resources: [../base, deployment.yaml]\nimages:\n  - name: ghcr.io/org/app\n    newName: registry.example.com/app\n'],
      ['broken/kustomization.yaml', 'resources: [\n'],
    ]))).toEqual([]);
  });
});

describe('local paths a kustomization loads', () => {
  it('resolves them from the kustomization, and names those that leave the repository', () => {
    const doc = {
      resources: ['../../base/app', 'local.yaml', '../../../../outside', '/etc/kubernetes', 'https://example.com/x.yaml'],
      secretGenerator: [{ name: 's', envs: ['secrets/a.env'] }],
      replacements: [{ path: 'replacements/r.yaml' }],
      openapi: { path: 'schema.json' },
    };
    expect(localKustomizeRefs('clusters/prod/kustomization.yaml', doc)).toEqual({
      inside: ['base/app', 'clusters/prod/local.yaml', 'clusters/prod/replacements/r.yaml', 'clusters/prod/secrets/a.env', 'clusters/prod/schema.json'],
      outside: ['../../../../outside', '/etc/kubernetes'],
    });
  });

  it('lists the escaping paths of every kustomization of an overlay', () => {
    const files = new Map([
      ['clusters/prod/kustomization.yaml', 'resources: [../../base]\n'],
      ['base/kustomization.yaml', 'resources: [../../secrets-elsewhere]\n'],
      ['base/notes.md', 'resources: [../../not-a-kustomization]\n'],
    ]);
    expect(escapingKustomizeRefs(files)).toEqual(['../../secrets-elsewhere']);
  });
});
