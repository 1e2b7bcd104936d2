/**
 * Issue 12, "Bad input table": hostile and malformed input through the built CLI on real git repos.
 * Each case adds one bad file (or git entry) and, in the SAME pull request, a good per-node agent
 * whose ClusterRole watches pods cluster-wide: the bad input must end as an `errors` entry (file and
 * line ≥ 1), a note or a clean skip, and `watch-all/daemonset-cluster-watch` must still be found,
 * i.e. the rest of the PR is still analysed.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { cleanupAll, createRepo, runCli, type Repo } from '../helpers/git-fixture.js';
import { AGENT, ALIAS_BOMB, DEEP_DOCUMENT, DEPLOYMENT, FLEET_CONFIG } from './fixtures.js';

afterAll(cleanupAll);

// The good change of every case is AGENT (fixtures.ts): a per-node agent whose ClusterRole lists and watches pods cluster-wide.

const BASE: Record<string, string> = {
  'apps/web.yaml': DEPLOYMENT,
  'README.md': '# infra\n',
};

/** A file of the PR: text, raw bytes, a git symlink, or a gitlink (submodule) at a commit id. */
type Entry = string | Buffer | null | { symlink: string } | { gitlink: string };

/**
 * Like prRepo, but PR files may be raw bytes, symlinks or gitlinks (git-fixture writes strings only).
 * Commits with the fixture's own git environment.
 */
function rawPrRepo(base: Record<string, string>, pr: Record<string, Entry>): Repo {
  const repo = createRepo(base);
  repo.branch('pr');
  const gitlinks: Array<[string, string]> = [];
  const plain: Record<string, string | null> = {};
  for (const [file, e] of Object.entries(pr)) {
    const path = join(repo.dir, file);
    if (typeof e === 'string' || e === null) plain[file] = e;
    else if (Buffer.isBuffer(e)) {
      mkdirSync(dirname(path), { recursive: true });
      writeFileSync(path, e);
    } else if ('symlink' in e) {
      mkdirSync(dirname(path), { recursive: true });
      symlinkSync(e.symlink, path);
    } else gitlinks.push([file, e.gitlink]);
  }
  for (const [file, sha] of gitlinks) repo.git('update-index', '--add', '--cacheinfo', `160000,${sha},${file}`);
  // An empty directory is how git sees a submodule that is not checked out: `git add --all .` in
  // commit() then keeps the gitlink instead of staging its removal.
  for (const [file] of gitlinks) mkdirSync(join(repo.dir, file), { recursive: true });
  repo.commit(plain, 'pr');
  return repo;
}

interface Checked {
  code: number;
  stdout: string;
  stderr: string;
  report: any;
}

function check(dir: string, base = 'main'): Checked {
  const r = runCli(['check', '--repo', dir, '--base', base, '--head', 'pr', '--format', 'json']);
  if (r.code > 1) throw new Error(`exit ${r.code}: ${r.stderr}`);
  let report: any;
  expect(() => (report = JSON.parse(r.stdout))).not.toThrow();
  if (process.env.BAD_INPUT_DEBUG) console.log(JSON.stringify({ code: r.code, stderr: r.stderr, errors: report.errors, notes: report.notes, stats: report.stats, findings: report.findings.map((f: any) => [f.ruleId, f.file, f.line, f.resource]) }, null, 1));
  return { code: r.code, stderr: r.stderr, stdout: r.stdout, report };
}

/** The good finding of every case, on the agent of the PR. */
function expectAgentFound(report: any, file = 'agent/agent.yaml'): void {
  const f = report.findings.filter((x: any) => x.ruleId === 'watch-all/daemonset-cluster-watch');
  expect(f).toHaveLength(1);
  expect(f[0]).toMatchObject({ file, resource: 'DaemonSet/monitoring/node-telemetry' });
}

/** Runs the case: the PR adds the agent plus `bad`. */
function runCase(bad: Record<string, Entry>, base: Record<string, string> = BASE): Checked {
  return runCaseRaw(bad, base);
}

