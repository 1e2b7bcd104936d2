/**
 * watch-all/daemonset-cluster-watch end to end on a fleet of a 60-node canary and two production
 * clusters (4,800 and 3,200 nodes) laid out as clusters/<name> overlays over shared bases (issue 3).
 */
import { afterAll, describe, expect, it } from 'vitest';
import { cleanupAll, prRepo, runCli } from '../helpers/git-fixture.js';
import { AGENT, FLEET_CONFIG } from './fixtures.js';

afterAll(cleanupAll);

const CONFIG = FLEET_CONFIG;


const k = (...resources: string[]) => `apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n${resources.map((r) => `  - ${r}`).join('\n')}\n`;

function check(dir: string) {
  const r = runCli(['check', '--repo', dir, '--base', 'main', '--head', 'pr', '--format', 'json']);
  if (r.code > 1) throw new Error(r.stderr);
  return { code: r.code, report: JSON.parse(r.stdout) };
}
const watchAll = (report: any) => report.findings.filter((f: any) => f.ruleId === 'watch-all/daemonset-cluster-watch');

describe('watch-all/daemonset-cluster-watch on a fleet', () => {
  it('shows the staging trap in one finding when a shared base adds the agent to every cluster', () => {
    const repo = prRepo(
      {
        '.blast-radius.yml': CONFIG,
        'base/kustomization.yaml': k('cm.yaml'),
        'base/cm.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata: { name: x, namespace: default }\n',
        'clusters/canary-1/kustomization.yaml': k('../../base'),
        'clusters/prod-us/kustomization.yaml': k('../../base'),
        'clusters/prod-eu/kustomization.yaml': k('../../base'),
      },
      { 'base/agent.yaml': AGENT, 'base/kustomization.yaml': k('cm.yaml', 'agent.yaml') },
    );
    const { code, report } = check(repo.dir);
    expect(code).toBe(1);
    const [f, ...rest] = watchAll(report);
    expect(rest).toEqual([]);
    expect(f).toMatchObject({ severity: 'critical', file: 'base/agent.yaml', line: 13, resource: 'DaemonSet/monitoring/node-telemetry', clusters: ['canary-1', 'prod-eu', 'prod-us'] });
    expect(f.message).toContain('canary-1 (60 nodes): relist 0.8 GiB, 0.004× capacity — passes; prod-us (4,800 nodes): 5.1 TiB, 25× — overload');
    // The Markdown report: the per-cluster table and the chart over the fleet's cluster sizes.
    const md = runCli(['check', '--repo', repo.dir, '--base', 'main', '--head', 'pr', '--format', 'markdown']).stdout;
    expect(md).toContain('| prod-us | 4,800 | 5.1 TiB | — | 25× overload |');
    expect(md).toContain('x-axis "nodes" ["60", "3,200", "4,800"]');
    repo.cleanup();
  });

  it('reports an agent already running in the canary when the PR adds it to both production clusters', () => {
    const base = {
      '.blast-radius.yml': CONFIG,
      'base/agent/kustomization.yaml': k('agent.yaml'),
      'base/agent/agent.yaml': AGENT,
      'clusters/canary-1/kustomization.yaml': k('../../base/agent'),
      'clusters/prod-us/kustomization.yaml': k('ns.yaml'),
      'clusters/prod-us/ns.yaml': 'apiVersion: v1\nkind: Namespace\nmetadata: { name: monitoring }\n',
      'clusters/prod-eu/kustomization.yaml': k('ns.yaml'),
      'clusters/prod-eu/ns.yaml': 'apiVersion: v1\nkind: Namespace\nmetadata: { name: monitoring }\n',
    };
    // On the base only the canary runs it: quiet for an unrelated change.
    const quiet = prRepo(base, { 'clusters/prod-us/ns.yaml': base['clusters/prod-us/ns.yaml'].replace('monitoring }', 'monitoring, labels: { a: b } }') });
    expect(watchAll(check(quiet.dir).report)).toEqual([]);
    quiet.cleanup();

    const repo = prRepo(base, {
      'clusters/prod-us/kustomization.yaml': k('ns.yaml', '../../base/agent'),
      'clusters/prod-eu/kustomization.yaml': k('ns.yaml', '../../base/agent'),
    });
    const [f, ...rest] = watchAll(check(repo.dir).report);
    expect(rest).toEqual([]);
    expect(f.severity).toBe('critical');
    expect(f.clusters).toEqual(['canary-1', 'prod-eu', 'prod-us']);
    repo.cleanup();
  });

  it('joins through namespace, namePrefix and a patch in one overlay, and the patch that scopes the agent to its node quiets that overlay only', () => {
    const base = {
      '.blast-radius.yml': CONFIG,
      'base/agent/kustomization.yaml': k('agent.yaml'),
      'base/agent/agent.yaml': AGENT,
      'clusters/canary-1/kustomization.yaml': k('../../base/agent'),
      'clusters/prod-us/kustomization.yaml': k('../../base/agent'),
      'clusters/prod-eu/kustomization.yaml': k('ns.yaml'),
      'clusters/prod-eu/ns.yaml': 'apiVersion: v1\nkind: Namespace\nmetadata: { name: telemetry }\n',
    };
    const overlay = `apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
namespace: telemetry
namePrefix: eu-
resources:
  - ns.yaml
  - ../../base/agent
patches:
  - path: node-scope.yaml
`;
    const patch = `apiVersion: apps/v1
kind: DaemonSet
metadata:
  name: node-telemetry
  annotations:
    blast-radius.dev/api-scope: node
spec:
  template:
    spec:
      containers:
        - name: agent
          env:
            - name: NODE_NAME
              valueFrom: { fieldRef: { fieldPath: spec.nodeName } }
          args: ["--pod-field-selector=spec.nodeName=$(NODE_NAME)"]
`;
    // Without the patch the renamed, re-namespaced copy still joins DaemonSet → SA → binding → role.
    const unpatched = prRepo(base, { 'clusters/prod-eu/kustomization.yaml': overlay.replace('patches:\n  - path: node-scope.yaml\n', '') });
    const [u] = watchAll(check(unpatched.dir).report);
    expect(u).toMatchObject({ resource: 'DaemonSet/telemetry/eu-node-telemetry', clusters: ['prod-eu'], severity: 'critical' });
    expect(u.message).toContain('ServiceAccount "telemetry/eu-node-telemetry"');
    expect(u.message).toContain('ClusterRole "eu-node-telemetry"');
    unpatched.cleanup();

    // With the patch: quiet in prod-eu, while canary-1 and prod-us (unchanged) stay as they were.
    const patched = prRepo(base, { 'clusters/prod-eu/kustomization.yaml': overlay, 'clusters/prod-eu/node-scope.yaml': patch });
    const { report } = check(patched.dir);
    expect(watchAll(report)).toEqual([]);
    // agent.yaml (4), ns.yaml, the patch and four kustomizations: every document with apiVersion and kind
    // (DESIGN.md), inputs of a build included.
    expect(report.stats.resources).toBe(10);
    patched.cleanup();
  });
});
