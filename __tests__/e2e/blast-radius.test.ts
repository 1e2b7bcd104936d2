/**
 * The blast-radius family end to end (the bundled CLI on real git repositories): a fleet of a 60-node
 * canary and two production clusters (4,800 and 3,200 nodes) laid out as clusters/<name> Kustomize
 * overlays over a shared base (issue 5's repo-level checks).
 */
import { afterAll, describe, expect, it } from 'vitest';
import { cleanupAll, prRepo, runCli } from '../helpers/git-fixture.js';
import { DEPLOYMENT, FLEET_CONFIG } from './fixtures.js';

afterAll(cleanupAll);

const k = (...resources: string[]) => `apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n${resources.map((r) => `  - ${r}`).join('\n')}\n`;

const agent = (image: string) => `apiVersion: apps/v1
kind: DaemonSet
metadata: { name: node-agent, namespace: monitoring }
spec:
  selector: { matchLabels: { app: node-agent } }
  updateStrategy: { type: RollingUpdate, rollingUpdate: { maxUnavailable: 1 } }
  template:
    metadata: { labels: { app: node-agent } }
    spec:
      containers:
        - name: agent
          image: ${image}
`;
const web = (image: string) => DEPLOYMENT.replace('nginx:1.27.1', image);
const config = (data: string) => `apiVersion: v1\nkind: ConfigMap\nmetadata: { name: web-config, namespace: shop }\ndata:\n${data}`;

/** Base: the agent, the web app and its config in base/, every cluster overlay including it. */
function fleet(): Record<string, string> {
  return {
    '.blast-radius.yml': FLEET_CONFIG,
    'base/kustomization.yaml': k('agent.yaml', 'web.yaml', 'config.yaml'),
    'base/agent.yaml': agent('example.com/node-agent:1.0.0'),
    'base/web.yaml': web('nginx:1.27.1'),
    'base/config.yaml': config('  LOG_LEVEL: info\n'),
    'clusters/canary-1/kustomization.yaml': k('../../base'),
    'clusters/prod-us/kustomization.yaml': k('../../base'),
    'clusters/prod-eu/kustomization.yaml': k('../../base'),
  };
}

function check(pr: Record<string, string | null>, format = 'json') {
  const repo = prRepo(fleet(), pr);
  const r = runCli(['check', '--repo', repo.dir, '--base', 'main', '--head', 'pr', '--format', format]);
  repo.cleanup();
  if (r.code > 1) throw new Error(r.stderr);
  return { code: r.code, out: r.stdout };
}
const fanOut = (report: any) => report.findings.filter((f: any) => f.ruleId === 'blast-radius/fleet-fan-out');

/** A patch in one overlay that changes the agent's image there only. */
const overlayImage = (cluster: string, image: string) => ({
  [`clusters/${cluster}/kustomization.yaml`]: `${k('../../base')}images:\n  - name: example.com/node-agent\n    newTag: "${image}"\n`,
});

