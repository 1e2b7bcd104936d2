/**
 * The GitHub Action: a thin shell over the same check the CLI runs (src/check.ts). It turns the event into
 * a change set, verifies the labels that lift findings, and publishes the result: outputs, the JSON report
 * and SARIF files, the job summary, annotations on exact lines, the commit status `blast-radius`, and the
 * sticky pull-request comment. Writes a read-only token is refused (a fork's pull request) become one
 * warning; the job's result reflects the risk, never an API outage or a missing permission.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import * as core from '@actions/core';
import { RULE_METAS, runCheck, type CheckResult } from '../check.js';
import type { Config } from '../config.js';
import { stricterFailOn } from '../engine.js';
import { UsageError } from '../errors.js';
import { git } from '../git.js';
import { renderJson } from '../report/json.js';
import { escapeMarkdown, renderMarkdown } from '../report/markdown.js';
import { renderSarif } from '../report/sarif.js';
import { exitCodeFor } from '../score.js';
import { levelRank, type Finding, type Report, type ReportContext } from '../types.js';
import { publishComment } from './comment.js';
import { InputError, readInputs, readTarget, type Inputs, type Target } from './event.js';
import { changeThroughApi } from './fallback.js';
import { client, statusOf, Writer, type Octokit } from './github.js';
import { meaningful, verifyLabels, type LabelDecision } from './labels.js';

/** Annotations per step GitHub shows: at most this many errors and this many warnings. */
const ANNOTATIONS = 10;
/** The job summary holds up to 1 MiB (bytes): the report gets at most this many characters (≤ 3 bytes each). */
const SUMMARY_LIMIT = 300_000;

function hasCommit(repo: string, sha: string): boolean {
  try {
    git(repo, ['cat-file', '-e', `${sha}^{commit}`]);
    return true;
  } catch {
    return false;
  }
}

/** Makes sure the checkout has both commits: fetches what is missing (the pull request's head from refs/pull/N/head). */
function ensureCommits(repo: string, t: Target): boolean {
  const missing = [t.base, t.head].filter((sha) => !hasCommit(repo, sha));
  if (missing.length === 0) return true;
  core.info(`Fetching ${missing.map((s) => s.slice(0, 7)).join(' and ')}: the checkout does not have ${missing.length === 1 ? 'it' : 'them'} (check out with fetch-depth: 0 to skip this)`);
  const refs = [...missing, ...(t.number ? [`+refs/pull/${t.number}/head:refs/remotes/origin/pull/${t.number}`] : [])];
  for (const args of [['fetch', '--no-tags', '--quiet', 'origin', ...missing], ['fetch', '--no-tags', '--quiet', 'origin', ...refs]]) {
    try {
      git(repo, args);
    } catch {
      /* try the next way */
    }
    if ([t.base, t.head].every((sha) => hasCommit(repo, sha))) return true;
  }
  return false;
}

/** The labels section of the comment and summary: what each meaningful label did, and who applied it. */
function labelsSection(decisions: readonly LabelDecision[], config: Config | undefined): string[] {
  if (decisions.length === 0) return [];
  const lines = ['', '**Labels**', ''];
  for (const d of decisions) {
    // Logins and label names come from GitHub users: escaped (an @login would ping, a name could carry Markdown).
    const role = d.role && /^[a-z_-]+$/.test(d.role) ? ` (${d.role})` : '';
    const at = d.at && /^[\dTZ:.+-]+$/.test(d.at) ? ` at ${d.at}` : '';
    const who = d.by ? ` — applied by ${escapeMarkdown(`@${d.by}`, 100)}${role}${at}` : '';
    const what = d.label === config?.acceptLabel ? 'accepts every live finding except revert-lock ones' : 'lifts the findings of its lock or re-apply';
    const name = `<code>${escapeMarkdown(d.label, 100)}</code>`;
    lines.push(d.counted ? `- ✅ ${name}${who}: counts, ${what}` : `- ❌ ${name}${who}: does not count — ${escapeMarkdown(d.why, 400)}`);
  }
  return lines;
}

