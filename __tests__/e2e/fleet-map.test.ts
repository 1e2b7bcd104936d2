/**
 * The fleet map end to end (issue 3): clusters as `clusters/<name>` overlays over shared bases, Flux and
 * Argo CD pointing at paths, and `unmapped`. What a change reaches is read from the report's clusters
 * (`affected`) and from the clusters of a finding on the changed object.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { cleanupAll, prRepo, runCli } from '../helpers/git-fixture.js';
import { DEPLOYMENT, FAIL_CLOSED_POD_WEBHOOK } from './fixtures.js';

afterAll(cleanupAll);

const CONFIG = `fleet:
  clusters:
    - { name: canary-1, nodes: 60, stage: canary, paths: ["clusters/canary-1/**"] }
    - { name: prod-us, nodes: 4800, stage: prod, paths: ["clusters/prod-us/**"] }
    - { name: prod-eu, nodes: 3200, stage: prod, paths: ["clusters/prod-eu/**"], argocd: { name: eu-1, server: "https://eu.example.com" } }
rollout:
  stages: [canary, prod]
`;

const kustomization = (...resources: string[]) => `apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n${resources.map((r) => `  - ${r}`).join('\n')}\n`;

/** clusters/<name> overlays over base/ (which includes base/platform/), plus apps and gitops folders. */
function fleetRepo(): Record<string, string> {
  return {
    '.blast-radius.yml': CONFIG,
    'base/kustomization.yaml': kustomization('web.yaml', 'platform'),
    'base/web.yaml': DEPLOYMENT,
    'base/platform/kustomization.yaml': kustomization('cm.yaml'),
    'base/platform/cm.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata: { name: platform, namespace: kube-system }\ndata: { a: "1" }\n',
    'clusters/canary-1/kustomization.yaml': kustomization('../../base'),
    'clusters/prod-us/kustomization.yaml': kustomization('../../base', 'local.yaml'),
    'clusters/prod-us/local.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata: { name: local, namespace: default }\ndata: { a: "1" }\n',
    'clusters/prod-eu/kustomization.yaml': kustomization('../../base'),
    'apps/orphan/cm.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata: { name: orphan }\n',
  };
}

function check(repo: { dir: string }) {
  const r = runCli(['check', '--repo', repo.dir, '--base', 'main', '--head', 'pr', '--format', 'json']);
  if (r.code > 1) throw new Error(r.stderr);
  return JSON.parse(r.stdout);
}
const affected = (report: any) => report.clusters.filter((c: any) => c.affected).map((c: any) => c.name);
const webhookClusters = (report: any) => [...new Set(report.findings.filter((f: any) => f.ruleId === 'blast-radius/admission-webhook').map((f: any) => f.clusters.join(',')))];

