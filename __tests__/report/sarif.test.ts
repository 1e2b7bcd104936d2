import type { Log, Result } from 'sarif';
import { describe, expect, it } from 'vitest';
import { sarifValidator } from '../helpers/sarif-schema.js';
import { renderSarif } from '../../src/report/sarif.js';
import type { Report, ReportContext } from '../../src/types.js';
import { finding, RULES, sampleFindings, sampleReport } from './sample.js';

// A file name with a space and a hash (percent-encoded in SARIF), and a low suppressed finding.
const report = (over: Partial<Report> = {}): Report =>
  sampleReport({
    findings: sampleFindings({ 1: { file: 'apps/web app/deploy #1.yaml' }, 4: { severity: 'low' } }),
    clusters: sampleReport().clusters.slice(0, 2),
    ...over,
  });

const CTX: ReportContext = { rules: RULES, failOn: 'high', exitCode: 1 };

const validate = sarifValidator();

function parse(text: string): Log {
  return JSON.parse(text) as Log;
}

describe('renderSarif', () => {
  const text = renderSarif(report(), CTX);
  const log = parse(text);
  const run = log.runs[0];
  const results = run.results as Result[];
  const byRule = (id: string): Result => results.find((r) => r.ruleId === id) as Result;

  it('validates against the SARIF 2.1.0 schema', () => {
    expect(validate(log), JSON.stringify(validate.errors, null, 2)).toBe(true);
    // The validator is real: it rejects a wrong version, a line 0 and an unencoded URI.
    expect(validate({ ...log, version: '2.0.0' })).toBe(false);
    const broken = JSON.parse(text) as Log;
    const loc = broken.runs[0].results?.[0].locations?.[0].physicalLocation;
    if (loc?.region) loc.region.startLine = 0;
    expect(validate(broken)).toBe(false);
    if (loc?.region) loc.region.startLine = 1;
    if (loc?.artifactLocation) loc.artifactLocation.uri = 'a b/c d.yaml';
    expect(validate(broken)).toBe(false);
  });

  it('has the log header and one run of the blast-radius driver', () => {
    expect(log.$schema).toBe('https://json.schemastore.org/sarif-2.1.0.json');
    expect(log.version).toBe('2.1.0');
    expect(log.runs).toHaveLength(1);
    expect(run.tool.driver.name).toBe('blast-radius');
    expect(run.tool.driver.informationUri).toMatch(/^https:\/\//);
  });

  it('describes every rule of ctx.rules from its meta', () => {
    const rules = run.tool.driver.rules ?? [];
    expect(rules.slice(0, RULES.length).map((r) => r.id)).toEqual(RULES.map((r) => r.id));
    expect(rules[0]).toMatchObject({
      id: 'watch-all/daemonset-cluster-watch',
      name: 'watch-all/daemonset-cluster-watch',
      shortDescription: { text: 'Flag per-node agents that watch cluster-wide.' },
      fullDescription: { text: 'Flag per-node agents that watch cluster-wide.' },
      helpUri: 'https://github.com/kube-blast-radius/kube-blast-radius/blob/main/docs/rules/watch-all/daemonset-cluster-watch.md',
      help: { text: 'Scope the agent to its own node.' },
      defaultConfiguration: { level: 'error' },
      properties: { tags: ['watch-all'], 'security-severity': '9.5' },
    });
    expect(rules.map((r) => r.properties?.['security-severity'])).toEqual(['9.5', '5.0', '8.0', '2.0', '8.0']);
    expect(rules.map((r) => r.defaultConfiguration?.level)).toEqual(['error', 'warning', 'error', 'note', 'error']);
  });

  it('adds a minimal descriptor for a finding whose rule is not in ctx.rules', () => {
    const rules = run.tool.driver.rules ?? [];
    expect(rules).toHaveLength(RULES.length + 1);
    expect(rules[RULES.length]).toMatchObject({ id: 'config/invalid-config', properties: { tags: ['config'] } });
  });

  it('points every ruleIndex at its rule', () => {
    const rules = run.tool.driver.rules ?? [];
    for (const r of results) expect(rules[r.ruleIndex as number].id).toBe(r.ruleId);
  });

  it('emits live and suppressed findings, suppressed ones with an inSource suppression', () => {
    expect(results).toHaveLength(5);
    expect(byRule('blast-radius/shared-base').suppressions).toEqual([
      { kind: 'inSource', justification: 'blast-radius.dev/ignore -- approved by SRE' },
    ]);
    expect(results.filter((r) => r.suppressions !== undefined)).toHaveLength(1);
  });

  it('maps severities to levels: critical/high error, medium warning, low note', () => {
    expect(results.map((r) => r.level)).toEqual(['error', 'warning', 'error', 'error', 'note']);
  });

  it('puts message, fix and reach (clusters with node counts) in the message text', () => {
    expect(results[0].message.text).toBe(
      'DaemonSet node-telemetry watches pods cluster-wide\n\nFix: Scope the agent to its own node.\n\nReach: 2 clusters, 5,060 nodes (partly assumed): canary-1 (60), prod-eu (5,000, assumed)',
    );
  });

  it('locates findings on file and line, relative to %SRCROOT%', () => {
    const loc = results[0].locations?.[0];
    expect(loc?.physicalLocation).toEqual({
      artifactLocation: { uri: 'infra/telemetry.yaml', uriBaseId: '%SRCROOT%' },
      region: { startLine: 40 },
    });
    expect(loc?.logicalLocations).toEqual([{ fullyQualifiedName: 'DaemonSet/monitoring/node-telemetry', kind: 'object' }]);
    expect(byRule('canary/max-unavailable').locations?.[0].physicalLocation?.artifactLocation?.uri).toBe(
      'apps/web%20app/deploy%20%231.yaml',
    );
  });

  it('gives no location to a finding without a file, and line 1 to a file without a line', () => {
    expect(byRule('canary/one-pr-many-stages').locations).toBeUndefined();
    expect(byRule('config/invalid-config').locations?.[0].physicalLocation?.region).toEqual({ startLine: 1 });
  });

  it('fingerprints by rule, resource and file: stable across line and message changes', () => {
    const moved = parse(renderSarif(report({ findings: [finding({ line: 99, message: 'another text', clusters: [] })] }), CTX));
    const fp = (r: Result | undefined) => r?.partialFingerprints?.['blastRadius/v1'];
    expect(fp(moved.runs[0].results?.[0])).toBe(fp(results[0]));
    expect(fp(results[0])).toMatch(/^[0-9a-f]{32}$/);
    expect(new Set(results.map(fp)).size).toBe(results.length);
  });

  it('reports errors and notes as tool notifications', () => {
    const notes = run.invocations?.[0].toolExecutionNotifications ?? [];
    expect(notes.map((n) => [n.level, n.message.text])).toEqual([
      ['error', 'bad indentation of a mapping entry'],
      ['note', 'charts/otel-agent was not rendered: no helm binary found'],
    ]);
    expect(notes[0].locations?.[0].physicalLocation?.region?.startLine).toBe(5);
  });

  it('is deterministic, 2-space indented, with a trailing newline', () => {
    expect(renderSarif(report(), CTX)).toBe(text);
    expect(text).toBe(JSON.stringify(log, null, 2) + '\n');
  });

  it('stays valid with hostile names and an empty report', () => {
    const evil = 'a|b `x` <img src=x> @octocat #123 [x](http://e) "q" \\ \u0000';
    const hostile = report({
      findings: [finding({ ruleId: `x/${evil}`, resource: evil, file: `dir/${evil}.yaml`, message: evil, suppressedBy: null, suppressed: true })],
      errors: [{ file: `${evil}.yaml`, line: 0, message: evil }],
    });
    const out = parse(renderSarif(hostile, CTX));
    expect(validate(out), JSON.stringify(validate.errors, null, 2)).toBe(true);
    // Plain text as SARIF §3.11.6 reads it: brackets escaped (no link), control characters replaced.
    expect(out.runs[0].results?.[0].message.text?.startsWith('a|b `x` <img src=x> @octocat #123 \\[x\\](http://e) "q" \\ \uFFFD')).toBe(true);
    expect(out.runs[0].results?.[0].suppressions).toEqual([{ kind: 'inSource' }]);
    const empty = parse(renderSarif(report({ findings: [], errors: [], notes: [], score: 0, level: 'none' }), { ...CTX, rules: [] }));
    expect(validate(empty), JSON.stringify(validate.errors, null, 2)).toBe(true);
    expect(empty.runs[0].results).toEqual([]);
  });
});
