/**
 * GitHub faults beyond the basic ones of action.e2e.test.ts (500 then success, a secondary rate limit, GitHub
 * down on every route): 5xx bursts within and beyond the retry plugin's limit (three retries, waits of 1, 4
 * and 9 s), a connection that hangs until the client's per-request deadline (src/action/github.ts, 30 s)
 * abandons it, and a primary rate limit (403 with x-ratelimit-remaining: 0) waited out as the throttling
 * plugin does. Each spawns the bundled dist/index.js against the loopback GitHub of helpers/github-api.ts.
 * In every case the job's result is the risk, never the outage.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { MARKER } from '../../src/report/markdown.js';
import { FAIL_CLOSED_POD_WEBHOOK, fleetBase } from '../e2e/fixtures.js';
import { fake, PR, prPayload, runAction as runShared, sha, type ActionRun } from '../helpers/action-runner.js';
import { cleanupAll, prRepo, type Repo } from '../helpers/git-fixture.js';
import type { FakeGitHub, RecordedRequest } from '../helpers/github-api.js';

afterAll(cleanupAll);

/** The retry plugin's defaults: three retries, waiting (n + 1)² s before retry n. */
const RETRIES = 3;
/** src/action/github.ts: REQUEST_TIMEOUT_MS (a constant; there is no knob to shorten it). */
const DEADLINE_MS = 30_000;

/** The Action on a pull_request event of the fixture (action-runner.ts), with a time limit of its own. */
const runAction = (repo: Repo, gh: FakeGitHub, timeoutMs = 60_000): Promise<ActionRun> => runShared(repo, gh, { payload: prPayload(repo), timeoutMs });

const risky = () => prRepo(fleetBase(), { 'clusters/prod-us/webhook.yaml': FAIL_CLOSED_POD_WEBHOOK });
const clean = () => prRepo(fleetBase(), { 'README.md': '# infra, documented\n' });
const ours = (gh: FakeGitHub) => (gh.state.comments[PR] ?? []).filter((c) => c.body.startsWith(MARKER));

const COMMENTS = /\/issues\/7\/comments$/;
const STATUSES = /\/statuses\//;
/** Status codes of the recorded requests of one method and path, in order (0: abandoned by the client). */
const codes = (gh: FakeGitHub, method: string, path: RegExp) => gh.requests.filter((r: RecordedRequest) => r.method === method && path.test(r.path)).map((r) => r.status);
const couldNot = (run: ActionRun) => run.stdout.split('\n').filter((l) => l.startsWith('::warning::Blast Radius could not'));

/** A JSON report without its one field that differs from run to run (the analysis time). */
const timeless = (report: any) => ({ ...report, stats: { ...report.stats, durationMs: undefined } });

/** The result a fault-free run gives for the same repository: what a run with faults must still hold in full. */
async function baseline(repo: Repo): Promise<ActionRun> {
  const gh = await fake(repo);
  try {
    return await runAction(repo, gh);
  } finally {
    await gh.close();
  }
}