/** Annotations on exact lines: errors for high / critical, warnings for medium / low, ten of each. */
function annotate(findings: readonly Finding[]): number {
  const live = findings.filter((f) => !f.suppressed && f.file !== null).sort((a, b) => levelRank(b.severity) - levelRank(a.severity));
  let errors = 0;
  let warnings = 0;
  let left = 0;
  for (const f of live) {
    const props = { title: `Blast Radius ${f.severity}: ${f.ruleId}`, file: f.file!, ...(f.line ? { startLine: f.line } : {}) };
    const text = `${f.message}\n\nFix: ${f.remediation}`;
    if (levelRank(f.severity) >= levelRank('high')) {
      if (errors < ANNOTATIONS) {
        core.error(text, props);
        errors++;
      } else left++;
    } else if (warnings < ANNOTATIONS) {
      core.warning(text, props);
      warnings++;
    } else left++;
  }
  if (left > 0) core.notice(`${left} more Blast Radius finding${left === 1 ? ' is' : 's are'} in the job summary.`);
  return left;
}

function statusDescription(report: Report): string {
  return `${report.level === 'none' ? 'no findings' : report.level} — risk ${report.score}/100`.slice(0, 140);
}

interface Checked {
  result: Pick<CheckResult, 'report' | 'exitCode' | 'failOn' | 'context'>;
  config?: Config;
}

async function check(inputs: Inputs, target: Target, repo: string, gh: Octokit | undefined, prLabels: string[], prHead: string | undefined, decisions: LabelDecision[]): Promise<Checked> {
  let config: Config | undefined;
  const labelsFor = async (c: Config): Promise<string[]> => {
    config = c;
    const wanted = meaningful(prLabels, c);
    if (wanted.length === 0 || !gh || !target.number) return [];
    try {
      // The approval is of the pull request's own head (in a merge queue run, not the queue's merge commit).
      decisions.push(...(await verifyLabels(gh, { owner: target.owner, repo: target.repo, number: target.number, head: prHead ?? target.head }, wanted)));
    } catch (e) {
      // Unverifiable labels lift nothing; the check itself goes on.
      core.warning(`Blast Radius could not verify the labels ${wanted.join(', ')} (${e instanceof Error ? e.message : String(e)}): none of them counts in this run`);
      decisions.push(...wanted.map((label) => ({ label, counted: false, why: 'it could not be verified (the GitHub API failed)' })));
    }
    return decisions.filter((d) => d.counted).map((d) => d.label);
  };
  if (ensureCommits(repo, target)) {
    const result = await runCheck({ repo, base: target.base, head: target.head, configPath: inputs.config, format: 'json', failOn: inputs.failOn, failOnMode: 'stricter', labels: labelsFor });
    return { result, config };
  }
  if (!gh || !target.number) throw new UsageError(`the checkout lacks ${target.base.slice(0, 7)} or ${target.head.slice(0, 7)} and they cannot be fetched: check out with actions/checkout and fetch-depth: 0`);
  const api = await changeThroughApi(gh, { owner: target.owner, repo: target.repo, number: target.number, base: target.base, head: target.head }, inputs.config);
  const labels = await labelsFor(api.config);
  const { report } = api.analyzeWith(labels);
  const failOn = stricterFailOn(inputs.failOn, api.config);
  const exitCode = exitCodeFor(report.level, failOn);
  const context: ReportContext = { rules: RULE_METAS, base: target.base, head: target.head, failOn, exitCode };
  return { result: { report, exitCode, failOn, context }, config: api.config };
}

/** Runs the Action. Never throws: failures become the job's failure with one clear line. */
export async function run(env: NodeJS.ProcessEnv = process.env): Promise<void> {
  try {
    await main(env);
  } catch (e) {
    if (e instanceof InputError || e instanceof UsageError) core.setFailed(e.message);
    else core.setFailed(`Blast Radius internal error: ${e instanceof Error ? e.message : String(e)}`);
  }
}