function runCaseRaw(bad: Record<string, Entry>, base: Record<string, string> = BASE): Checked & { stdout: string } {
  const repo = rawPrRepo(base, { 'agent/agent.yaml': AGENT, ...bad });
  const r = check(repo.dir);
  expect([0, 1]).toContain(r.code);
  expect(r.report.schemaVersion).toBe(1);
  expectAgentFound(r.report);
  repo.cleanup();
  return r;
}

function errorsOf(report: any, file: string): any[] {
  return report.errors.filter((e: any) => e.file === file);
}

function expectError(report: any, file: string, pattern?: RegExp): any {
  const es = errorsOf(report, file);
  expect(es, JSON.stringify(report.errors)).toHaveLength(1);
  expect(es[0].line).toBeGreaterThanOrEqual(1);
  if (pattern) expect(es[0].message).toMatch(pattern);
  return es[0];
}

/** A second, well-formed DaemonSet (for the cases whose "bad" file should still be read). */
const SECOND_DS = `apiVersion: apps/v1
kind: DaemonSet
metadata:
  name: log-shipper
  namespace: logging
spec:
  selector:
    matchLabels: { app: log-shipper }
  template:
    metadata:
      labels: { app: log-shipper }
    spec:
      containers:
        - name: shipper
          image: registry.example.com/log-shipper:2.0.0
`;

const findingsOn = (report: any, file: string) => report.findings.filter((f: any) => f.file === file);

