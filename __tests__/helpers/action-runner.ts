/**
 * Running the bundled Action (dist/index.js) the way the runner does, against the loopback GitHub of
 * github-api.ts: shared by the Action's end-to-end and fault tests.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { devNull, tmpdir } from 'node:os';
import { join } from 'node:path';
import jsyaml from 'js-yaml';
import { PROJECT_ROOT, type Repo } from './git-fixture.js';
import { startFakeGitHub, type FakeGitHub, type GitHubState } from './github-api.js';

const ACTION = join(PROJECT_ROOT, 'dist/index.js');
const ACTION_DEFAULTS: Record<string, string> = Object.fromEntries(
  Object.entries((jsyaml.load(readFileSync(join(PROJECT_ROOT, 'action.yml'), 'utf8')) as { inputs: Record<string, { default?: string }> }).inputs).map(([k, v]) => [k, v.default ?? '']),
);
export const OWNER = 'acme';
export const REPO = 'fleet';
export const PR = 7;

export interface ActionRun {
  code: number;
  stdout: string;
  stderr: string;
  outputs: Record<string, string>;
  summary: string;
  report: any;
  /** How long the run took (ms). */
  ms: number;
}

/** Parses a GITHUB_OUTPUT file (`name<<delimiter` blocks, as @actions/core writes them). */
function parseOutputs(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const m = /^([^<=]+)<<(.+)$/.exec(lines[i]);
    if (!m) continue;
    const value: string[] = [];
    for (i++; i < lines.length && lines[i] !== m[2]; i++) value.push(lines[i]);
    out[m[1]] = value.join('\n');
  }
  return out;
}

/** Spawns dist/index.js (asynchronously: the fake GitHub answers from this process). */
export async function runAction(repo: Repo, gh: FakeGitHub, opts: { event?: 'pull_request' | 'merge_group'; payload: unknown; inputs?: Record<string, string>; timeoutMs?: number }): Promise<ActionRun> {
  const dir = mkdtempSync(join(tmpdir(), 'blast-radius-action-'));
  const eventPath = join(dir, 'event.json');
  const output = join(dir, 'output');
  const summary = join(dir, 'summary');
  writeFileSync(eventPath, JSON.stringify(opts.payload));
  writeFileSync(output, '');
  writeFileSync(summary, '');
  // What the runner passes: every input of action.yml with its default, the token's expression evaluated.
  const inputs: Record<string, string> = { ...ACTION_DEFAULTS, 'github-token': 'ghs_test_token_0123456789', ...opts.inputs };
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('GITHUB_') && !k.startsWith('INPUT_') && !k.startsWith('RUNNER_') && v !== undefined) env[k] = v;
  Object.assign(env, {
    GIT_CONFIG_NOSYSTEM: '1',
    GIT_CONFIG_GLOBAL: devNull,
    GITHUB_ACTIONS: 'true',
    GITHUB_EVENT_NAME: opts.event ?? 'pull_request',
    GITHUB_EVENT_PATH: eventPath,
    GITHUB_OUTPUT: output,
    GITHUB_STEP_SUMMARY: summary,
    GITHUB_WORKSPACE: repo.dir,
    GITHUB_REPOSITORY: `${OWNER}/${REPO}`,
    GITHUB_API_URL: gh.url,
    GITHUB_SERVER_URL: 'https://github.com',
    GITHUB_RUN_ID: '4242',
    RUNNER_TEMP: dir,
  });
  // The runner keeps hyphens: INPUT_GITHUB-TOKEN, INPUT_FAIL-ON …
  for (const [k, v] of Object.entries(inputs)) env[`INPUT_${k.toUpperCase()}`] = v;
  const child = spawn(process.execPath, [ACTION], { cwd: repo.dir, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => (stdout += d));
  child.stderr.on('data', (d) => (stderr += d));
  const started = Date.now();
  const code: number = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`dist/index.js timed out\n${stdout}\n${stderr}`));
    }, opts.timeoutMs ?? 60_000);
    child.on('close', (c) => {
      clearTimeout(timer);
      resolve(c ?? -1);
    });
  });
  const outputs = parseOutputs(readFileSync(output, 'utf8'));
  const ms = Date.now() - started;
  const run = { code, stdout, stderr, outputs, summary: readFileSync(summary, 'utf8'), report: outputs.report ? JSON.parse(readFileSync(outputs.report, 'utf8')) : undefined, ms };
  rmSync(dir, { recursive: true, force: true });
  return run;
}

export const sha = (repo: Repo, ref: string) => repo.git('rev-parse', ref);

/** A pull_request payload for the fixture's main → pr. */
export function prPayload(repo: Repo, labels: string[] = [], fork = false) {
  return {
    action: 'synchronize',
    number: PR,
    pull_request: {
      number: PR,
      base: { sha: sha(repo, 'main'), ref: 'main', repo: { full_name: `${OWNER}/${REPO}` } },
      head: { sha: sha(repo, 'pr'), ref: 'feature', repo: { full_name: fork ? `someone/${REPO}` : `${OWNER}/${REPO}` } },
      labels: labels.map((name) => ({ name })),
    },
    repository: { full_name: `${OWNER}/${REPO}` },
  };
}

export async function fake(repo: Repo, extra: Partial<GitHubState> = {}, opts: { readOnly?: boolean; maxCommentLength?: number } = {}): Promise<FakeGitHub> {
  return startFakeGitHub({
    owner: OWNER,
    repo: REPO,
    ...opts,
    state: {
      pulls: { [PR]: { number: PR, head: { sha: sha(repo, 'pr'), ref: 'feature' }, base: { sha: sha(repo, 'main'), ref: 'main' } } },
      ...extra,
    },
  });
}