describe('fleet map', () => {
  it('fans a change in a shared base (two levels down) out to every cluster that includes it', () => {
    const repo = prRepo(fleetRepo(), { 'base/platform/cm.yaml': fleetRepo()['base/platform/cm.yaml'].replace('"1"', '"2"') });
    expect(affected(check(repo))).toEqual(['canary-1', 'prod-eu', 'prod-us']);
    repo.cleanup();
  });

  it('reports an object added to a shared base once, reaching all three clusters', () => {
    const repo = prRepo(fleetRepo(), {
      'base/platform/webhook.yaml': FAIL_CLOSED_POD_WEBHOOK,
      'base/platform/kustomization.yaml': kustomization('cm.yaml', 'webhook.yaml'),
    });
    const report = check(repo);
    expect(webhookClusters(report)).toEqual(['canary-1,prod-eu,prod-us']);
    expect(report.findings.filter((f: any) => f.severity === 'high' && f.family === 'blast-radius')).toHaveLength(1);
    // With canary/stages-in-one-pr (high: the PR reaches every stage with a high finding; fleet-wide-push
    // then stays quiet, one canary finding per PR): two groups on the whole fleet, high each: 1 − 0.5 × 0.5.
    expect(report.findings.filter((f: any) => f.severity === 'high').map((f: any) => f.ruleId).sort()).toEqual(['blast-radius/admission-webhook', 'canary/stages-in-one-pr']);
    expect(report.findings.filter((f: any) => f.family === 'canary').map((f: any) => f.ruleId)).toEqual(['canary/stages-in-one-pr']);
    expect(report.score).toBe(75);
    repo.cleanup();
  });

  it('keeps a change under one overlay to that cluster', () => {
    const repo = prRepo(fleetRepo(), { 'clusters/prod-us/local.yaml': fleetRepo()['clusters/prod-us/local.yaml'].replace('"1"', '"2"') });
    expect(affected(check(repo))).toEqual(['prod-us']);
    repo.cleanup();
  });

  it('maps a change to a kustomization file itself to the clusters that build it', () => {
    const repo = prRepo(fleetRepo(), { 'clusters/canary-1/kustomization.yaml': kustomization('../../base') + 'namespace: canary\n' });
    expect(affected(check(repo))).toEqual(['canary-1']);
    repo.cleanup();
  });

  it('sends a path no cluster includes to unmapped', () => {
    const repo = prRepo(fleetRepo(), { 'apps/orphan/cm.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata: { name: orphan }\ndata: { b: "2" }\n' });
    const report = check(repo);
    expect(affected(report)).toEqual(['unmapped']);
    expect(report.clusters.at(-1)).toMatchObject({ name: 'unmapped', nodes: 5000, nodesAssumed: true });
    repo.cleanup();
  });

  it('maps the path a Flux Kustomization points at to the cluster whose root holds it', () => {
    const base = {
      ...fleetRepo(),
      'clusters/prod-us/kustomization.yaml': kustomization('../../base', 'local.yaml', 'apps.yaml'),
      'clusters/prod-us/apps.yaml': `apiVersion: kustomize.toolkit.fluxcd.io/v1
kind: Kustomization
metadata: { name: apps, namespace: flux-system }
spec:
  interval: 10m
  path: ./apps/production
  prune: true
  sourceRef: { kind: GitRepository, name: flux-system }
`,
      'apps/production/cm.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata: { name: prod-app, namespace: default }\n',
    };
    const repo = prRepo(base, { 'apps/production/webhook.yaml': FAIL_CLOSED_POD_WEBHOOK });
    const report = check(repo);
    expect(webhookClusters(report)).toEqual(['prod-us']);
    expect(affected(report)).toEqual(['prod-us']);
    repo.cleanup();
  });

  it('maps the path an Argo CD Application points at to its destination cluster', () => {
    const base = {
      ...fleetRepo(),
      'argocd/apps/eu-monitoring.yaml': `apiVersion: argoproj.io/v1alpha1
kind: Application
metadata: { name: eu-monitoring, namespace: argocd }
spec:
  project: default
  source: { repoURL: "https://git.example.com/infra.git", targetRevision: main, path: monitoring/eu }
  destination: { name: eu-1, namespace: monitoring }
`,
      'monitoring/eu/cm.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata: { name: eu-mon, namespace: monitoring }\n',
    };
    const repo = prRepo(base, { 'monitoring/eu/webhook.yaml': FAIL_CLOSED_POD_WEBHOOK });
    const report = check(repo);
    expect(webhookClusters(report)).toEqual(['prod-eu']);
    expect(affected(report)).toEqual(['prod-eu']);
    repo.cleanup();
  });

  it('maps an ApplicationSet with a clusters generator over every cluster', () => {
    const base = {
      ...fleetRepo(),
      'argocd/appsets/agents.yaml': `apiVersion: argoproj.io/v1alpha1
kind: ApplicationSet
metadata: { name: agents, namespace: argocd }
spec:
  generators:
    - clusters: {}
  template:
    metadata: { name: "agents-{{name}}" }
    spec:
      project: default
      source: { repoURL: "https://git.example.com/infra.git", targetRevision: main, path: agents }
      destination: { name: "{{name}}", namespace: agents }
`,
      'agents/cm.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata: { name: agents, namespace: agents }\n',
    };
    const repo = prRepo(base, { 'agents/webhook.yaml': FAIL_CLOSED_POD_WEBHOOK });
    expect(webhookClusters(check(repo))).toEqual(['canary-1,prod-eu,prod-us']);
    repo.cleanup();
  });
});