describe('bad input table (issue 12): each ends as an error, a note or a clean skip; the rest of the PR is analysed', () => {
  it('alias bomb: an error entry on the file, nothing expanded', () => {
    const { report } = runCase({ 'bad/bomb.yaml': ALIAS_BOMB });
    expectError(report, 'bad/bomb.yaml', /alias/);
  });

  it('5,000-deep nesting: an error entry on the file', () => {
    const { report } = runCase({ 'bad/deep.yaml': DEEP_DOCUMENT });
    expectError(report, 'bad/deep.yaml');
  });

  it('a file above the 4 MiB limit: an error entry on the file', () => {
    const big = 'apiVersion: v1\nkind: ConfigMap\nmetadata: { name: big, namespace: default }\ndata:\n  blob: "' + 'x'.repeat(4 * 1024 * 1024 + 16) + '"\n';
    const { report } = runCase({ 'bad/big.yaml': big });
    expectError(report, 'bad/big.yaml', /limit/);
  });

  it('binary content with a .yaml name: an error entry on the file', () => {
    const bin = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0x00, 0x00, 0x0d, 0x49, 0x48, 0x44, 0x52, 0x00, 0xff, 0xfe, 0x00]);
    const { report } = runCase({ 'bad/image.yaml': bin });
    expectError(report, 'bad/image.yaml', /binary/);
  });

  // Invalid UTF-8 would be decoded as U+FFFD and analysed as if valid; kubectl's YAML reader (go-yaml)
  // rejects the file, and so does src/tree.ts: an error entry at the line of the bad bytes.
  it('invalid UTF-8 in a .yaml file: an error entry on the file at the line of the bad bytes', () => {
    const text = Buffer.concat([
      Buffer.from('apiVersion: v1\nkind: ConfigMap\nmetadata: { name: latin1, namespace: default }\ndata:\n  greeting: "'),
      Buffer.from([0xc3, 0x28, 0xff, 0xfe, 0xe9]), // not UTF-8 (a broken 2-byte sequence, 0xff, latin-1 é)
      Buffer.from('"\n'),
    ]);
    const { report } = runCase({ 'bad/latin1.yaml': text });
    expect(expectError(report, 'bad/latin1.yaml', /UTF-8/i).line).toBe(5);
  });

  it('BOM and CRLF: read as a normal file (a DaemonSet found at its real line)', () => {
    const text = '\ufeff' + SECOND_DS.replace(/\n/g, '\r\n');
    const { report } = runCase({ 'bad/bom-crlf.yaml': text });
    expect(report.errors).toEqual([]);
    const f = findingsOn(report, 'bad/bom-crlf.yaml').find((x: any) => x.ruleId === 'blast-radius/new-daemonset');
    expect(f).toMatchObject({ resource: 'DaemonSet/logging/log-shipper', line: 4 });
  });

  it('tabs: a tab in indentation is an error entry at its line; tabs inside values are fine', () => {
    const tabbed = 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n\tname: tabbed\ndata: {}\n';
    const inValue = 'apiVersion: v1\nkind: ConfigMap\nmetadata: { name: tab-value, namespace: default }\ndata:\n  a: "x\ty"\n  b: x\ty\n';
    const { report } = runCase({ 'bad/tabs.yaml': tabbed, 'bad/tab-value.yaml': inValue });
    expect(expectError(report, 'bad/tabs.yaml').line).toBe(4);
    expect(errorsOf(report, 'bad/tab-value.yaml')).toEqual([]);
  });

  it('duplicate mapping keys: last wins (as Helm and kubectl), no error, and a note on the line', () => {
    const dup = SECOND_DS.replace('  namespace: logging\n', '  namespace: default\n  namespace: logging\n');
    const { report } = runCase({ 'bad/dup.yaml': dup });
    expect(report.errors).toEqual([]);
    // Last wins: the DaemonSet is in `logging`, not `default`.
    const refs = findingsOn(report, 'bad/dup.yaml').map((f: any) => f.resource);
    expect(refs).toContain('DaemonSet/logging/log-shipper');
    expect(refs).not.toContain('DaemonSet/default/log-shipper');
    // A changed file that repeats a key is said, with the line of the repeat.
    const line = dup.split('\n').findIndex((l) => l === '  namespace: logging') + 1;
    expect(report.notes.filter((n: string) => n.includes('bad/dup.yaml'))).toEqual([`bad/dup.yaml:${line}: mapping key "namespace" is repeated; the last value is used, as kubectl and helm do`]);
  });

  // Read with the YAML 1.2 core schema: `yes`/`on` stay strings and `0644` is not octal (go-yaml in
  // kubectl reads true / 420): the object is analysed, and the changed file gets a note.
  it('YAML 1.1 values (0644, yes, on): parsed without error, the object is analysed', () => {
    const ds = SECOND_DS.replace(
      '      containers:\n',
      '      hostNetwork: yes\n      volumes:\n        - name: cfg\n          configMap: { name: cfg, defaultMode: 0644 }\n      containers:\n',
    ).replace('  namespace: logging\n', '  namespace: logging\n  labels: { legacy: on }\n');
    const { report } = runCase({ 'bad/yaml11.yaml': ds });
    expect(report.errors).toEqual([]);
    expect(findingsOn(report, 'bad/yaml11.yaml').map((f: any) => f.resource)).toContain('DaemonSet/logging/log-shipper');
    // The two readings differ (kubectl's go-yaml reads `yes` as true, 0644 as 420): a note on the first
    // block-style one (`hostNetwork: yes`), without the value (a note is printed in every report).
    const line = ds.split('\n').findIndex((l) => l.includes('hostNetwork: yes')) + 1;
    expect(report.notes.filter((n: string) => n.startsWith('bad/yaml11.yaml'))).toEqual([
      `bad/yaml11.yaml:${line}: a plain value YAML 1.1 reads as a boolean or an octal number (kubectl) is read as YAML 1.2 here (a string or a decimal number): write true / false, or the number in decimal`,
    ]);
  });

  it('custom tags (!Ref, !GetAtt): an error entry at the tag line', () => {
    const cfn = 'AWSTemplateFormatVersion: "2010-09-09"\nResources:\n  Bucket:\n    Type: AWS::S3::Bucket\n    Properties:\n      BucketName: !Ref Name\n      Arn: !GetAtt Role.Arn\n';
    const { report } = runCase({ 'bad/cfn.yaml': cfn });
    // js-yaml rejects the first unknown tag: one error, at the `!Ref` line.
    expect(expectError(report, 'bad/cfn.yaml', /unknown tag/).line).toBe(6);
  });

  it('Helm-template braces outside templates/ (control lines): an error entry at the line', () => {
    const ctl = '{{- if .Values.enabled }}\n' + SECOND_DS.replace('name: log-shipper\n', 'name: {{ .Release.Name }}-shipper\n') + '{{- end }}\n';
    const { report } = runCase({ 'bad/not-a-chart/ds.yaml': ctl });
    expect(expectError(report, 'bad/not-a-chart/ds.yaml', /YAML parse error/).line).toBe(1);
    expect(findingsOn(report, 'bad/not-a-chart/ds.yaml')).toEqual([]);
  });

  // `name: {{ .Release.Name }}` is valid YAML (a flow mapping whose key is a mapping) but no Kubernetes
  // object; kubectl rejects it (invalid map key), and src/yaml/parse.ts makes it an error entry at the line
  // of the first `{{`, with no object.
  it('Helm-template braces outside templates/ (value braces only): an error or a note, no object', () => {
    const tpl = 'apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: {{ .Release.Name }}\n  namespace: {{ .Release.Namespace }}\nspec:\n  replicas: {{ .Values.replicas }}\n';
    const { report } = runCase({ 'bad/not-a-chart/deploy.yaml': tpl });
    const said = errorsOf(report, 'bad/not-a-chart/deploy.yaml').filter((e: any) => e.line >= 1).length + report.notes.filter((n: string) => n.includes('bad/not-a-chart/deploy.yaml')).length;
    expect(said).toBeGreaterThan(0);
    // The agent's 4 objects and apps/web.yaml's Deployment, nothing from the template.
    expect(report.stats.resources).toBe(5);
  });

  it('empty documents and empty files: a clean skip', () => {
    const { report } = runCase({ 'bad/empty.yaml': '', 'bad/empty-docs.yaml': '---\n---\n# only a comment\n---\n', 'bad/ws.yaml': '\n\n   \n' });
    expect(report.errors).toEqual([]);
  });

  it('a kind with no apiVersion: a clean skip (no object, no error)', () => {
    const { report } = runCase({ 'bad/no-api.yaml': SECOND_DS.replace('apiVersion: apps/v1\n', '') });
    expect(report.errors).toEqual([]);
    expect(findingsOn(report, 'bad/no-api.yaml')).toEqual([]);
  });

  it('symlinks pointing outside the repo are never followed, kustomize rendering included', () => {
    const outside = mkdtempSync(join(tmpdir(), 'blast-radius-outside-'));
    try {
      const leaked = SECOND_DS.replace(/log-shipper/g, 'leaked-outside-marker');
      writeFileSync(join(outside, 'leak.yaml'), leaked);
      mkdirSync(join(outside, 'dir'));
      writeFileSync(join(outside, 'dir', 'kustomization.yaml'), 'resources: [leak.yaml]\n');
      writeFileSync(join(outside, 'dir', 'leak.yaml'), leaked);
      const k = (...r: string[]) => `apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n${r.map((x) => `  - ${x}`).join('\n')}\n`;
      const base = {
        '.blast-radius.yml': FLEET_CONFIG,
        'clusters/canary-1/kustomization.yaml': k('ns.yaml'),
        'clusters/canary-1/ns.yaml': 'apiVersion: v1\nkind: Namespace\nmetadata: { name: monitoring }\n',
      };
      const repo = rawPrRepo(base, {
        'clusters/canary-1/agent.yaml': AGENT,
        'clusters/canary-1/kustomization.yaml': k('ns.yaml', 'agent.yaml', 'leak-abs.yaml', 'leak-rel.yaml', 'linked-dir'),
        'clusters/canary-1/leak-abs.yaml': { symlink: join(outside, 'leak.yaml') },
        'clusters/canary-1/leak-rel.yaml': { symlink: `../../../../${outside.split('/').pop()}/leak.yaml` },
        'clusters/canary-1/linked-dir': { symlink: join(outside, 'dir') },
      });
      const tree = repo.git('ls-tree', '-r', 'pr', 'clusters/canary-1/');
      for (const l of ['leak-abs.yaml', 'leak-rel.yaml', 'linked-dir']) expect(tree).toMatch(new RegExp(`^120000 blob \\w+\\tclusters/canary-1/${l}$`, 'm'));
      // The links do resolve on disk: "not followed" is a real test.
      expect(readFileSync(join(repo.dir, 'clusters/canary-1/leak-rel.yaml'), 'utf8')).toContain('leaked-outside-marker');
      expect(readFileSync(join(repo.dir, 'clusters/canary-1/linked-dir/leak.yaml'), 'utf8')).toContain('leaked-outside-marker');
      const r = check(repo.dir);
      expect([0, 1]).toContain(r.code);
      expect(r.stdout).not.toContain('leaked-outside-marker');
      expectAgentFound(r.report, 'clusters/canary-1/agent.yaml');
      // kubectl kustomize ran on the materialized overlay, where the symlinks do not exist: a note says so.
      expect(r.report.notes.join('\n')).toMatch(/overlay clusters\/canary-1 \(head\) could not be rendered|rendered with the real tools: overlay clusters\/canary-1/);
      repo.cleanup();
    } finally {
      rmSync(outside, { recursive: true, force: true });
    }
  });

  it('paths with spaces and unicode: reported under their real path', () => {
    const file = 'clusters/prod eu/ñandú agent 🚀/agent.yaml';
    const repo = rawPrRepo(BASE, { [file]: AGENT, 'bad/ünïcödé file.yaml': SECOND_DS });
    const { code, report } = check(repo.dir);
    expect([0, 1]).toContain(code);
    expect(report.errors).toEqual([]);
    expectAgentFound(report, file);
    expect(findingsOn(report, 'bad/ünïcödé file.yaml').length).toBeGreaterThan(0);
    repo.cleanup();
  });

  it('deleted and renamed files: no error, the rest analysed', () => {
    const base = { ...BASE, 'apps/old.yaml': SECOND_DS, 'apps/moved.yaml': DEPLOYMENT.replace(/web/g, 'api') };
    const repo = rawPrRepo(base, { 'agent/agent.yaml': AGENT, 'apps/old.yaml': null, 'apps/moved.yaml': null, 'apps/renamed/api.yaml': base['apps/moved.yaml'] });
    expect(repo.git('diff', '--name-status', '-M', 'main', 'pr')).toMatch(/^R100\tapps\/moved\.yaml\tapps\/renamed\/api\.yaml$/m);
    const { code, report } = check(repo.dir);
    expect([0, 1]).toContain(code);
    expect(report.errors).toEqual([]);
    expectAgentFound(report);
    repo.cleanup();
  });

  it('a git submodule (gitlink entry): a clean skip', () => {
    const sha = 'a'.repeat(40);
    const repo = rawPrRepo(BASE, {
      'agent/agent.yaml': AGENT,
      '.gitmodules': '[submodule "vendor/charts"]\n\tpath = vendor/charts\n\turl = https://example.invalid/charts.git\n',
      'vendor/charts': { gitlink: sha },
    });
    expect(repo.git('ls-tree', 'pr', 'vendor/charts')).toBe(`160000 commit ${sha}\tvendor/charts`);
    const { code, report } = check(repo.dir);
    expect([0, 1]).toContain(code);
    expect(report.errors).toEqual([]);
    expectAgentFound(report);
    repo.cleanup();
  });

  it('a base ref that does not exist: exit 2 and exactly one clear line on stderr', () => {
    const repo = rawPrRepo(BASE, { 'agent/agent.yaml': AGENT });
    const r = runCli(['check', '--repo', repo.dir, '--base', 'no-such-branch', '--head', 'pr', '--format', 'json']);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    const lines = r.stderr.split('\n').filter((l) => l.trim() !== '');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain('no-such-branch');
    expect(lines[0]).toMatch(/does not exist/);
    repo.cleanup();
  });
});
