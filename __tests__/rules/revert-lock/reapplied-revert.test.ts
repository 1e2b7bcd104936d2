import { describe, expect, it } from 'vitest';
import { reappliedRevert } from '../../../rules/revert-lock/reapplied-revert.js';
import { findingAt, lineContaining, ruleTester, runCase } from '../../helpers/rule-tester.js';
import { BATCH, FILTERED, historyOf, logAgent, revertRecord, telemetryConfig, WATCH_ALL } from './fixtures.js';

const agent = logAgent;
const relay = telemetryConfig;
const WATCH_ALL_COMMENTED = 'batch: {}\n# enrich with pod metadata\nk8sattributes:\n    auth_type: serviceAccount';

const fluentBit = (inputs: string) => `apiVersion: v1
kind: ConfigMap
metadata:
  name: fluent-bit
  namespace: logging
data:
  fluent-bit.conf: |
    [INPUT]
        Name tail
        Path /var/log/containers/*.log
${inputs}    [OUTPUT]
        Name forward
`;
const EVENTS = '    [INPUT]\n        Name kubernetes_events\n';

const pdb = `apiVersion: policy/v1
kind: PodDisruptionBudget
metadata:
  name: web
  namespace: shop
spec:
  minAvailable: 1
  selector:
    matchLabels: { app: web }
`;

const values = (mode: string) => `mode: ${mode}\npresets:\n  kubernetesAttributes:\n    enabled: true\n`;

const appConfig = (level: string) => `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: app-config\ndata:\n  LOG_LEVEL: ${level}\n`;
const ini = (body: string) => `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: agent\n  namespace: agents\ndata:\n  agent.ini: |\n    ${body}`;

const withArgs = (args: string[]) => `apiVersion: apps/v1\nkind: DaemonSet\nmetadata:\n  name: agent\n  namespace: agents\nspec:\n  template:\n    spec:\n      containers:\n        - name: agent\n          args:\n${args.map((a) => `            - "${a}"`).join('\n')}\n`;

const DS = 'clusters/prod/log-agent.yaml';
const CM = 'clusters/prod/telemetry.yaml';

/** The original change: agent 1.4.0 → 1.5.0 and the k8sattributes processor, both reverted. */
const telemetry = { before: { [DS]: agent('1.4.0'), [CM]: relay(BATCH) }, after: { [DS]: agent('1.5.0'), [CM]: relay(WATCH_ALL) } };
const base = { [DS]: agent('1.4.0'), [CM]: relay(BATCH) };

