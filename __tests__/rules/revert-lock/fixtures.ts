/**
 * Histories for the revert-lock table tests: a reverted commit given as the files before and after it,
 * turned into a revert record with the same site computation the git loader uses (src/revert.ts), so the
 * tables test the rules on exactly what src/history.ts would hand them. The loader itself is tested on real
 * git histories in __tests__/e2e/revert-lock.test.ts and __tests__/unit/revert.test.ts.
 */
import type { CommitInfo, History, RevertRecord } from '../../../src/history.js';
import { commitSites, targetsOf } from '../../../src/revert.js';
import { parseYamlFile } from '../../../src/yaml/parse.js';

/** 2026-11-01T00:00:00Z: the head commit of every table case. */
export const HEAD_TIME = 1_793_491_200;
export const DAY = 86_400;

export interface Reverted {
  /** The files the original commit changed, before and after it (absent path: the file did not exist). */
  before: Record<string, string>;
  after: Record<string, string>;
  /** Days between the revert and the head commit (default 3). */
  daysAgo?: number;
  subject?: string;
  revertBody?: string;
  inPr?: boolean;
  /** Sha of the revert (default derived from the subject). */
  sha?: string;
}

function targets(files: Record<string, string>) {
  return Object.entries(files).flatMap(([path, text]) => targetsOf(path, parseYamlFile(path, path, text).docs));
}

const hex = (seed: string, n: number) => {
  let h = 0;
  for (const c of seed) h = (h * 31 + c.charCodeAt(0)) >>> 0;
  return (h.toString(16).padStart(8, '0') + 'a'.repeat(40)).slice(0, n);
};

export function revertRecord(r: Reverted): RevertRecord {
  const subject = r.subject ?? 'Enrich telemetry with pod metadata';
  const revertTime = HEAD_TIME - (r.daysAgo ?? 3) * DAY;
  const original: CommitInfo = { sha: `${hex(subject, 8)}${'1'.repeat(32)}`, time: revertTime - DAY, subject, body: '' };
  const revert: CommitInfo = {
    sha: r.sha ?? `${hex(`revert ${subject}`, 8)}${'2'.repeat(32)}`,
    time: revertTime,
    subject: `Revert "${subject}"`,
    body: r.revertBody ?? `This reverts commit ${original.sha}.`,
  };
  return { revert, original, how: 'git-revert', inPr: r.inPr ?? false, sites: commitSites(targets(r.before), targets(r.after)) };
}

export function historyOf(reverts: Reverted[], reappliedBy: Array<[string, CommitInfo]> = []): History {
  return { headTime: HEAD_TIME, scanned: 100, maxCommits: 1000, reverts: reverts.map(revertRecord), reappliedBy: new Map(reappliedBy) };
}

/** A log agent DaemonSet at an image tag (`extra`: lines appended under its container). */
export const logAgent = (tag: string, extra = ''): string => `apiVersion: apps/v1
kind: DaemonSet
metadata:
  name: log-agent
  namespace: monitoring
spec:
  selector:
    matchLabels: { app: log-agent }
  template:
    metadata:
      labels: { app: log-agent }
    spec:
      containers:
        - name: agent
          image: "registry.example.com/log-agent:${tag}"
${extra}`;

/** The telemetry agent's ConfigMap; `processors` is the part a reverted change edits. */
export function telemetryConfig(processors: string): string {
  return `apiVersion: v1
kind: ConfigMap
metadata:
  name: telemetry-agent-config
  namespace: monitoring
data:
  relay: |
    receivers:
      otlp: {}
    processors:
${processors
  .split('\n')
  .map((l) => `      ${l}`)
  .join('\n')}
    exporters:
      otlp: { endpoint: "collector:4317" }
    service:
      pipelines:
        traces: { receivers: [otlp], processors: [batch], exporters: [otlp] }
`;
}

export const BATCH = 'batch: {}';
export const WATCH_ALL = 'batch: {}\nk8sattributes:\n  auth_type: serviceAccount';
export const FILTERED = 'batch: {}\nk8sattributes:\n  auth_type: serviceAccount\n  filter:\n    node_from_env_var: K8S_NODE_NAME';