describe('5xx bursts', () => {
  it('several consecutive 502/503/504 on the comment and status routes, then success: retried within the limit, both written once, no violations', async () => {
    const repo = risky();
    const gh = await fake(repo);
    // The comment: as many failures as the retry plugin retries (the fourth attempt succeeds).
    for (const status of [502, 503, 504]) gh.fail({ method: 'POST', path: COMMENTS }, { status, body: { message: 'Server Error' } });
    for (const status of [503, 504]) gh.fail({ method: 'POST', path: STATUSES }, { status, body: { message: 'Service Unavailable' } });
    try {
      const run = await runAction(repo, gh);
      expect(run.code).toBe(1);
      expect(codes(gh, 'POST', STATUSES)).toEqual([503, 504, 201]);
      expect(codes(gh, 'POST', COMMENTS)).toEqual([502, 503, 504, 201]);
      expect(ours(gh)).toHaveLength(1);
      expect(gh.state.statuses[sha(repo, 'pr')]).toEqual([expect.objectContaining({ state: 'failure', context: 'blast-radius' })]);
      expect(couldNot(run)).toEqual([]);
      expect(run.stdout).toContain('Blast Radius comment: created');
      // Waits of 1 + 4 s and 1 + 4 + 9 s: at least 14 s, well under the deadline of any request.
      expect(run.ms).toBeGreaterThanOrEqual(14_000);
      expect(gh.violations).toEqual([]);
    } finally {
      await gh.close();
      repo.cleanup();
    }
  }, 90_000);

  it('a burst longer than the retry limit on the comment: given up after 1 + 3 attempts, one warning; the summary and JSON report are the full result, the job fails on the risk', async () => {
    const repo = risky();
    const expected = await baseline(repo);
    const gh = await fake(repo);
    // One more failure than the plugin retries; GitHub is fine afterwards.
    gh.fail({ method: 'POST', path: COMMENTS }, { status: 502, body: { message: 'Bad Gateway' } }, RETRIES + 1);
    try {
      const run = await runAction(repo, gh);
      expect(run.code).toBe(1);
      expect(codes(gh, 'POST', STATUSES)).toEqual([201]);
      expect(codes(gh, 'POST', COMMENTS)).toEqual([502, 502, 502, 502]);
      expect(ours(gh)).toEqual([]);
      expect(couldNot(run)).toHaveLength(1);
      expect(couldNot(run)[0]).toContain('write the pull request comment');
      expect(timeless(run.report)).toEqual(timeless(expected.report));
      expect(run.report.findings.length).toBeGreaterThan(0);
      expect(run.summary).toBe(expected.summary);
      expect(run.outputs).toMatchObject({ score: expected.outputs.score, level: expected.outputs.level, findings: expected.outputs.findings });
      expect(run.stdout).toMatch(/::error::Blast Radius: \w+ — risk \d+\/100: fails at fail-on/);
      expect(run.stdout).not.toContain('internal error');
      expect(gh.violations).toEqual([]);
    } finally {
      await gh.close();
      repo.cleanup();
    }
  }, 90_000);

  it('a burst longer than the retry limit on a clean pull request: the job passes (the outage does not fail it), the comment is not tried', async () => {
    const repo = clean();
    const expected = await baseline(repo);
    const gh = await fake(repo);
    gh.fail({ method: 'POST', path: STATUSES }, { status: 504, body: { message: 'Gateway Timeout' } }, RETRIES + 1);
    try {
      const run = await runAction(repo, gh);
      expect(run.code).toBe(0);
      expect(codes(gh, 'POST', STATUSES)).toEqual([504, 504, 504, 504]);
      expect(gh.requests.filter((r) => COMMENTS.test(r.path))).toEqual([]);
      expect(couldNot(run)).toHaveLength(1);
      expect(couldNot(run)[0]).toContain('set the commit status');
      expect(run.stdout).toContain('Blast Radius did not write the pull request comment: GitHub failed an earlier request');
      expect(timeless(run.report)).toEqual(timeless(expected.report));
      expect(run.summary).toBe(expected.summary);
      expect(run.outputs.level).toBe('none');
      expect(run.stdout).not.toMatch(/^::error::/m);
      expect(gh.violations).toEqual([]);
    } finally {
      await gh.close();
      repo.cleanup();
    }
  }, 90_000);
});

describe('a request that hangs', () => {
  it('is abandoned at the per-request deadline and retried; the rest of the run completes and the job fails on the risk', async () => {
    const repo = risky();
    const gh = await fake(repo);
    // The status write hangs longer than the deadline (it would answer 504 after 50 s; the client is gone by then).
    gh.fail({ method: 'POST', path: STATUSES }, { status: 504, delayMs: DEADLINE_MS + 20_000 });
    try {
      const run = await runAction(repo, gh, 100_000);
      expect(run.code).toBe(1);
      const posts = gh.requests.filter((r) => r.method === 'POST' && STATUSES.test(r.path));
      expect(posts.map((r) => [r.status, r.aborted ?? false])).toEqual([
        [0, true],
        [201, false],
      ]);
      // The deadline fired (not the hang ending): the run took the deadline, not the 50 s hang.
      expect(run.ms).toBeGreaterThanOrEqual(DEADLINE_MS);
      expect(run.ms).toBeLessThan(DEADLINE_MS + 20_000);
      expect(gh.state.statuses[sha(repo, 'pr')]).toHaveLength(1);
      expect(ours(gh)).toHaveLength(1);
      expect(run.stdout).toContain('Blast Radius comment: created');
      expect(couldNot(run)).toEqual([]);
      expect(run.report.findings.length).toBeGreaterThan(0);
      expect(gh.violations).toEqual([]);
    } finally {
      await gh.close();
      repo.cleanup();
    }
  }, 120_000);
});