ruleTester(reappliedRevert).run({
  valid: [
    { name: 'a different new value at the reverted place', base, files: { [DS]: agent('1.6.0'), [CM]: relay(BATCH) }, history: historyOf([telemetry]) },
    { name: 'a pull request that does not touch the reverted places', base, files: { ...base, 'clusters/prod/other.yaml': pdb }, history: historyOf([telemetry]) },
    {
      name: 'the base already has the value again (re-applied on main, e.g. by reverting the revert): nothing new',
      base: { [DS]: agent('1.5.0'), [CM]: relay(BATCH) },
      files: { [DS]: agent('1.5.0', '          imagePullPolicy: IfNotPresent\n'), [CM]: relay(BATCH) },
      history: historyOf([telemetry]),
    },
    { name: "the pull request's own revert is not a re-apply (unlocked-revert's job)", base: { [DS]: agent('1.5.0') }, files: { [DS]: agent('1.4.0') }, history: historyOf([{ ...telemetry, inPr: true }]) },
    {
      name: 'the same field of another object',
      base: { 'clusters/prod/other-agent.yaml': agent('1.4.0').replace(/log-agent/g, 'metrics-agent') },
      files: { 'clusters/prod/other-agent.yaml': agent('1.5.0').replace(/log-agent/g, 'metrics-agent') },
      history: historyOf([telemetry]),
    },
    {
      name: 'a reverted new object re-added with a changed spec is a different value',
      base: {},
      files: { [DS]: agent('1.6.0') },
      history: historyOf([{ before: {}, after: { [DS]: agent('1.5.0') } }]),
    },
    {
      name: 'a comment or indentation edit inside the embedded config',
      base: { [CM]: relay(WATCH_ALL) },
      files: { [CM]: relay(WATCH_ALL_COMMENTED) },
      history: historyOf([telemetry]),
    },
    {
      name: 'a values file with the reverted value in another file is another place',
      base: { 'charts/otel/values-prod.yaml': values('deployment') },
      files: { 'charts/otel/values-prod.yaml': values('deployment'), 'charts/otel/values-staging.yaml': values('daemonset') },
      history: historyOf([{ before: { 'charts/otel/values-prod.yaml': values('deployment') }, after: { 'charts/otel/values-prod.yaml': values('daemonset') } }]),
    },
    {
      name: 'a namespace-less object of another directory (Kustomize gives each its own namespace) is another object',
      base: { 'apps/a/cm.yaml': appConfig('info'), 'apps/a/kustomization.yaml': 'namespace: team-a\nresources: [cm.yaml]\n', 'apps/b/cm.yaml': appConfig('info'), 'apps/b/kustomization.yaml': 'namespace: team-b\nresources: [cm.yaml]\n' },
      files: { 'apps/a/cm.yaml': appConfig('info'), 'apps/a/kustomization.yaml': 'namespace: team-a\nresources: [cm.yaml]\n', 'apps/b/cm.yaml': appConfig('debug'), 'apps/b/kustomization.yaml': 'namespace: team-b\nresources: [cm.yaml]\n' },
      history: historyOf([{ before: { 'apps/a/cm.yaml': appConfig('info') }, after: { 'apps/a/cm.yaml': appConfig('debug') } }]),
    },
    {
      name: 'YAML that is not deployed config (a CI workflow, the tool config) is not a re-apply',
      base: { '.github/workflows/ci.yml': 'jobs:\n  test:\n    runs-on: ubuntu-22.04\n', '.blast-radius.yml': 'history: { maxCommits: 100 }\n', 'docs/mkdocs.yml': 'theme: material\n' },
      files: { '.github/workflows/ci.yml': 'jobs:\n  test:\n    runs-on: ubuntu-24.04\n', '.blast-radius.yml': 'history: { maxCommits: 500 }\n', 'docs/mkdocs.yml': 'theme: readthedocs\n' },
      history: historyOf([
        {
          before: { '.github/workflows/ci.yml': 'jobs:\n  test:\n    runs-on: ubuntu-22.04\n', '.blast-radius.yml': 'history: { maxCommits: 100 }\n', 'docs/mkdocs.yml': 'theme: material\n' },
          after: { '.github/workflows/ci.yml': 'jobs:\n  test:\n    runs-on: ubuntu-24.04\n', '.blast-radius.yml': 'history: { maxCommits: 500 }\n', 'docs/mkdocs.yml': 'theme: readthedocs\n' },
        },
      ]),
    },
    {
      name: 'a reverted flag replaced by a third value: the old item is removed again, but that is not the original change',
      base: { 'agent/ds.yaml': withArgs(['--log-level=info', '--node=$(NODE_NAME)']) },
      files: { 'agent/ds.yaml': withArgs(['--log-level=warn', '--node=$(NODE_NAME)']) },
      history: historyOf([{ before: { 'agent/ds.yaml': withArgs(['--log-level=info', '--node=$(NODE_NAME)']) }, after: { 'agent/ds.yaml': withArgs(['--log-level=debug', '--node=$(NODE_NAME)']) } }]),
    },
    {
      name: 'a reverted INI value replaced by a third value',
      base: { 'agent/cm.yaml': ini('[SERVICE]\n    Log_Level info\n') },
      files: { 'agent/cm.yaml': ini('[SERVICE]\n    Log_Level warn\n') },
      history: historyOf([{ before: { 'agent/cm.yaml': ini('[SERVICE]\n    Log_Level info\n') }, after: { 'agent/cm.yaml': ini('[SERVICE]\n    Log_Level debug\n') } }]),
    },
    {
      name: 'a file of namespace-less objects split in two in the same directory is not a deletion',
      base: { 'apps/a/app.yaml': `${appConfig('info')}---\n${appConfig('info').replace('app-config', 'agent-extra')}` },
      files: { 'apps/a/service.yaml': appConfig('info'), 'apps/a/configmap.yaml': appConfig('info').replace('app-config', 'agent-extra') },
      history: historyOf([{ before: { 'apps/a/app.yaml': `${appConfig('info')}---\n${appConfig('info').replace('app-config', 'agent-extra')}` }, after: { 'apps/a/app.yaml': appConfig('info') } }]),
    },
    {
      name: 'a common line of another INI section is another line',
      base: { 'agent/cm.yaml': ini('[kubelet_scrape]\n    enabled = false\n') },
      files: { 'agent/cm.yaml': ini('[kubelet_scrape]\n    enabled = false\n    [log_shipping]\n    enabled = true\n    target = loki\n') },
      history: historyOf([{ before: { 'agent/cm.yaml': ini('[kubelet_scrape]\n    enabled = false\n') }, after: { 'agent/cm.yaml': ini('[kubelet_scrape]\n    enabled = true\n    interval = 10s\n') } }]),
    },
  ],
  invalid: [
    {
      name: 'a removed filter argument removed again (only removed: the original change itself)',
      base: { 'agent/ds.yaml': withArgs(['--log-level=info', '--node=$(NODE_NAME)']) },
      files: { 'agent/ds.yaml': withArgs(['--log-level=info']) },
      history: historyOf([{ before: { 'agent/ds.yaml': withArgs(['--log-level=info', '--node=$(NODE_NAME)']) }, after: { 'agent/ds.yaml': withArgs(['--log-level=info']) } }]),
      findings: [{ severity: 'critical', key: `${revertRecord(telemetry).revert.sha}:agent/ds.yaml\u00000\u0000DaemonSet/agents/agent`, line: lineContaining(withArgs(['--log-level=info']), 'args:'), messageIncludes: ['args["--node=$(NODE_NAME)"] removed'] }],
    },
    {
      name: 'a values file named <chart>-values.yaml',
      base: { 'clusters/prod/prometheus-values.yaml': values('deployment') },
      files: { 'clusters/prod/prometheus-values.yaml': values('daemonset') },
      history: historyOf([{ before: { 'clusters/prod/prometheus-values.yaml': values('deployment') }, after: { 'clusters/prod/prometheus-values.yaml': values('daemonset') } }]),
      findings: [findingAt('critical', `${revertRecord(telemetry).revert.sha}:clusters/prod/prometheus-values.yaml\u00000\u0000clusters/prod/prometheus-values.yaml#0`, values('daemonset'), 'mode:')],
    },
    {
      name: 'the branch is older than the revert: the message says the revert came after',
      base,
      files: { [DS]: agent('1.5.0'), [CM]: relay(BATCH) },
      history: historyOf([{ ...telemetry, daysAgo: -4 }]),
      findings: [findingAt('critical', `${revertRecord(telemetry).revert.sha}:${DS}\u00000\u0000DaemonSet/monitoring/log-agent`, agent('1.5.0'), 'image:', ['4 days after this change\'s head commit (the branch is older than the revert)'])],
    },
    {
      name: 'the reverted image tag put back (a recent revert: critical)',
      base,
      files: { [DS]: agent('1.5.0'), [CM]: relay(BATCH) },
      history: historyOf([telemetry]),
      findings: [
        findingAt('critical', `${revertRecord(telemetry).revert.sha}:${DS}\u00000\u0000DaemonSet/monitoring/log-agent`, agent('1.5.0'), 'image:', [
          'spec.template.spec.containers[name=agent].image = "registry.example.com/log-agent:1.5.0"',
          '"Enrich telemetry with pod metadata", 2026-10-28',
          '3 days before',
        ]),
      ],
    },
    {
      name: 'a revert older than 30 days: high',
      base,
      files: { [DS]: agent('1.5.0'), [CM]: relay(BATCH) },
      history: historyOf([{ ...telemetry, daysAgo: 45 }]),
      findings: [findingAt('high', `${revertRecord({ ...telemetry, daysAgo: 45 }).revert.sha}:${DS}\u00000\u0000DaemonSet/monitoring/log-agent`, agent('1.5.0'), 'image:', ['45 days before'])],
    },
    {
      name: 'an old revert whose message names an incident: critical',
      base,
      files: { [DS]: agent('1.5.0'), [CM]: relay(BATCH) },
      history: historyOf([{ ...telemetry, daysAgo: 200, revertBody: 'This reverts commit 1234567.\n\nPost-mortem: agents crash-looped on every node.' }]),
      findings: [findingAt('critical', `${revertRecord(telemetry).revert.sha}:${DS}\u00000\u0000DaemonSet/monitoring/log-agent`, agent('1.5.0'), 'image:', ['names an incident ("Post-mortem")'])],
    },
    {
      name: 'the processor put back into the embedded relay config: the line inside the block',
      base,
      files: { [DS]: agent('1.4.0'), [CM]: relay(WATCH_ALL) },
      history: historyOf([telemetry]),
      findings: [findingAt('critical', `${revertRecord(telemetry).revert.sha}:${CM}\u00000\u0000ConfigMap/monitoring/telemetry-agent-config`, relay(WATCH_ALL), 'k8sattributes:', ['data.relay | processors.k8sattributes = {"auth_type":"serviceAccount"}'])],
    },
    {
      name: 'a line put back into an INI config (Fluent Bit kubernetes_events input)',
      base: { 'logging/fluent-bit.yaml': fluentBit('') },
      files: { 'logging/fluent-bit.yaml': fluentBit(EVENTS) },
      history: historyOf([{ before: { 'logging/fluent-bit.yaml': fluentBit('') }, after: { 'logging/fluent-bit.yaml': fluentBit(EVENTS) } }]),
      findings: [
        findingAt('critical', `${revertRecord({ before: {}, after: {} }).revert.sha}:logging/fluent-bit.yaml\u00000\u0000ConfigMap/logging/fluent-bit`, fluentBit(EVENTS), 'Name kubernetes_events', [
          'data["fluent-bit.conf"] line "Name kubernetes_events"',
        ]),
      ],
    },
    {
      name: 'a reverted new DaemonSet re-added as it was',
      base: {},
      files: { [DS]: agent('1.5.0') },
      history: historyOf([{ before: {}, after: { [DS]: agent('1.5.0') } }]),
      findings: [findingAt('critical', `${revertRecord({ before: {}, after: {} }).revert.sha}:${DS}\u00000\u0000DaemonSet/monitoring/log-agent`, agent('1.5.0'), 'spec:', ['spec = {'])],
    },
    {
      name: 'an object the revert restored deleted again: on the base line',
      base: { 'shop/pdb.yaml': pdb },
      files: { 'shop/README.yaml': 'note: pdb removed\n' },
      history: historyOf([{ before: { 'shop/pdb.yaml': pdb }, after: {} }]),
      findings: [findingAt('critical', `${revertRecord({ before: {}, after: {} }).revert.sha}:shop/pdb.yaml\u00000\u0000PodDisruptionBudget/shop/web`, pdb, 'name: web', ['PodDisruptionBudget/shop/web deleted'])],
    },
    {
      name: "the reverted value applied to another cluster's copy of the object",
      base: { [DS]: agent('1.4.0'), 'clusters/staging/log-agent.yaml': agent('1.4.0') },
      files: { [DS]: agent('1.4.0'), 'clusters/staging/log-agent.yaml': agent('1.5.0') },
      history: historyOf([telemetry]),
      findings: [findingAt('critical', `${revertRecord(telemetry).revert.sha}:clusters/staging/log-agent.yaml\u00000\u0000DaemonSet/monitoring/log-agent`, agent('1.5.0'), 'image:')],
    },
    {
      name: 'one reverted value put back while another reverted place gets a new value: still a re-apply, the rework named',
      base,
      files: { [DS]: agent('1.5.0'), [CM]: relay(FILTERED) },
      history: historyOf([telemetry]),
      findings: [findingAt('critical', `${revertRecord(telemetry).revert.sha}:${DS}\u00000\u0000DaemonSet/monitoring/log-agent`, agent('1.5.0'), 'image:', ['reworked version', 'data.relay | processors.k8sattributes'])],
    },
    {
      name: 'a values file (not a Kubernetes object) with the reverted value in the same file',
      base: { 'charts/otel/values-prod.yaml': values('deployment') },
      files: { 'charts/otel/values-prod.yaml': values('daemonset') },
      history: historyOf([{ before: { 'charts/otel/values-prod.yaml': values('deployment') }, after: { 'charts/otel/values-prod.yaml': values('daemonset') } }]),
      findings: [findingAt('critical', `${revertRecord({ before: {}, after: {} }).revert.sha}:charts/otel/values-prod.yaml\u00000\u0000charts/otel/values-prod.yaml#0`, values('daemonset'), 'mode:', ['mode = "daemonset"'])],
    },
    {
      name: 'a deliberate re-apply (the pull request reverts the revert) is still one, and says so',
      base,
      files: { [DS]: agent('1.5.0'), [CM]: relay(BATCH) },
      history: historyOf([telemetry], [[revertRecord(telemetry).revert.sha, { sha: 'f'.repeat(40), time: 0, subject: 'Reapply "Enrich telemetry with pod metadata"', body: '' }]]),
      findings: [findingAt('critical', `${revertRecord(telemetry).revert.sha}:${DS}\u00000\u0000DaemonSet/monitoring/log-agent`, agent('1.5.0'), 'image:', ['re-applies it deliberately in fffffff'])],
    },
  ],
});

