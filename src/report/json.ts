/** The JSON report (DESIGN.md contract, schemaVersion 1): fields in contract order, internal fields dropped. */
import type { Report } from '../types.js';

/** Renders the report as JSON. Byte-identical for the same report, except `stats.durationMs`. */
export function renderJson(report: Report): string {
  const out = {
    schemaVersion: report.schemaVersion,
    score: report.score,
    level: report.level,
    findings: report.findings.map((f) => ({
      ruleId: f.ruleId,
      family: f.family,
      severity: f.severity,
      message: f.message,
      remediation: f.remediation,
      file: f.file,
      line: f.line,
      resource: f.resource,
      clusters: f.clusters,
      suppressed: f.suppressed,
      suppressedBy: f.suppressedBy,
    })),
    clusters: report.clusters.map((c) => ({
      name: c.name,
      nodes: c.nodes,
      nodesAssumed: c.nodesAssumed,
      stage: c.stage,
      affected: c.affected,
      ...(c.bakeSeconds !== undefined ? { bakeSeconds: c.bakeSeconds } : {}),
    })),
    errors: report.errors.map((e) => ({ file: e.file, line: e.line, message: e.message })),
    notes: report.notes,
    stats: {
      changedFiles: report.stats.changedFiles,
      resources: report.stats.resources,
      unparsedFiles: report.stats.unparsedFiles,
      durationMs: report.stats.durationMs,
    },
  };
  return JSON.stringify(out, null, 2) + '\n';
}
