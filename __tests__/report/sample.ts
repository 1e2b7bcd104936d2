/** A sample report shared by the renderer tests: a critical, a medium, a change-wide, a config and a suppressed finding. */
import type { Finding, Report, RuleMeta } from '../../src/types.js';

export const RULES: RuleMeta[] = [
  {
    id: 'watch-all/daemonset-cluster-watch', family: 'watch-all', type: 'state', severity: 'critical',
    description: 'Flag per-node agents that watch cluster-wide.', docs: 'docs/rules/watch-all/daemonset-cluster-watch.md',
    remediation: 'Scope the agent to its own node.',
  },
  {
    id: 'canary/max-unavailable', family: 'canary', type: 'state', severity: 'medium',
    description: 'Flag rollouts that take every replica down at once.', docs: 'docs/rules/canary/max-unavailable.md',
    remediation: 'Lower maxUnavailable.',
  },
  {
    id: 'canary/one-pr-many-stages', family: 'canary', type: 'change', severity: 'high',
    description: 'Flag a change that reaches several rollout stages.', docs: 'docs/rules/canary/one-pr-many-stages.md',
    remediation: 'Split the change by stage.',
  },
  {
    id: 'blast-radius/shared-base', family: 'blast-radius', type: 'change', severity: 'low',
    description: 'Flag shared bases.', docs: 'docs/rules/blast-radius/shared-base.md', remediation: 'Stage the base change.',
  },
];

/** A critical watch-all finding, with any field overridden. */
export function finding(over: Partial<Finding> = {}): Finding {
  return {
    ruleId: 'watch-all/daemonset-cluster-watch', family: 'watch-all', severity: 'critical',
    message: 'DaemonSet node-telemetry watches pods cluster-wide', remediation: 'Scope the agent to its own node.',
    file: 'infra/telemetry.yaml', line: 40, resource: 'DaemonSet/monitoring/node-telemetry',
    clusters: ['canary-1', 'prod-eu'], suppressed: false, suppressedBy: null, key: 'agent', ...over,
  };
}

/** The five findings of the sample, in the order given (not severity order); `over` replaces fields of each by index. */
export function sampleFindings(over: Record<number, Partial<Finding>> = {}): Finding[] {
  const base: Array<Partial<Finding>> = [
    {},
    { ruleId: 'canary/max-unavailable', family: 'canary', severity: 'medium', file: 'apps/web/deploy.yaml', line: 12,
      resource: 'Deployment/web/web', clusters: ['canary-1'], message: 'maxUnavailable is 100%', remediation: 'Lower maxUnavailable.' },
    { ruleId: 'canary/one-pr-many-stages', family: 'canary', severity: 'high', file: null, line: null, resource: null,
      message: 'this change reaches canary and prod at once', remediation: 'Split the change by stage.' },
    { ruleId: 'config/invalid-config', family: 'config', severity: 'high', file: '.blast-radius.yml', line: null,
      resource: null, message: 'rollout.stages is not a list', remediation: 'Fix the config.' },
    { ruleId: 'blast-radius/shared-base', family: 'blast-radius', severity: 'high', suppressed: true,
      suppressedBy: 'blast-radius.dev/ignore -- approved by SRE', file: 'base/kustomization.yaml', line: 3,
      resource: 'Kustomization/base', message: 'shared base reaches every cluster' },
  ];
  return base.map((f, i) => finding({ ...f, ...over[i] }));
}

/** The sample report, with any top-level field overridden. */
export function sampleReport(over: Partial<Report> = {}): Report {
  return {
    schemaVersion: 1, score: 85, level: 'critical',
    findings: sampleFindings(),
    clusters: [
      { name: 'canary-1', nodes: 60, nodesAssumed: false, stage: 'canary', affected: true },
      { name: 'prod-eu', nodes: 5000, nodesAssumed: true, stage: 'prod', affected: true },
      { name: 'dev-1', nodes: 100, nodesAssumed: true, stage: 'dev', affected: false },
    ],
    errors: [{ file: 'apps/web/broken.yaml', line: 5, message: 'bad indentation of a mapping entry' }],
    notes: ['charts/otel-agent was not rendered: no helm binary found'],
    stats: { changedFiles: 4, resources: 41, unparsedFiles: 1, durationMs: 12 },
    ...over,
  };
}