describe('revert-lock/reapplied-revert: suppression', () => {
  it('only the verified label blast-radius-override:revert-<original sha> lifts it (kept as suppressed); an ignore annotation the pull request adds does not', () => {
    const annotated = agent('1.5.0').replace('  namespace: monitoring\n', '  namespace: monitoring\n  annotations:\n    blast-radius.dev/ignore: "revert-lock/reapplied-revert -- OOM fixed in 1.5.1 of the base image"\n');
    const annotatedRun = runCase(reappliedRevert, { name: 'x', base, files: { [DS]: annotated, [CM]: relay(BATCH) }, history: historyOf([telemetry]) });
    expect(annotatedRun.live.map((f) => [f.severity, f.line])).toEqual([['critical', lineContaining(annotated, 'image:')]]);
    const label = `blast-radius-override:revert-${revertRecord(telemetry).original.sha.slice(0, 7)}`;
    const labelled = runCase(reappliedRevert, { name: 'x', base, files: { [DS]: agent('1.5.0'), [CM]: relay(BATCH) }, history: historyOf([telemetry]), labels: [label] });
    expect(labelled.live).toEqual([]);
    expect(labelled.suppressed.map((f) => f.suppressedBy)).toEqual([expect.stringContaining(`label ${label}`)]);
  });

  it('the acceptLabel does not accept it (DESIGN.md: revert-lock findings are not accepted by it)', () => {
    const r = runCase(reappliedRevert, { name: 'x', base, files: { [DS]: agent('1.5.0'), [CM]: relay(BATCH) }, history: historyOf([telemetry]), config: 'acceptLabel: ok-to-merge\n', labels: ['ok-to-merge'] });
    expect(r.live.map((f) => f.severity)).toEqual(['critical']);
  });
});
