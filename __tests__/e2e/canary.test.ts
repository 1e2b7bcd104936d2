/**
 * The canary family end to end (the bundled CLI on real git repositories): a 60-node canary and two
 * production clusters laid out as clusters/<name> Kustomize overlays over a shared base, and a config-less
 * environments/<name> layout whose stages are inferred (issue 6's repo-level checks).
 */
import { afterAll, describe, expect, it } from 'vitest';
import { cleanupAll, prRepo, runCli } from '../helpers/git-fixture.js';
import { DEPLOYMENT, FLEET_CONFIG } from './fixtures.js';

afterAll(cleanupAll);

const k = (...resources: string[]) => `apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n${resources.map((r) => `  - ${r}`).join('\n')}\n`;
const pin = (tag: string) => `images:\n  - name: nginx\n    newTag: "${tag}"\n`;

function fleet(): Record<string, string> {
  return {
    '.blast-radius.yml': FLEET_CONFIG,
    'base/kustomization.yaml': k('web.yaml'),
    'base/web.yaml': DEPLOYMENT,
    'clusters/canary-1/kustomization.yaml': k('../../base'),
    'clusters/prod-us/kustomization.yaml': k('../../base'),
    'clusters/prod-eu/kustomization.yaml': k('../../base'),
  };
}

function check(base: Record<string, string>, pr: Record<string, string | null>) {
  const repo = prRepo(base, pr);
  const r = runCli(['check', '--repo', repo.dir, '--base', 'main', '--head', 'pr', '--format', 'json']);
  repo.cleanup();
  if (r.code > 1) throw new Error(r.stderr);
  return JSON.parse(r.stdout);
}
const stages = (report: any) => report.findings.filter((f: any) => f.ruleId === 'canary/stages-in-one-pr');
const canary = (report: any) => report.findings.filter((f: any) => f.family === 'canary');

describe('canary on a canary + two production clusters fleet', () => {
  it('one PR bumping the image in the canary and both production overlays: a stages finding', () => {
    const overlay = (c: string) => ({ [`clusters/${c}/kustomization.yaml`]: `${k('../../base')}${pin('1.27.2')}` });
    const report = check(fleet(), { ...overlay('canary-1'), ...overlay('prod-us'), ...overlay('prod-eu') });
    const [f, ...rest] = stages(report);
    expect(rest).toEqual([]);
    expect(f.clusters).toEqual(['canary-1', 'prod-eu', 'prod-us']);
    expect(f.message).toMatch(/canary/);
    expect(f.message).toMatch(/prod/);
  });

  it('the same bump in the canary overlay alone: no canary finding', () => {
    const report = check(fleet(), { 'clusters/canary-1/kustomization.yaml': `${k('../../base')}${pin('1.27.2')}` });
    expect(canary(report)).toEqual([]);
  });

  it('a base change every overlay includes: a stages finding naming all stages', () => {
    const report = check(fleet(), { 'base/web.yaml': DEPLOYMENT.replace('nginx:1.27.1', 'nginx:1.27.2') });
    const [f, ...rest] = stages(report);
    expect(rest).toEqual([]);
    expect(f.clusters).toEqual(['canary-1', 'prod-eu', 'prod-us']);
    expect(f.message).toContain('canary');
    expect(f.message).toContain('prod');
    // The Markdown report proposes the staged plan.
    const repo = prRepo(fleet(), { 'base/web.yaml': DEPLOYMENT.replace('nginx:1.27.1', 'nginx:1.27.2') });
    const md = runCli(['check', '--repo', repo.dir, '--base', 'main', '--head', 'pr', '--format', 'markdown']).stdout;
    repo.cleanup();
    expect(md).toContain('| 1 | canary | canary-1 (60) |');
    expect(md).toContain('| 2 | prod | prod-eu (3,200) |');
    expect(md).toContain('| 3 | prod | prod-us (4,800) | — |');
  });

  it('a promotion (production gets exactly what the canary already runs) is quiet', () => {
    const base = { ...fleet(), 'clusters/canary-1/kustomization.yaml': `${k('../../base')}${pin('1.27.2')}` };
    const overlay = (c: string) => ({ [`clusters/${c}/kustomization.yaml`]: `${k('../../base')}${pin('1.27.2')}` });
    expect(canary(check(base, { ...overlay('prod-us'), ...overlay('prod-eu') }))).toEqual([]);
  });
});

describe('canary with no config: stages inferred from environments/<name>', () => {
  it('a change to staging and production in one PR gives the stages finding', () => {
    const base = {
      'environments/staging/web.yaml': DEPLOYMENT,
      'environments/production/web.yaml': DEPLOYMENT,
    };
    const bumped = DEPLOYMENT.replace('nginx:1.27.1', 'nginx:1.27.2');
    const report = check(base, { 'environments/staging/web.yaml': bumped, 'environments/production/web.yaml': bumped });
    const [f, ...rest] = stages(report);
    expect(rest).toEqual([]);
    expect(f.clusters).toEqual(['production', 'staging']);
    expect(report.clusters.map((c: any) => [c.name, c.stage])).toEqual([['staging', 'staging'], ['production', 'prod']]);
  });
});
