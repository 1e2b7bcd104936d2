import { describe, expect, it } from 'vitest';
import { renderText } from '../../src/report/text.js';
import type { Finding, Report, ReportContext } from '../../src/types.js';
import { finding as sampleFinding, RULES, sampleFindings, sampleReport } from './sample.js';

const finding = (over: Partial<Finding> = {}): Finding => sampleFinding({ clusters: ['canary-1', 'prod-eu', 'prod-us'], ...over });
const report = (over: Partial<Report> = {}): Report =>
  sampleReport({ findings: sampleFindings({ 0: { clusters: ['canary-1', 'prod-eu', 'prod-us'] } }), ...over });

const CTX: ReportContext = { rules: RULES, failOn: 'high', exitCode: 1 };
const PASS: ReportContext = { rules: RULES, failOn: 'high', exitCode: 0 };
const ANSI_RE = /\x1b\[[0-9;]*m/g;

describe('renderText', () => {
  const out = renderText(report(), CTX, { color: false });
  const lines = out.split('\n');

  it('starts with the verdict line', () => {
    expect(lines[0]).toBe('Blast Radius: CRITICAL — risk 85/100 — check fails at fail-on high (exit 1)');
  });

  it('says a clean report passes', () => {
    const clean = renderText(report({ score: 0, level: 'none', findings: [], errors: [], notes: [] }), PASS, { color: false });
    expect(clean.split('\n')[0]).toBe('Blast Radius: no findings — risk 0/100 — passes');
    const medium = renderText(report({ score: 5, level: 'medium' }), PASS, { color: false });
    expect(medium.split('\n')[0]).toBe('Blast Radius: MEDIUM — risk 5/100 — passes at fail-on high');
  });

  it('renders one block per finding: location, severity, rule, resource, message, reach, fix', () => {
    const i = lines.indexOf('apps/web/deploy.yaml:12  medium    canary/max-unavailable  Deployment/web/web');
    expect(i).toBeGreaterThan(0);
    expect(lines.slice(i + 1, i + 4)).toEqual([
      '    maxUnavailable is 100%',
      '    reach: 1 cluster, 60 nodes: canary-1 (60)',
      '    fix: Lower maxUnavailable.',
    ]);
    expect(out).toContain('    reach: 3 clusters, 5,060 nodes (partly assumed): canary-1 (60), prod-eu (5,000, assumed),\n           prod-us (size unknown)');
  });

  it('keeps the given order, live findings first, suppressed ones marked after them', () => {
    const order = ['infra/telemetry.yaml:40', 'apps/web/deploy.yaml:12', '(whole change)', '.blast-radius.yml  ', 'base/kustomization.yaml:3'];
    const at = order.map((s) => out.indexOf(s));
    expect(at.every((n) => n > 0)).toBe(true);
    expect([...at].sort((a, b) => a - b)).toEqual(at);
    expect(out).toContain('(suppressed: blast-radius.dev/ignore -- approved by SRE)');
    expect(out.indexOf('Suppressed (1')).toBeLessThan(out.indexOf('base/kustomization.yaml:3'));
  });

  it('handles a finding with no file, line or resource, and a file without a line', () => {
    expect(lines).toContain('(whole change)  high      canary/one-pr-many-stages  (no resource)');
    expect(lines).toContain('.blast-radius.yml  high      config/invalid-config  (no resource)');
  });

  it('lists errors, notes and the cluster table with assumed node counts', () => {
    expect(lines).toContain('  apps/web/broken.yaml:5: bad indentation of a mapping entry');
    expect(lines).toContain('  - charts/otel-agent was not rendered: no helm binary found');
    expect(out).toMatch(/canary-1\s+canary\s+60\s+yes/);
    expect(out).toMatch(/prod-eu\s+prod\s+~5,000\s+yes/);
    expect(out).toMatch(/dev-1\s+dev\s+~100\s+no/);
    const sections = ['Errors (1)', 'Notes:', 'Clusters (2 of 3 affected)'].map((s) => out.indexOf(s));
    expect([...sections].sort((a, b) => a - b)).toEqual(sections);
  });

  it('stays within 100 columns, continuing a long header on an indented line', () => {
    const long = report({
      findings: [finding({ file: 'infrastructure/monitoring/node-telemetry/daemonset.yaml', message: 'word '.repeat(60) })],
    });
    const text = renderText(long, CTX, { color: false });
    for (const l of text.split('\n')) expect(l.length).toBeLessThanOrEqual(100);
    expect(text).toContain(
      '\ninfrastructure/monitoring/node-telemetry/daemonset.yaml:40  critical\n' +
        '    watch-all/daemonset-cluster-watch  DaemonSet/monitoring/node-telemetry\n',
    );
    expect(renderText(long, CTX, { color: true }).replace(ANSI_RE, '')).toBe(text);
    for (const l of lines) expect(l.length).toBeLessThanOrEqual(100);
  });

  it('uses ANSI colour only when asked, and the same text either way', () => {
    expect(out).not.toContain('\x1b');
    const colored = renderText(report(), CTX, { color: true });
    expect(colored).toMatch(ANSI_RE);
    expect(colored.replace(ANSI_RE, '')).toBe(out);
  });

  it('neutralises terminal escapes coming from the repository', () => {
    const hostile = report({ findings: [finding({ message: 'evil \x1b[2J\x1b]0;owned\x07 name', resource: 'Pod/a\nb' })] });
    const text = renderText(hostile, CTX, { color: false });
    expect(text).not.toMatch(/[\x00-\x08\x0b-\x1f\x7f]/);
    expect(text).toContain('Pod/a b');
  });

  it('is deterministic and ends with one newline', () => {
    expect(renderText(report(), CTX, { color: false })).toBe(out);
    expect(renderText(report(), CTX, { color: true })).toBe(renderText(report(), CTX, { color: true }));
    expect(out.endsWith('\n')).toBe(true);
    expect(out.endsWith('\n\n')).toBe(false);
  });
});
