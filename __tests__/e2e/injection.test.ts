/**
 * Injection end to end (issue 12): hostile file and directory names, object names, annotation values and
 * ConfigMap keys, and Secrets (one mounted as an agent config), committed to a real git repository and run
 * through the built CLI in every format. The invariants are those of __tests__/report/injection.test.ts.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { cleanupAll, prRepo, runCli } from '../helpers/git-fixture.js';

(globalThis as { __injectionHelpersOnly?: boolean }).__injectionHelpersOnly = true;
const { BASE, HEAD, H, markdownProblems, sarifProblems, secretLeaks, textProblems } = await import('../report/injection.test.js');

afterAll(cleanupAll);

/** More hostile paths git can hold: each a copy of a flagged manifest. */
const PATHS = [
  'apps/with space/ünïcødé.yaml',
  'apps/`tick`/a|b.yaml',
  'apps/<img src=x onerror=alert(1)>/@org/team/#123.yaml',
  'apps/]] --> %%{init: {"theme":"dark"}}%% click A/x.yaml',
  'apps/[x](https:/evil.example)/www.evil.example.yaml',
];

const agent = (name: string) => `apiVersion: apps/v1
kind: DaemonSet
metadata: { name: ${JSON.stringify(name)}, namespace: ${JSON.stringify(H)}, annotations: { blast-radius.dev/api-scope: ${JSON.stringify(H)} } }
spec:
  selector: { matchLabels: { app: ${JSON.stringify(H)} } }
  template:
    metadata: { labels: { app: ${JSON.stringify(H)} } }
    spec:
      tolerations: [{ operator: Exists }]
      containers: [{ name: a, image: registry.example.com/a:1 }]
`;

describe('injection end to end through the CLI', () => {
  const head: Record<string, string> = { ...HEAD };
  PATHS.forEach((p, i) => (head[p] = agent(`agent-${i} ${H}`)));
  const base = { ...BASE };
  const pr: Record<string, string | null> = { ...head };
  for (const p of Object.keys(base)) if (!(p in head)) pr[p] = null;
  const repo = prRepo(base, pr);
  const run = (format: string) => {
    const r = runCli(['check', '--repo', repo.dir, '--base', 'main', '--head', 'pr', '--format', format]);
    expect(r.code, r.stderr).toBeLessThanOrEqual(1);
    return r.stdout;
  };
  const out = { markdown: run('markdown'), sarif: run('sarif'), text: run('text'), json: run('json') };

  it('every hostile path is analysed and reported', () => {
    const report = JSON.parse(out.json);
    const files = new Set([...report.findings.map((f: { file: string }) => f.file), ...report.errors.map((e: { file: string }) => e.file)]);
    for (const p of [...PATHS, ...Object.keys(HEAD).filter((p) => p.endsWith('.yaml') && p !== 'apps/keep.yaml' && p !== 'apps/secrets.yaml')]) expect(files.has(p), p).toBe(true);
    expect(report.findings.some((f: { resource: string | null }) => f.resource === 'DaemonSet/monitoring/node-agent')).toBe(true);
  });

  it('Markdown is safe', () => expect(markdownProblems(out.markdown)).toEqual([]));
  it('SARIF is valid and plain', () => expect(sarifProblems(out.sarif)).toEqual([]));
  it('text has no terminal escapes', () => expect(textProblems(out.text)).toEqual([]));
  it.each(['markdown', 'sarif', 'text', 'json'] as const)('%s: no Secret value appears', (f) => expect(secretLeaks(out[f])).toEqual([]));
});
