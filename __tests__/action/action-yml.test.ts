/**
 * action.yml and the README's workflow example, checked with GitHub's own parser (@actions/workflow-parser,
 * which loads its JSON schemas through import attributes: fine under Vitest).
 */
import { readFileSync } from 'node:fs';
import { parseWorkflow, NoOperationTraceWriter } from '@actions/workflow-parser';
import { parseAction } from '@actions/workflow-parser/actions/action-parser';
import jsyaml from 'js-yaml';
import { describe, expect, it } from 'vitest';

const root = new URL('../../', import.meta.url);
const read = (p: string) => readFileSync(new URL(p, root), 'utf8');
const errors = (r: { context: { errors: { getErrors(): Array<{ message: string }> } } }) => r.context.errors.getErrors().map((e) => e.message);

const action = jsyaml.load(read('action.yml')) as {
  runs: { using: string; main: string };
  inputs: Record<string, { default?: string; required?: boolean }>;
  outputs: Record<string, unknown>;
  branding?: unknown;
};

/** The README's workflow example: the YAML block of the "GitHub Action" section. */
function readmeWorkflow(): string {
  const text = read('README.md');
  const section = text.slice(text.indexOf('## GitHub Action'));
  const start = section.indexOf('```yaml\n') + '```yaml\n'.length;
  return section.slice(start, section.indexOf('```', start));
}

describe('action.yml', () => {
  it('parses without errors under the Actions action schema (and the parser does reject a bad one)', () => {
    expect(errors(parseAction({ name: 'action.yml', content: read('action.yml') }, new NoOperationTraceWriter()))).toEqual([]);
    expect(errors(parseAction({ name: 'action.yml', content: 'name: x\ndescription: y\nruns:\n  using: node99\n  main: a.js\n' }, new NoOperationTraceWriter()))).not.toEqual([]);
  });

  it('runs dist/index.js on node24, with the inputs, defaults and outputs the README documents', () => {
    expect(action.runs).toEqual({ using: 'node24', main: 'dist/index.js' });
    expect(action.branding).toBeDefined();
    expect(Object.fromEntries(Object.entries(action.inputs).map(([k, v]) => [k, v.default]))).toEqual({
      'github-token': '${{ github.token }}',
      config: '.blast-radius.yml',
      'fail-on': 'high',
      comment: 'update',
      status: 'true',
      'sarif-file': '',
      'working-directory': '.',
    });
    expect(Object.keys(action.outputs).sort()).toEqual(['findings', 'level', 'report', 'sarif', 'score']);
    const readme = read('README.md');
    for (const input of Object.keys(action.inputs)) expect(readme).toContain(`| \`${input}\` |`);
  });
});

describe("the README's workflow", () => {
  const text = readmeWorkflow();
  const wf = jsyaml.load(text) as {
    on: Record<string, unknown>;
    permissions: Record<string, string>;
    concurrency: { group: string; 'cancel-in-progress': boolean };
    jobs: Record<string, { steps: Array<{ uses?: string; with?: Record<string, unknown> }> }>;
  };

  it('parses without errors under the Actions workflow schema', () => {
    expect(errors(parseWorkflow({ name: 'blast-radius.yml', content: text }, new NoOperationTraceWriter()))).toEqual([]);
  });

  it('runs on pull_request (with label events) and merge_group, with no paths filter, least privilege and a concurrency group', () => {
    expect(Object.keys(wf.on).sort()).toEqual(['merge_group', 'pull_request']);
    expect((wf.on.pull_request as { types: string[]; paths?: unknown }).types).toEqual(['opened', 'synchronize', 'reopened', 'labeled', 'unlabeled']);
    expect((wf.on.pull_request as { paths?: unknown }).paths).toBeUndefined();
    expect(wf.permissions).toEqual({ contents: 'read', 'pull-requests': 'write', statuses: 'write', checks: 'read', issues: 'read', 'security-events': 'write' });
    expect(wf.concurrency['cancel-in-progress']).toBe(true);
  });

  it('checks out the full history and passes only inputs the Action has', () => {
    const steps = Object.values(wf.jobs)[0].steps;
    expect(steps.find((s) => s.uses?.startsWith('actions/checkout'))?.with).toEqual({ 'fetch-depth': 0 });
    const ours = steps.find((s) => s.uses?.includes('kube-blast-radius'))!;
    for (const key of Object.keys(ours.with ?? {})) expect(Object.keys(action.inputs)).toContain(key);
  });
});
