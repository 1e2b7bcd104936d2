/**
 * The CLI end to end: real git repositories in temp dirs, `node dist/cli.js check` as a process, and the
 * JSON report checked against the contract (schema/report.schema.json) field for field.
 */
import { Ajv } from 'ajv';
import { readFileSync, writeFileSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { cleanupAll, PROJECT_ROOT, prRepo, runCli } from '../helpers/git-fixture.js';
import { ALIAS_BOMB, DEEP_DOCUMENT, DEPLOYMENT, FAIL_CLOSED_POD_WEBHOOK, fleetBase } from './fixtures.js';

const reportSchema = JSON.parse(readFileSync(`${PROJECT_ROOT}/schema/report.schema.json`, 'utf8'));
const validateReport = new Ajv({ allErrors: true, strict: false }).compile(reportSchema);

afterAll(cleanupAll);

function checkJson(dir: string, ...extra: string[]) {
  const r = runCli(['check', '--repo', dir, '--base', 'main', '--head', 'pr', '--format', 'json', ...extra]);
  let report: any;
  try {
    report = JSON.parse(r.stdout);
  } catch {
    throw new Error(`not JSON (exit ${r.code}): ${r.stdout.slice(0, 500)}\n${r.stderr}`);
  }
  expect(validateReport(report), JSON.stringify(validateReport.errors)).toBe(true);
  return { ...r, report };
}

describe('blast-radius check (JSON contract)', () => {
  it('reports a fail-closed pod webhook added to one production cluster, field for field', () => {
    const repo = prRepo(fleetBase(), { 'clusters/prod-us/webhook.yaml': FAIL_CLOSED_POD_WEBHOOK });
    const { code, report, stderr } = checkJson(repo.dir);
    expect(stderr).toBe('');
    expect(code).toBe(1); // high at the default fail-on high
    expect(report.level).toBe('high');
    expect(Object.keys(report)).toEqual(['schemaVersion', 'score', 'level', 'findings', 'clusters', 'errors', 'notes', 'stats']);
    const live = report.findings.filter((f: any) => !f.suppressed && f.family === 'blast-radius');
    expect(live).toHaveLength(2); // fail-closed (high) and the unset 10 s timeout (medium)
    // canary/production-first: the webhook reaches production (prod-us) and no earlier stage.
    expect(report.findings.filter((f: any) => f.family === 'canary').map((f: any) => [f.ruleId, f.severity, f.clusters])).toEqual([['canary/production-first', 'medium', ['prod-us']]]);
    const high = live.find((f: any) => f.severity === 'high');
    expect(high).toMatchObject({
      ruleId: 'blast-radius/admission-webhook',
      family: 'blast-radius',
      file: 'clusters/prod-us/webhook.yaml',
      line: 9, // failurePolicy: Fail
      resource: 'MutatingWebhookConfiguration/pod-injector',
      clusters: ['prod-us'],
      suppressed: false,
      suppressedBy: null,
    });
    expect(Object.keys(high)).toEqual(['ruleId', 'family', 'severity', 'message', 'remediation', 'file', 'line', 'resource', 'clusters', 'suppressed', 'suppressedBy']);
    // One high finding on prod-us: 4,800 of 8,060 nodes → reach 0.596; high 0.5 and medium 0.2 in one group → the max (high) counts.
    // canary/production-first (medium, resource null) is its own group on the same reach.
    expect(report.score).toBe(Math.round(100 * (1 - (1 - 0.5 * (4800 / 8060)) * (1 - 0.2 * (4800 / 8060)))));
    expect(report.clusters).toEqual([
      { name: 'canary-1', nodes: 60, nodesAssumed: false, stage: 'canary', affected: false },
      { name: 'prod-eu', nodes: 3200, nodesAssumed: false, stage: 'prod', affected: false },
      { name: 'prod-us', nodes: 4800, nodesAssumed: false, stage: 'prod', affected: true },
    ]);
    expect(report.errors).toEqual([]);
    expect(report.stats).toMatchObject({ changedFiles: 1, resources: 4, unparsedFiles: 0 });
    repo.cleanup();
  });

  it('gives score 0, no findings, no errors and exit 0 for a PR touching only a CI workflow and a docs config', () => {
    const repo = prRepo(fleetBase(), {
      '.github/workflows/ci.yml': 'name: ci\non: [push]\njobs:\n  test:\n    runs-on: ubuntu-latest\n    steps:\n      - run: echo hi\n',
      'mkdocs.yml': 'site_name: Infra\nnav:\n  - Home: index.md\n',
    });
    const { code, report } = checkJson(repo.dir);
    expect(code).toBe(0);
    expect(report).toMatchObject({ score: 0, level: 'none', findings: [], errors: [] });
    expect(report.clusters.every((c: any) => !c.affected)).toBe(true);
    repo.cleanup();
  });

  it('turns a broken manifest into an errors entry with file and line, and still analyses the rest', () => {
    const repo = prRepo(fleetBase(), {
      'clusters/prod-eu/broken.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\ndata:\n  a: [1, 2\n  b: c\n',
      'clusters/prod-eu/webhook.yaml': FAIL_CLOSED_POD_WEBHOOK,
    });
    const { code, report } = checkJson(repo.dir);
    expect([0, 1]).toContain(code);
    expect(report.errors).toHaveLength(1);
    expect(report.errors[0].file).toBe('clusters/prod-eu/broken.yaml');
    expect(report.errors[0].line).toBeGreaterThanOrEqual(6);
    expect(report.errors[0].message).toMatch(/YAML parse error/);
    expect(report.findings.some((f: any) => f.ruleId === 'blast-radius/admission-webhook' && f.clusters[0] === 'prod-eu')).toBe(true);
    repo.cleanup();
  });

  it('turns an alias bomb and a 5,000-deep document into errors, not hangs', () => {
    const repo = prRepo(fleetBase(), {
      'clusters/canary-1/bomb.yaml': ALIAS_BOMB,
      'clusters/canary-1/deep.yaml': DEEP_DOCUMENT,
      'clusters/canary-1/web.yaml': DEPLOYMENT.replace('replicas: 3', 'replicas: 4'),
    });
    const started = Date.now();
    const { code, report } = checkJson(repo.dir);
    expect(Date.now() - started).toBeLessThan(30_000);
    expect(code).toBe(0);
    expect(report.errors.map((e: any) => e.file)).toEqual(['clusters/canary-1/bomb.yaml', 'clusters/canary-1/deep.yaml']);
    expect(report.errors[0].message).toMatch(/alias bomb/);
    expect(report.errors[1].message).toMatch(/nesting exceeded maxDepth/);
    expect(report.stats.resources).toBe(3);
    repo.cleanup();
  });

  it('counts broken files the PR does not touch in stats.unparsedFiles, not in errors', () => {
    const base = { ...fleetBase(), 'clusters/prod-us/old-broken.yaml': 'a: [\n' };
    const repo = prRepo(base, { 'clusters/prod-us/web.yaml': DEPLOYMENT.replace('1.27.1', '1.27.2') });
    const { report } = checkJson(repo.dir);
    expect(report.errors).toEqual([]);
    expect(report.stats.unparsedFiles).toBe(1);
    repo.cleanup();
  });

  it('is byte-identical for the same input, except stats.durationMs', () => {
    const repo = prRepo(fleetBase(), { 'clusters/prod-us/webhook.yaml': FAIL_CLOSED_POD_WEBHOOK, 'clusters/x/bad.yaml': ': :\n' });
    const strip = (s: string) => s.replace(/"durationMs": \d+/, '"durationMs": 0');
    const a = runCli(['check', '--repo', repo.dir, '--base', 'main', '--head', 'pr', '--format', 'json']);
    const b = runCli(['check', '--repo', repo.dir, '--base', 'main', '--head', 'pr', '--format', 'json']);
    expect(strip(a.stdout)).toBe(strip(b.stdout));
    for (const format of ['text', 'markdown', 'sarif']) {
      const x = runCli(['check', '--repo', repo.dir, '--base', 'main', '--head', 'pr', '--format', format]);
      const y = runCli(['check', '--repo', repo.dir, '--base', 'main', '--head', 'pr', '--format', format]);
      expect(x.stdout).toBe(y.stdout);
    }
    repo.cleanup();
  });
});

describe('blast-radius check (exit codes and config)', () => {
  it('exits 2 with one clear line when the config in force is invalid', () => {
    const base = { ...fleetBase(), '.blast-radius.yml': 'fleet:\n  clusters:\n    - { name: prod-us, nodes: 0 }\n' };
    const repo = prRepo(base, { 'clusters/prod-us/web.yaml': DEPLOYMENT.replace('1.27.1', '1.27.2') });
    const r = runCli(['check', '--repo', repo.dir, '--base', 'main', '--head', 'pr', '--format', 'json']);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/\.blast-radius\.yml:3: fleet\.clusters\[0\]\.nodes: must be >= 1/);
    repo.cleanup();
  });

  it('exits 2 for an invalid --config file, naming the key', () => {
    const repo = prRepo(fleetBase(), { 'clusters/prod-us/web.yaml': DEPLOYMENT.replace('1.27.1', '1.27.2') });
    const cfg = `${repo.dir}/../local.yml`;
    writeFileSync(cfg, 'failOn: sometimes\n');
    const r = runCli(['check', '--repo', repo.dir, '--base', 'main', '--head', 'pr', '--config', cfg]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/local\.yml:1: failOn: must be one of "none", "low", "medium", "high", "critical"/);
    repo.cleanup();
  });

  it('makes an invalid config introduced by the PR a high finding on its line, while the base config stays in force', () => {
    const repo = prRepo(fleetBase(), { '.blast-radius.yml': 'fleet:\n  clusters:\n    - name: prod-us\n      nodez: 4800\n' });
    const { code, report } = checkJson(repo.dir);
    expect(code).toBe(1);
    expect(report.findings).toEqual([
      expect.objectContaining({ ruleId: 'config/invalid', severity: 'high', file: '.blast-radius.yml', line: 4, resource: null }),
    ]);
    expect(report.findings[0].message).toMatch(/fleet\.clusters\[0\]\.nodez: unknown key/);
    expect(report.clusters.map((c: any) => c.name)).toEqual(['canary-1', 'prod-eu', 'prod-us']); // base config in force
    repo.cleanup();
  });

  it('does not blame a PR for a config that main changed after the branch was made', () => {
    const repo = prRepo({ ...fleetBase(), '.blast-radius.yml': 'failOn: hihg\n' }, { 'clusters/prod-us/web.yaml': DEPLOYMENT.replace('1.27.1', '1.27.2') });
    repo.checkout('main');
    repo.commit({ '.blast-radius.yml': fleetBase()['.blast-radius.yml'] }, 'fix the config');
    repo.checkout('pr');
    const { code, report } = checkJson(repo.dir);
    expect(code).toBe(0);
    // Only the canary family speaks (the image bump reaches production first, in a container without a
    // readiness probe); nothing about the config.
    expect(report.findings.map((f: any) => f.ruleId).sort()).toEqual(['canary/production-first', 'canary/unguarded-change']);
    expect(report.notes.join('\n')).not.toMatch(/edits \.blast-radius\.yml/);
    repo.cleanup();
  });

  it('uses the PR config when the base one is invalid and the PR fixes it, and says so', () => {
    const base = { ...fleetBase(), '.blast-radius.yml': 'failOn: maybe\n' };
    const repo = prRepo(base, { '.blast-radius.yml': fleetBase()['.blast-radius.yml'] });
    const { code, report } = checkJson(repo.dir);
    expect(code).toBe(0);
    expect(report.notes.join('\n')).toMatch(/on the base is invalid/);
    expect(report.clusters).toHaveLength(3);
    repo.cleanup();
  });

  it('exits 2 with one line for a base ref that does not exist, and for bad flags', () => {
    const repo = prRepo(fleetBase(), { 'x.yaml': 'a: 1\n' });
    for (const args of [
      ['check', '--repo', repo.dir, '--base', 'no-such-branch', '--head', 'pr'],
      ['check', '--repo', repo.dir, '--format', 'xml'],
      ['check', '--repo', repo.dir, '--fail-on', 'sometimes'],
      ['check', '--no-such-flag'],
      ['lint'],
    ]) {
      const r = runCli(args);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stderr.trim().split('\n'), args.join(' ')).toHaveLength(1);
    }
    expect(runCli(['check', '--repo', repo.dir, '--base', 'no-such-branch']).stderr).toMatch(/base ref "no-such-branch" does not exist/);
    repo.cleanup();
  });

  it('takes the fail-on level from --fail-on, else the config failOn, else high', () => {
    const medium = FAIL_CLOSED_POD_WEBHOOK.replace('resources: ["pods"]', 'resources: ["ingresses"]').replace('apiGroups: [""]', 'apiGroups: ["networking.k8s.io"]');
    const repo = prRepo(fleetBase(), { 'clusters/prod-us/webhook.yaml': medium });
    expect(checkJson(repo.dir).report.level).toBe('medium');
    expect(checkJson(repo.dir).code).toBe(0);
    expect(checkJson(repo.dir, '--fail-on', 'medium').code).toBe(1);
    expect(checkJson(repo.dir, '--fail-on', 'none').code).toBe(0);
    repo.cleanup();
    const strict = prRepo({ ...fleetBase(), '.blast-radius.yml': fleetBase()['.blast-radius.yml'] + 'failOn: medium\n' }, { 'clusters/prod-us/webhook.yaml': medium });
    expect(checkJson(strict.dir).code).toBe(1);
    expect(checkJson(strict.dir, '--fail-on', 'critical').code).toBe(0);
    strict.cleanup();
  });

  it('suppresses findings with a verified accept label, and with the ignore annotation', () => {
    const base = { ...fleetBase(), '.blast-radius.yml': fleetBase()['.blast-radius.yml'] + 'acceptLabel: blast-radius-accept\n' };
    const repo = prRepo(base, { 'clusters/prod-us/webhook.yaml': FAIL_CLOSED_POD_WEBHOOK });
    const accepted = checkJson(repo.dir, '--labels', 'other,blast-radius-accept');
    expect(accepted.code).toBe(0);
    expect(accepted.report).toMatchObject({ level: 'none', score: 0 });
    expect(accepted.report.findings.every((f: any) => f.suppressed && f.suppressedBy === 'label blast-radius-accept')).toBe(true);
    expect(checkJson(repo.dir, '--labels', 'other').code).toBe(1);
    repo.cleanup();

    const annotated = FAIL_CLOSED_POD_WEBHOOK.replace(
      '  name: pod-injector\n',
      '  name: pod-injector\n  annotations:\n    blast-radius.dev/ignore: "blast-radius/admission-webhook -- backend runs 5 replicas behind a PDB"\n',
    );
    const ignored = prRepo(fleetBase(), { 'clusters/prod-us/webhook.yaml': annotated });
    const r = checkJson(ignored.dir);
    expect(r.code).toBe(0);
    const webhook = r.report.findings.filter((f: any) => f.ruleId === 'blast-radius/admission-webhook');
    expect(webhook.length).toBeGreaterThan(0);
    expect(webhook[0].suppressedBy).toBe('annotation blast-radius.dev/ignore: backend runs 5 replicas behind a PDB');
    ignored.cleanup();
  });

  it('turns off a rule, or changes its severity, through the config', () => {
    const cfg = fleetBase()['.blast-radius.yml'];
    const off = prRepo({ ...fleetBase(), '.blast-radius.yml': cfg + 'rules:\n  blast-radius/admission-webhook: off\n' }, { 'clusters/prod-us/webhook.yaml': FAIL_CLOSED_POD_WEBHOOK });
    expect(checkJson(off.dir).report.findings.filter((f: any) => f.family === 'blast-radius')).toEqual([]);
    off.cleanup();
    const low = prRepo({ ...fleetBase(), '.blast-radius.yml': cfg + 'rules:\n  blast-radius/admission-webhook: { severity: low }\n' }, { 'clusters/prod-us/webhook.yaml': FAIL_CLOSED_POD_WEBHOOK });
    const r = checkJson(low.dir);
    expect(r.code).toBe(0);
    expect(r.report.findings.filter((f: any) => f.ruleId === 'blast-radius/admission-webhook').every((f: any) => f.severity === 'low')).toBe(true);
    low.cleanup();
  });

  it('reaches the implicit cluster unmapped for a file no cluster receives', () => {
    const repo = prRepo(fleetBase(), { 'platform/webhook.yaml': FAIL_CLOSED_POD_WEBHOOK });
    const { report } = checkJson(repo.dir);
    expect(report.findings[0].clusters).toEqual(['unmapped']);
    expect(report.clusters.at(-1)).toEqual({ name: 'unmapped', nodes: 5000, nodesAssumed: true, stage: 'prod', affected: true });
    expect(report.score).toBe(50); // high (0.5) × reach 1.0 for unmapped
    repo.cleanup();
  });

  it('infers clusters and stages from the layout when there is no config', () => {
    const repo = prRepo(
      { 'clusters/staging-eu/web.yaml': DEPLOYMENT, 'clusters/prod-us/web.yaml': DEPLOYMENT },
      { 'clusters/staging-eu/webhook.yaml': FAIL_CLOSED_POD_WEBHOOK },
    );
    const { report } = checkJson(repo.dir);
    expect(report.clusters).toEqual([
      { name: 'staging-eu', nodes: 100, nodesAssumed: true, stage: 'staging', affected: true },
      { name: 'prod-us', nodes: 5000, nodesAssumed: true, stage: 'prod', affected: false },
    ]);
    repo.cleanup();
  });
});