async function main(env: NodeJS.ProcessEnv): Promise<void> {
  const inputs = readInputs();
  const target = readTarget(env);
  if ('skip' in target) {
    core.notice(target.skip);
    return;
  }
  const workspace = env.GITHUB_WORKSPACE ?? process.cwd();
  const repo = resolve(workspace, inputs.workingDirectory);
  const gh = inputs.token ? client(inputs.token) : undefined;
  const writer = new Writer();

  // The labels of the pull request: from the event, or (merge queue) from the queued pull request.
  let prLabels = target.labels;
  let prHead: string | undefined;
  if (target.event === 'merge_group' && target.number && gh) {
    try {
      const { data } = await gh.rest.pulls.get({ owner: target.owner, repo: target.repo, pull_number: target.number });
      prLabels = data.labels.map((l) => l.name ?? '').filter(Boolean);
      prHead = data.head.sha;
    } catch (e) {
      core.warning(`Blast Radius could not read pull request #${target.number} of the merge queue entry (${e instanceof Error ? e.message : String(e)}): no label counts in this run`);
    }
  }
  const decisions: LabelDecision[] = [];
  const { result, config } = await check(inputs, target, repo, gh, prLabels, prHead, decisions);
  const { report, context } = result;

  // Files and outputs.
  const outDir = env.RUNNER_TEMP || tmpdir();
  mkdirSync(outDir, { recursive: true });
  const reportPath = join(outDir, 'blast-radius-report.json');
  writeFileSync(reportPath, renderJson(report));
  let sarifPath = '';
  if (inputs.sarifFile) {
    sarifPath = isAbsolute(inputs.sarifFile) ? inputs.sarifFile : resolve(workspace, inputs.sarifFile);
    mkdirSync(dirname(sarifPath), { recursive: true });
    writeFileSync(sarifPath, renderSarif(report, context));
  }
  const live = report.findings.filter((f) => !f.suppressed);
  core.setOutput('score', String(report.score));
  core.setOutput('level', report.level);
  core.setOutput('findings', String(live.length));
  core.setOutput('report', reportPath);
  core.setOutput('sarif', sarifPath);

  // Job summary (the full report), annotations.
  const labelLines = labelsSection(decisions, config);
  await core.summary.addRaw([renderMarkdown(report, context, { limit: SUMMARY_LIMIT }).trimEnd(), ...labelLines].join('\n') + '\n').write();
  annotate(report.findings);

  // Commit status and sticky comment.
  // Once GitHub has failed a request after its retries (5xx, no answer), the later writes are not tried:
  // each would wait out the same retries, and the result is already in the summary and outputs.
  let down = false;
  const tolerate = async (what: string, fn: () => Promise<void>) => {
    if (down) {
      core.info(`Blast Radius did not ${what}: GitHub failed an earlier request`);
      return;
    }
    try {
      await fn();
    } catch (e) {
      const status = statusOf(e);
      if (status === undefined || status >= 500) down = true;
      core.warning(`Blast Radius could not ${what} (${e instanceof Error ? e.message : String(e)}); the job summary and outputs hold the full result`);
    }
  };
  if (gh && inputs.status) await tolerate('set the commit status', async () => {
    const runUrl = env.GITHUB_SERVER_URL && env.GITHUB_RUN_ID ? `${env.GITHUB_SERVER_URL}/${target.owner}/${target.repo}/actions/runs/${env.GITHUB_RUN_ID}` : undefined;
    await writer.write('status', 'set the commit status', () =>
      gh.rest.repos.createCommitStatus({
        owner: target.owner,
        repo: target.repo,
        sha: target.head,
        state: result.exitCode === 0 ? 'success' : 'failure',
        context: 'blast-radius',
        description: statusDescription(report),
        ...(runUrl ? { target_url: runUrl } : {}),
      }),
    );
  });
  const number = target.number;
  if (gh && inputs.comment !== 'off' && target.event === 'pull_request' && number) await tolerate('write the pull request comment', async () => {
    const clean = report.findings.length === 0 && report.errors.length === 0 && decisions.length === 0;
    const body = [renderMarkdown(report, context).trimEnd(), ...labelLines].join('\n') + '\n';
    const outcome = await publishComment(gh, writer, { owner: target.owner, repo: target.repo, number, head: target.head }, body, { mode: inputs.comment === 'new' ? 'new' : 'update', clean });
    core.info(`Blast Radius comment: ${outcome}`);
  });

  const verdict = `Blast Radius: ${report.level === 'none' ? 'no live findings' : report.level} — risk ${report.score}/100`;
  if (result.exitCode !== 0) core.setFailed(`${verdict}: fails at fail-on ${result.failOn}`);
  else core.info(`${verdict}: passes at fail-on ${result.failOn}`);
}
