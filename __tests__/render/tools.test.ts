/**
 * src/render/tools.ts with the real helm (v4.1.4) and kubectl (1.35.2) of ensureRenderBinaries(), never
 * mocks: finding the tools, the private workspace, copying repository files into it, and running the tools
 * there. The SAFETY tests of issue 10 are here: rendering cannot reach the network (a loopback HTTP server
 * that must receive no request), run a plugin (a marker file that must never be written), or write outside
 * the copy, and a hung tool is killed with everything it started.
 *
 * Where a defence is one layer of several, the layer is tested alone too: the tool is spawned directly with
 * toolEnvironment() (bypassing runTool's argument check) and made to try, with a control run showing that
 * the same attempt does happen without that environment.
 */
import { spawn } from 'node:child_process';
import { chmodSync, existsSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { deflateRawSync } from 'node:zlib';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { kustomizeBuild } from '../../src/render/kustomize.js';
import {
  CLOSED_PROXY,
  createWorkspace,
  findTools,
  materialize,
  MaterializeError,
  refusedArguments,
  runTool,
  toolEnvironment,
  type RenderTool,
  type Workspace,
} from '../../src/render/tools.js';
import { ensureRenderBinaries, readZipEntries, renderBinCacheDir } from '../helpers/render-binaries.js';

let bins: { helm: string; kubectl: string };
let helm: RenderTool;
let kubectl: RenderTool;
const scratch: string[] = [];
const workspaces: Workspace[] = [];

function tempDir(prefix = 'blast-radius-tools-test-'): string {
  const d = mkdtempSync(join(tmpdir(), prefix));
  scratch.push(d);
  return d;
}

function workspace(): Workspace {
  const ws = createWorkspace();
  workspaces.push(ws);
  return ws;
}

function script(dir: string, name: string, body: string): string {
  const p = join(dir, name);
  writeFileSync(p, `#!/bin/sh\n${body}\n`);
  chmodSync(p, 0o755);
  return p;
}

/** Spawns a binary asynchronously (the test's HTTP server must keep answering meanwhile). */
function spawnTool(path: string, args: string[], env: Record<string, string | undefined>, cwd: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(path, args, { env, cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/** A loopback HTTP server that records every request it gets (and answers 404). */
async function recordingServer(): Promise<{ server: Server; port: number; requests: string[] }> {
  const requests: string[] = [];
  const server = createServer((req, res) => {
    requests.push(`${req.method ?? ''} ${req.url ?? ''}`);
    res.statusCode = 404;
    res.end();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { server, port: (server.address() as AddressInfo).port, requests };
}

const CHART = {
  'Chart.yaml': 'apiVersion: v2\nname: demo\nversion: 0.1.0\n',
  'values.yaml': 'greeting: hello\n',
  'templates/cm.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ .Release.Name }}-cm\ndata:\n  greeting: {{ .Values.greeting | quote }}\n',
};

function chartFiles(extra: Record<string, string> = {}): Array<{ path: string; text: string }> {
  return Object.entries({ ...CHART, ...extra }).map(([path, text]) => ({ path, text }));
}

beforeAll(async () => {
  bins = await ensureRenderBinaries();
  const found = findTools({ HELM_BIN: bins.helm, KUBECTL_BIN: bins.kubectl });
  if (!found.helm || !found.kubectl) throw new Error(`the test binaries were not usable: ${found.notes.join('; ')}`);
  helm = found.helm;
  kubectl = found.kubectl;
}, 600_000);

afterEach(() => {
  vi.unstubAllEnvs();
});

afterAll(() => {
  for (const ws of workspaces) ws.cleanup();
  for (const d of scratch) rmSync(d, { recursive: true, force: true });
});

describe('ensureRenderBinaries (test helper)', () => {
  it('provides executable helm and kubectl from the cache dir', () => {
    expect(bins).toEqual({ helm: join(renderBinCacheDir(), 'helm'), kubectl: join(renderBinCacheDir(), 'kubectl') });
    for (const p of Object.values(bins)) expect(statSync(p).mode & 0o111).not.toBe(0);
  });

  it('reads stored and deflated zip entries byte-exact, for machines without unzip', () => {
    // A two-entry zip written by hand (no CRCs: the reader relies on the tarball's sha512 instead).
    const entries = [
      { name: 'helm/helm', data: Buffer.from('stored bytes \u0000\u0001'), method: 0 },
      { name: 'kubectl/kubectl', data: Buffer.alloc(100_000, 'k'), method: 8 },
      { name: 'other', data: Buffer.from('skipped'), method: 0 },
    ];
    const locals: Buffer[] = [];
    const centrals: Buffer[] = [];
    let offset = 0;
    for (const e of entries) {
      const body = e.method === 8 ? deflateRawSync(e.data) : e.data;
      const name = Buffer.from(e.name);
      const local = Buffer.alloc(30);
      local.writeUInt32LE(0x04034b50, 0);
      local.writeUInt16LE(e.method, 8);
      local.writeUInt32LE(body.length, 18);
      local.writeUInt32LE(e.data.length, 22);
      local.writeUInt16LE(name.length, 26);
      const central = Buffer.alloc(46);
      central.writeUInt32LE(0x02014b50, 0);
      central.writeUInt16LE(e.method, 10);
      central.writeUInt32LE(body.length, 20);
      central.writeUInt32LE(e.data.length, 24);
      central.writeUInt16LE(name.length, 28);
      central.writeUInt32LE(offset, 42);
      locals.push(local, name, body);
      centrals.push(central, name);
      offset += 30 + name.length + body.length;
    }
    const cd = Buffer.concat(centrals);
    const eocd = Buffer.alloc(22);
    eocd.writeUInt32LE(0x06054b50, 0);
    eocd.writeUInt16LE(entries.length, 8);
    eocd.writeUInt16LE(entries.length, 10);
    eocd.writeUInt32LE(cd.length, 12);
    eocd.writeUInt32LE(offset, 16);
    const got = readZipEntries(Buffer.concat([...locals, cd, eocd]), ['helm/helm', 'kubectl/kubectl']);
    expect([...got.keys()]).toEqual(['helm/helm', 'kubectl/kubectl']);
    expect(got.get('helm/helm')).toEqual(entries[0].data);
    expect(got.get('kubectl/kubectl')).toEqual(entries[1].data);
  });
});

describe('findTools', () => {
  it('uses HELM_BIN and KUBECTL_BIN and reports the versions the binaries print', () => {
    expect(helm).toEqual({ name: 'helm', path: bins.helm, version: expect.stringMatching(/^v4\.1\.4\b/) as unknown as string });
    expect(kubectl).toEqual({ name: 'kubectl', path: bins.kubectl, version: 'v1.35.2' });
  });

  it('finds the first helm and kubectl on PATH when no *_BIN variable is set', () => {
    const dir = tempDir();
    symlinkSync(bins.helm, join(dir, 'helm'));
    symlinkSync(bins.kubectl, join(dir, 'kubectl'));
    const found = findTools({ PATH: `/nonexistent-dir:${dir}` });
    expect(found.helm?.path).toBe(join(dir, 'helm'));
    expect(found.kubectl?.path).toBe(join(dir, 'kubectl'));
    expect(found.helm?.version).toMatch(/^v4\.1\.4/);
    expect(found.notes).toEqual([]);
  });

  it('says what was not found when neither tool is anywhere', () => {
    const found = findTools({ PATH: tempDir() });
    expect(found.helm).toBeUndefined();
    expect(found.kubectl).toBeUndefined();
    expect(found.notes).toEqual(['no helm on PATH (nor HELM_BIN)', 'no kubectl on PATH (nor KUBECTL_BIN)']);
  });

  it('ignores relative PATH entries, where a checked-out pull request could ship its own helm', () => {
    const dir = tempDir();
    symlinkSync(bins.helm, join(dir, 'helm'));
    const found = findTools({ PATH: `${relative(process.cwd(), dir)}:` });
    expect(found.helm).toBeUndefined();
    expect(found.notes).toContain('no helm on PATH (nor HELM_BIN)');
  });

  it('does not fall back to PATH when HELM_BIN names something that is not an executable file', () => {
    const dir = tempDir();
    symlinkSync(bins.helm, join(dir, 'helm'));
    const found = findTools({ HELM_BIN: join(dir, 'missing-helm'), PATH: dir });
    expect(found.helm).toBeUndefined();
    expect(found.notes[0]).toMatch(/^HELM_BIN=.*missing-helm is not an executable file: helm not used$/);
  });

  it('does not take a relative HELM_BIN, which would resolve into the checked-out pull request', () => {
    const found = findTools({ HELM_BIN: 'bin/helm', PATH: '' });
    expect(found.helm).toBeUndefined();
    expect(found.notes[0]).toBe('HELM_BIN=bin/helm is not an absolute path: helm not used');
  });

  it('does not use a binary that cannot report its version', () => {
    const broken = script(tempDir(), 'kubectl', 'echo broken >&2; exit 3');
    const found = findTools({ KUBECTL_BIN: broken, PATH: '' });
    expect(found.kubectl).toBeUndefined();
    expect(found.notes.some((n) => n.includes(broken) && n.includes('broken') && n.endsWith('kubectl not used'))).toBe(true);
  });
});

describe('createWorkspace and materialize', () => {
  it('gives each run private Helm homes, an empty plugins dir and an empty kubeconfig, all removed by cleanup', () => {
    const ws = createWorkspace();
    try {
      expect(statSync(ws.dir).isDirectory()).toBe(true);
      expect(readdirSync(ws.dir)).toEqual([]);
      expect(readdirSync(join(ws.home, 'helm', 'plugins'))).toEqual([]);
      expect(readFileSync(join(ws.home, 'kubeconfig'), 'utf8')).toBe('');
      expect(statSync(join(ws.dir, '..')).mode & 0o077).toBe(0);
    } finally {
      ws.cleanup();
    }
    expect(existsSync(ws.dir)).toBe(false);
    expect(existsSync(ws.home)).toBe(false);
    expect(() => ws.cleanup()).not.toThrow();
  });

  it('writes text and binary files byte-exact under the sub dir and returns its absolute root', () => {
    const ws = workspace();
    const bytes = Uint8Array.from({ length: 256 }, (_, i) => i);
    const root = materialize(ws, [
      { path: 'charts/demo/Chart.yaml', text: 'name: démo\n' },
      { path: 'charts/demo/charts/sub-1.0.0.tgz', text: bytes },
      { path: './charts//demo/values.yaml', text: 'a: 1\n' },
    ], 'base');
    expect(root).toBe(join(ws.dir, 'base'));
    expect(readFileSync(join(root, 'charts/demo/Chart.yaml'), 'utf8')).toBe('name: démo\n');
    expect(new Uint8Array(readFileSync(join(root, 'charts/demo/charts/sub-1.0.0.tgz')))).toEqual(bytes);
    expect(readFileSync(join(root, 'charts/demo/values.yaml'), 'utf8')).toBe('a: 1\n');
  });

  it.each([
    ['an absolute path', '/etc/blast-radius-escape'],
    ['a `..` segment', '../blast-radius-escape'],
    ['a `..` segment deeper down', 'charts/../../blast-radius-escape'],
    ['a NUL byte', 'charts/a\u0000b'],
    ['an empty path', ''],
  ])('refuses %s and writes nothing outside the copy', (_what, path) => {
    const ws = workspace();
    expect(() => materialize(ws, [{ path, text: 'x' }], 'sub')).toThrow(MaterializeError);
    expect(existsSync(join(ws.dir, 'blast-radius-escape'))).toBe(false);
    expect(existsSync(join(ws.dir, '..', 'blast-radius-escape'))).toBe(false);
    expect(existsSync('/etc/blast-radius-escape')).toBe(false);
  });

  it.each(['../out', '/abs', ''])('refuses the sub dir %j', (sub) => {
    expect(() => materialize(workspace(), [{ path: 'a.yaml', text: 'x' }], sub)).toThrow(MaterializeError);
  });

  it('makes only regular files and dirs: the copy has no symlink to follow out of it', () => {
    const ws = workspace();
    const root = materialize(ws, [{ path: 'a/b/c.yaml', text: 'x' }, { path: 'a/link', text: '/etc/passwd' }], 'tree');
    const walk = (dir: string): string[] =>
      readdirSync(dir).flatMap((n) => {
        const p = join(dir, n);
        const st = lstatSync(p);
        expect(st.isSymbolicLink()).toBe(false);
        return st.isDirectory() ? walk(p) : [relative(root, p)];
      });
    expect(walk(root).sort()).toEqual(['a/b/c.yaml', 'a/link']);
    expect(readFileSync(join(root, 'a/link'), 'utf8')).toBe('/etc/passwd');
  });

  it('reports a file that collides with a dir of the same name as a MaterializeError', () => {
    expect(() => materialize(workspace(), [{ path: 'a', text: 'x' }, { path: 'a/b', text: 'y' }], 'clash')).toThrow(MaterializeError);
  });
});

describe('runTool', () => {
  it('renders a materialized chart with helm template', async () => {
    const ws = workspace();
    const root = materialize(ws, chartFiles(), 'chart');
    const run = await runTool(helm, ['template', 'demo', root, '--namespace', 'apps', '--set', 'greeting=hi there'], { cwd: root, workspace: ws, timeoutMs: 30_000 });
    expect(run.stderr).toBe('');
    expect(run).toMatchObject({ ok: true, code: 0, timedOut: false });
    expect(run.stdout).toContain('name: demo-cm');
    expect(run.stdout).toContain('greeting: "hi there"');
  });

  it('builds a kustomization with kubectl kustomize despite the empty kubeconfig', async () => {
    const ws = workspace();
    const root = materialize(ws, [
      { path: 'kustomization.yaml', text: 'namespace: apps\nresources: [cm.yaml]\n' },
      { path: 'cm.yaml', text: 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\n' },
    ], 'k');
    const run = await runTool(kubectl, ['kustomize', root], { cwd: root, workspace: ws, timeoutMs: 30_000 });
    expect(run.ok).toBe(true);
    expect(run.stdout).toContain('namespace: apps');
  });

  it('passes none of the caller environment on: Helm sees only the workspace homes and its empty plugins dir', async () => {
    const evil = tempDir();
    vi.stubEnv('HELM_PLUGINS', evil);
    vi.stubEnv('HELM_CACHE_HOME', evil);
    vi.stubEnv('KUBECONFIG', join(evil, 'config'));
    vi.stubEnv('BLAST_RADIUS_TEST_SECRET', 'hunter2');
    const ws = workspace();
    const run = await runTool(helm, ['env'], { cwd: ws.dir, workspace: ws, timeoutMs: 30_000 });
    expect(run.ok).toBe(true);
    const vars = Object.fromEntries(run.stdout.trim().split('\n').map((l) => [l.slice(0, l.indexOf('=')), JSON.parse(l.slice(l.indexOf('=') + 1)) as string]));
    expect(vars.HELM_PLUGINS).toBe(join(ws.home, 'helm', 'plugins'));
    for (const key of ['HELM_CACHE_HOME', 'HELM_CONFIG_HOME', 'HELM_DATA_HOME', 'HELM_REGISTRY_CONFIG', 'HELM_REPOSITORY_CACHE', 'HELM_REPOSITORY_CONFIG', 'HELM_CONTENT_CACHE']) {
      expect(vars[key]?.startsWith(`${ws.home}/`), key).toBe(true);
    }
    expect(run.stdout).not.toContain(evil);
    expect(run.stdout).not.toContain('hunter2');
  });

  it('gives the tool a PATH holding only itself, and proxies pointing at a closed port', () => {
    const ws = workspace();
    const env = toolEnvironment(kubectl, ws);
    expect(readdirSync(env.PATH ?? '')).toEqual(['kubectl']);
    expect(env.HTTPS_PROXY).toBe(CLOSED_PROXY);
    expect(env.https_proxy).toBe(CLOSED_PROXY);
    expect(env.NO_PROXY).toBe('');
    expect(Object.keys(env).every((k) => /^(PATH|HOME|TMPDIR|XDG_\w+|HELM_\w+|KUSTOMIZE_PLUGIN_HOME|KUBECONFIG|(HTTP|HTTPS|ALL|NO)_PROXY|(http|https|all|no)_proxy)$/.test(k))).toBe(true);
  });

  it.each<[string, 'helm' | 'kubectl', string[], RegExp]>([
    ['a subcommand the renderers do not use', 'helm', ['install', 'demo', '.'], /subcommand "install"/],
    ['helm dependency update', 'helm', ['dependency', 'update', '.'], /subcommand "dependency"/],
    ['--dependency-update', 'helm', ['template', 'demo', '.', '--dependency-update'], /--dependency-update is refused/],
    ['a post-renderer', 'helm', ['template', 'demo', '.', '--post-renderer=evil'], /--post-renderer is refused/],
    ['DNS lookups in templates', 'helm', ['template', 'demo', '.', '--enable-dns'], /--enable-dns is refused/],
    ['a values file fetched from a URL', 'helm', ['template', 'demo', '.', '-f', 'https://example.com/v.yaml'], /is a URL/],
    ['a chart from an OCI registry', 'helm', ['template', 'demo', 'oci://registry.example.com/charts/demo'], /is a URL/],
    ['a values file outside the workspace', 'helm', ['template', 'demo', '.', '-f', '/etc/passwd'], /outside the workspace/],
    ['a relative path climbing out of the workspace', 'helm', ['template', 'demo', '../../../../etc'], /outside the workspace/],
    ['plugin install', 'helm', ['plugin', 'install', 'x'], /only `helm plugin list`/],
    ['the Helm chart inflator', 'kubectl', ['kustomize', '.', '--enable-helm'], /--enable-helm is refused/],
    ['alpha plugins', 'kubectl', ['kustomize', '.', '--enable-alpha-plugins=true'], /--enable-alpha-plugins is refused/],
    ['a looser load restrictor', 'kubectl', ['kustomize', '.', '--load-restrictor', 'LoadRestrictionsNone'], /--load-restrictor is refused/],
    ['a remote kustomization', 'kubectl', ['kustomize', 'https://github.com/kubernetes-sigs/kustomize//examples/helloWorld'], /is a URL/],
    ['kubectl version asking a cluster', 'kubectl', ['version'], /needs --client/],
    ['any other kubectl command', 'kubectl', ['get', 'pods'], /subcommand "get"/],
  ])('refuses %s before the tool starts', async (_what, name, args, why) => {
    const ws = workspace();
    const run = await runTool(name === 'helm' ? helm : kubectl, args, { cwd: ws.dir, workspace: ws, timeoutMs: 30_000 });
    expect(run).toMatchObject({ ok: false, code: null, stdout: '', timedOut: false });
    expect(run.stderr).toMatch(/^blast-radius: refused to run/);
    expect(run.stderr).toMatch(why);
  });

  it('lets --set values hold URLs and slashes: they are values, not paths', () => {
    const ws = workspace();
    expect(refusedArguments(helm, ['template', 'demo', '.', '--set', 'url=https://x/../y', '--set-string=a=/etc'], ws.dir, ws)).toBeUndefined();
  });

  it('refuses a working directory outside the workspace', async () => {
    const ws = workspace();
    const run = await runTool(helm, ['version', '--short'], { cwd: tmpdir(), workspace: ws, timeoutMs: 30_000 });
    expect(run.ok).toBe(false);
    expect(run.stderr).toMatch(/working directory .* is outside the workspace/);
  });

  it('reports a tool that cannot be started as a failed run, not an exception', async () => {
    const ws = workspace();
    const run = await runTool({ name: 'helm', path: join(tempDir(), 'no-such-helm'), version: 'v0' }, ['version'], { cwd: ws.dir, workspace: ws, timeoutMs: 5_000 });
    expect(run.ok).toBe(false);
    expect(run.stderr).toMatch(/cannot run .*no-such-helm/);
  });
});

describe('safety: rendering cannot reach the network', () => {
  let srv: Awaited<ReturnType<typeof recordingServer>>;
  beforeAll(async () => {
    srv = await recordingServer();
  });
  afterAll(() => new Promise<void>((r) => srv.server.close(() => r())));
  afterEach(() => {
    srv.requests.length = 0;
  });

  const dependingOn = (repository: string) =>
    chartFiles({ 'Chart.yaml': `apiVersion: v2\nname: demo\nversion: 0.1.0\ndependencies:\n  - name: dep\n    version: 1.0.0\n    repository: ${repository}\n` });

  it('helm template of a chart whose dependency lives on a loopback repository fails offline, and the repository gets no request', async () => {
    const ws = workspace();
    const root = materialize(ws, dependingOn(`http://127.0.0.1:${srv.port}/charts`), 'chart');
    const run = await runTool(helm, ['template', 'demo', root], { cwd: root, workspace: ws, timeoutMs: 30_000 });
    expect(run.ok).toBe(false);
    expect(run.stderr).toMatch(/missing in charts\/ directory: dep/);
    expect(srv.requests).toEqual([]);
  });

  it('helm template --dependency-update is refused, and the loopback repository gets no request', async () => {
    const ws = workspace();
    const root = materialize(ws, dependingOn(`http://127.0.0.1:${srv.port}/charts`), 'chart');
    const run = await runTool(helm, ['template', 'demo', root, '--dependency-update'], { cwd: root, workspace: ws, timeoutMs: 30_000 });
    expect(run.ok).toBe(false);
    expect(run.stderr).toMatch(/refused/);
    expect(srv.requests).toEqual([]);
  });

  it('the environment alone stops helm --dependency-update from fetching: its request goes to the closed proxy', async () => {
    // A name, not a loopback literal: Go sends loopback requests past any proxy (which is why runTool
    // refuses --dependency-update and URLs outright, as the test above shows).
    const ws = workspace();
    const root = materialize(ws, dependingOn('http://charts.blast-radius.invalid/stable'), 'chart');
    const env = toolEnvironment(helm, ws);
    const blocked = await spawnTool(helm.path, ['template', 'demo', root, '--dependency-update'], env, root);
    expect(blocked.code).not.toBe(0);
    // Helm reports the failed repository update on stdout, then fails on the missing index.
    expect(blocked.stdout + blocked.stderr).toContain('proxyconnect tcp: dial tcp 127.0.0.1:9');
    // Control: the same run with the proxy variables naming the test server shows helm really tries,
    // through the proxy, so a closed proxy port is what stopped it.
    const proxy = `http://127.0.0.1:${srv.port}`;
    const control = await spawnTool(helm.path, ['template', 'demo', root, '--dependency-update'], { ...env, HTTP_PROXY: proxy, http_proxy: proxy }, root);
    expect(control.code).not.toBe(0);
    expect(srv.requests).toEqual(['GET http://charts.blast-radius.invalid/stable/index.yaml']);
  });

  it('kubectl kustomize is not run on a kustomization whose resources name a loopback URL, and the server gets no request', async () => {
    const ws = workspace();
    const files = new Map([
      ['overlay/kustomization.yaml', `resources:\n  - http://127.0.0.1:${srv.port}/x.yaml\n  - cm.yaml\n`],
      ['overlay/cm.yaml', 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\n'],
    ]);
    const r = await kustomizeBuild(kubectl, ws, 'overlay', files, 30_000);
    expect(r).toEqual({ error: expect.stringContaining(`http://127.0.0.1:${srv.port}/x.yaml`) as unknown as string });
    expect(srv.requests).toEqual([]);
  });

  it('the environment alone stops kubectl kustomize from fetching a remote resource: its request goes to the closed proxy', async () => {
    const ws = workspace();
    const root = materialize(ws, [{ path: 'kustomization.yaml', text: 'resources:\n  - https://manifests.blast-radius.invalid/x.yaml\n' }], 'k');
    const run = await runTool(kubectl, ['kustomize', root], { cwd: root, workspace: ws, timeoutMs: 30_000 });
    expect(run.ok).toBe(false);
    expect(run.stderr).toContain('proxyconnect tcp: dial tcp 127.0.0.1:9');
  });

  it('kubectl kustomize cannot clone a remote base: git is not on the tool\'s PATH', async () => {
    const ws = workspace();
    const root = materialize(ws, [{ path: 'kustomization.yaml', text: 'resources:\n  - https://github.com/kubernetes-sigs/kustomize//examples/helloWorld?ref=v1.0.6\n' }], 'k');
    const run = await runTool(kubectl, ['kustomize', root], { cwd: root, workspace: ws, timeoutMs: 30_000 });
    expect(run.ok).toBe(false);
    expect(run.stderr).toContain("no 'git' program on path");
  });
});

describe('safety: rendering cannot run a plugin', () => {
  it('a Helm plugin in the caller\'s HELM_PLUGINS never runs', async () => {
    const marker = join(tempDir(), 'helm-plugin-ran');
    const plugins = tempDir();
    const dir = join(plugins, 'evil');
    mkdirSync(dir);
    writeFileSync(join(dir, 'plugin.yaml'), [
      'name: evil', 'version: 0.1.0', 'usage: evil', 'description: writes a marker',
      'command: "$HELM_PLUGIN_DIR/run.sh"',
      'downloaders:', '  - command: "run.sh"', '    protocols: ["evil"]',
      'hooks:', '  install: "$HELM_PLUGIN_DIR/run.sh"', '',
    ].join('\n'));
    script(dir, 'run.sh', `echo ran >> ${marker}\nexit 1`);
    vi.stubEnv('HELM_PLUGINS', plugins);

    const ws = workspace();
    const root = materialize(ws, chartFiles(), 'chart');
    const opts = { cwd: root, workspace: ws, timeoutMs: 30_000 };
    expect((await runTool(helm, ['template', 'demo', root], opts)).ok).toBe(true);
    const listed = await runTool(helm, ['plugin', 'list'], opts);
    expect(listed.ok).toBe(true);
    expect(listed.stdout).not.toContain('evil');
    // A values file behind the plugin's protocol: runTool refuses the URL outright …
    expect((await runTool(helm, ['template', 'demo', root, '-f', 'evil://x/values.yaml'], opts)).stderr).toMatch(/is a URL/);
    // … and even past that check, helm in the tool environment knows no such protocol: it looks for a file.
    const direct = await spawnTool(helm.path, ['template', 'demo', root, '-f', 'evil://x/values.yaml'], toolEnvironment(helm, ws), root);
    expect(direct.code).not.toBe(0);
    expect(direct.stderr).toMatch(/open evil:\/\/x\/values.yaml: no such file/);
    expect(existsSync(marker)).toBe(false);

    // Control: with the caller's environment the same helm does run the plugin.
    const home = tempDir();
    const control = await spawnTool(helm.path, ['template', 'demo', root, '-f', 'evil://x/values.yaml'], { PATH: '/usr/bin:/bin', HOME: home, HELM_PLUGINS: plugins }, root);
    expect(control.code).not.toBe(0);
    expect(readFileSync(marker, 'utf8')).toContain('ran');
  });

  const kubectls = (): RenderTool[] => {
    const system = existsSync('/usr/bin/kubectl') ? findTools({ KUBECTL_BIN: '/usr/bin/kubectl' }).kubectl : undefined;
    return system ? [kubectl, system] : [kubectl];
  };

  it('an exec KRM function named in a kustomization\'s transformers never runs, with every kubectl at hand', async () => {
    for (const k of kubectls()) {
      const marker = join(tempDir(), 'exec-function-ran');
      const files = new Map([
        ['kustomization.yaml', 'resources: [cm.yaml]\ntransformers: [evil.yaml]\n'],
        ['cm.yaml', 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\n'],
        ['evil.yaml', 'apiVersion: example.com/v1\nkind: Evil\nmetadata:\n  name: evil\n  annotations:\n    config.kubernetes.io/function: |\n      exec:\n        path: ./evil.sh\n'],
        ['evil.sh', `#!/bin/sh\necho ran > ${marker}\ncat\n`],
      ]);
      const r = await kustomizeBuild(k, workspace(), '.', files, 30_000);
      expect(r, k.path).toEqual({ error: expect.stringContaining('external plugins disabled') as unknown as string });
      expect(existsSync(marker), k.path).toBe(false);
    }
  });
});

describe('safety: a hung or flooding tool is stopped', () => {
  function alive(pid: number): boolean {
    try {
      // A killed process may linger as a zombie until its new parent reaps it: that is dead too.
      return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
    } catch {
      return false;
    }
  }

  it('kills a tool that hangs, and what it started, when the timeout is up', async () => {
    const dir = tempDir();
    const pidFile = join(dir, 'child.pid');
    const hung = script(dir, 'kubectl', `/bin/sleep 300 &\necho $! > ${pidFile}\nwait`);
    const ws = workspace();
    const started = Date.now();
    const run = await runTool({ name: 'kubectl', path: hung, version: 'v0' }, ['version', '--client'], { cwd: ws.dir, workspace: ws, timeoutMs: 700 });
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(run).toMatchObject({ ok: false, timedOut: true });
    expect(run.stderr).toMatch(/timed out after 700 ms/);
    const child = Number(readFileSync(pidFile, 'utf8'));
    await vi.waitFor(() => expect(alive(child)).toBe(false), { timeout: 5_000 });
  });

  it('stops a tool that floods stdout past the cap and reports it', async () => {
    const ws = workspace();
    const flood = script(tempDir(), 'kubectl', 'exec /usr/bin/yes blast-radius');
    const run = await runTool({ name: 'kubectl', path: flood, version: 'v0' }, ['version', '--client'], { cwd: ws.dir, workspace: ws, timeoutMs: 60_000 });
    expect(run).toMatchObject({ ok: false, stdout: '', timedOut: false });
    expect(run.stderr).toMatch(/wrote more than 67108864 bytes to stdout/);
  });
});