describe('blast-radius on a canary + two production clusters fleet', () => {
  it('a shared-base DaemonSet image bump lists all three clusters with node totals, and fails the check', () => {
    const { code, out } = check({ 'base/agent.yaml': agent('example.com/node-agent:2.0.0') });
    const report = JSON.parse(out);
    expect(code).toBe(1);
    const [f, ...rest] = fanOut(report);
    expect(rest).toEqual([]);
    expect(f).toMatchObject({ severity: 'high', file: 'base/agent.yaml', line: 7, resource: 'DaemonSet/monitoring/node-agent', clusters: ['canary-1', 'prod-eu', 'prod-us'] });
    expect(f.message).toContain('reaches every cluster of the fleet (3 clusters, 8,060 nodes: canary-1 (60), prod-eu (3,200), prod-us (4,800)) in one merge');
    expect(f.message).toContain('container "agent" image "example.com/node-agent:1.0.0" → "example.com/node-agent:2.0.0"');
    // The text report's reach line for the finding.
    const text = check({ 'base/agent.yaml': agent('example.com/node-agent:2.0.0') }, 'text').out;
    expect(text).toContain('reach: 3 clusters, 8,060 nodes: canary-1 (60), prod-eu (3,200), prod-us (4,800)');
  });

  it('a change under one overlay reaches only that cluster', () => {
    const canary = JSON.parse(check(overlayImage('canary-1', '2.0.0')).out);
    expect(fanOut(canary)).toEqual([]);
    for (const f of canary.findings) expect(f.clusters).toEqual(['canary-1']);
    expect(canary.clusters.filter((c: any) => c.affected).map((c: any) => c.name)).toEqual(['canary-1']);

    // prod-us alone holds 4,800 of the 8,060 nodes, but one cluster is one stage: no fan-out, and what is
    // reported reaches prod-us only.
    const prodUs = check(overlayImage('prod-us', '2.0.0'));
    const report = JSON.parse(prodUs.out);
    expect(fanOut(report)).toEqual([]);
    for (const f of report.findings) expect(f.clusters).toEqual(['prod-us']);
    expect(report.clusters.filter((c: any) => c.affected).map((c: any) => c.name)).toEqual(['prod-us']);
    expect(prodUs.code).toBe(0);
  });

  it.each([
    ['a shared-base Deployment image bump', { 'base/web.yaml': web('nginx:1.27.2') }, ['low']],
    ['a one-overlay replica change', { 'clusters/prod-us/kustomization.yaml': `${k('../../base')}replicas:\n  - name: web\n    count: 5\n` }, []],
    ['a new ConfigMap key', { 'base/config.yaml': config('  LOG_LEVEL: info\n  FEATURE_X: "on"\n') }, ['low']],
  ])('%s passes at the default fail-on', (_name, pr, severities) => {
    const { code, out } = check(pr);
    const report = JSON.parse(out);
    expect(code).toBe(0);
    expect(report.findings.filter((f: any) => !f.suppressed && f.family === 'blast-radius').every((f: any) => f.severity === 'low')).toBe(true);
    expect(report.level === 'high' || report.level === 'critical').toBe(false);
    expect(fanOut(report).map((f: any) => f.severity)).toEqual(severities);
  });

  it('the reach line gives the bake time between stages when the repo holds CoreDNS\'s Corefile', () => {
    const coredns = (ttl: number) => `apiVersion: v1\nkind: ConfigMap\nmetadata: { name: coredns, namespace: kube-system }\ndata:\n  Corefile: |\n    .:53 {\n        kubernetes cluster.local\n        forward . /etc/resolv.conf\n        cache ${ttl}\n    }\n`;
    const base = {
      ...fleet(),
      'clusters/canary-1/coredns.yaml': coredns(30),
      'clusters/canary-1/kustomization.yaml': k('../../base', 'coredns.yaml'),
      'clusters/prod-us/coredns.yaml': coredns(300),
      'clusters/prod-us/kustomization.yaml': k('../../base', 'coredns.yaml'),
    };
    const repo = prRepo(base, { 'base/agent.yaml': agent('example.com/node-agent:2.0.0') });
    const run = (format: string) => runCli(['check', '--repo', repo.dir, '--base', 'main', '--head', 'pr', '--format', format]).stdout;
    const report = JSON.parse(run('json'));
    expect(report.clusters.map((c: any) => [c.name, c.bakeSeconds])).toEqual([['canary-1', 30], ['prod-eu', undefined], ['prod-us', 300]]);
    expect(run('text').replace(/\s+/g, ' ')).toContain('bake at least 30 s before the next stage: CoreDNS may answer from its cache that long'); // canary-1's: prod-us is the last stage
    repo.cleanup();
  });

  it('a label-only change in the shared base produces nothing', () => {
    const labelled = agent('example.com/node-agent:1.0.0').replace('namespace: monitoring }', 'namespace: monitoring, labels: { team: sre } }');
    const report = JSON.parse(check({ 'base/agent.yaml': labelled }).out);
    expect(report.findings).toEqual([]);
    expect(report.level).toBe('none');
  });
});