describe('a primary rate limit', () => {
  /** GitHub's answer once the installation's quota is spent: 403, remaining 0, reset in `inS` seconds. */
  const exhausted = (inS: number) => ({
    status: 403,
    body: { message: 'API rate limit exceeded for installation ID 4242.', documentation_url: 'https://docs.github.com/rest/overview/rate-limits-for-the-rest-api' },
    headers: { 'x-ratelimit-remaining': '0', 'x-ratelimit-used': '5000', 'x-ratelimit-reset': String(Math.ceil(Date.now() / 1000) + inS) },
  });

  it('(403, x-ratelimit-remaining: 0) is waited out until x-ratelimit-reset and retried, with one warning from the throttling plugin', async () => {
    const repo = risky();
    const gh = await fake(repo);
    // Both writes hit the same spent quota, which resets 4 s from now: the status waits for the reset (one
    // second past it, as the plugin does); by the time the comment hits it the reset is past, and it is retried at once.
    const started = Date.now();
    const quota = exhausted(4);
    const reset = Number(quota.headers['x-ratelimit-reset']) * 1000;
    gh.fail({ method: 'POST', path: STATUSES }, quota);
    gh.fail({ method: 'POST', path: COMMENTS }, quota);
    try {
      const run = await runAction(repo, gh);
      expect(run.code).toBe(1);
      expect(codes(gh, 'POST', STATUSES)).toEqual([403, 201]);
      expect(codes(gh, 'POST', COMMENTS)).toEqual([403, 201]);
      const waits = run.stdout.split('\n').filter((l) => l.startsWith('::warning::GitHub API rate limit on POST'));
      expect(waits).toHaveLength(2);
      expect(waits[0]).toContain('/statuses/');
      expect(Number(/retrying after (\d+) s/.exec(waits[0])?.[1])).toBeGreaterThanOrEqual(1);
      expect(waits[1]).toContain('/comments');
      // The run did not end before the quota reset.
      expect(started + run.ms).toBeGreaterThanOrEqual(reset);
      expect(gh.state.statuses[sha(repo, 'pr')]).toHaveLength(1);
      expect(ours(gh)).toHaveLength(1);
      expect(couldNot(run)).toEqual([]);
      expect(gh.violations).toEqual([]);
    } finally {
      await gh.close();
      repo.cleanup();
    }
  }, 90_000);

  it('still spent after the retries: that write is given up with one warning, the other still goes, the job fails on the risk', async () => {
    const repo = risky();
    const gh = await fake(repo);
    // RATE_LIMIT_RETRIES is 2: three 403s exhaust it.
    gh.fail({ method: 'POST', path: STATUSES }, exhausted(1), 3);
    try {
      const run = await runAction(repo, gh);
      expect(run.code).toBe(1);
      expect(codes(gh, 'POST', STATUSES)).toEqual([403, 403, 403]);
      expect(gh.state.statuses[sha(repo, 'pr')] ?? []).toEqual([]);
      expect(ours(gh)).toHaveLength(1);
      expect(couldNot(run)).toHaveLength(1);
      // The warning quotes GitHub's message and says the quota held, not the advice for a refused write
      // (a fork's read-only token, missing permissions), which does not apply to a spent quota.
      expect(couldNot(run)[0]).toContain('API rate limit exceeded');
      expect(couldNot(run)[0]).toContain('rate limit still held');
      expect(couldNot(run)[0]).not.toContain('read-only token');
      expect(run.report.findings.length).toBeGreaterThan(0);
      expect(run.stdout).not.toContain('internal error');
      expect(gh.violations).toEqual([]);
    } finally {
      await gh.close();
      repo.cleanup();
    }
  }, 90_000);
});
