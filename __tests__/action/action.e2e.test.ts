/**
 * The bundled Action (`dist/index.js`) run as a process exactly as the runner runs it — `INPUT_*` variables
 * with hyphens kept, GITHUB_EVENT_PATH, GITHUB_OUTPUT, GITHUB_STEP_SUMMARY, GITHUB_WORKSPACE on a fixture
 * git repository — against a loopback server that speaks GitHub's REST API as its OpenAPI description
 * defines it (__tests__/helpers/github-api.ts: unknown routes and invalid bodies are violations).
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { MARKER } from '../../src/report/markdown.js';
import { FAIL_CLOSED_POD_WEBHOOK, fleetBase } from '../e2e/fixtures.js';
import { fake, OWNER, PR, prPayload, REPO, runAction, sha } from '../helpers/action-runner.js';
import { cleanupAll, prRepo, runCli, type Repo } from '../helpers/git-fixture.js';
import { startFakeGitHub, type FakeGitHub } from '../helpers/github-api.js';

afterAll(cleanupAll);

const risky = () => prRepo(fleetBase(), { 'clusters/prod-us/webhook.yaml': FAIL_CLOSED_POD_WEBHOOK });
const ours = (gh: FakeGitHub) => (gh.state.comments[PR] ?? []).filter((c) => c.body.startsWith(MARKER));

describe('the Action on a pull request', () => {
  it('posts one comment with the score, sets the status, annotations, summary and outputs, fails the job; a re-run updates instead of duplicating', async () => {
    const repo = risky();
    const gh = await fake(repo);
    try {
      const first = await runAction(repo, gh, { payload: prPayload(repo) });
      expect(first.code).toBe(1);
      expect(gh.violations).toEqual([]);
      expect(ours(gh)).toHaveLength(1);
      const body = ours(gh)[0].body;
      expect(body).toContain(`risk ${first.report.score}/100`);
      expect(body).toContain(`base ${sha(repo, 'main').slice(0, 7)} → head ${sha(repo, 'pr').slice(0, 7)}`);
      expect(first.outputs).toMatchObject({ score: String(first.report.score), level: first.report.level, findings: String(first.report.findings.filter((f: any) => !f.suppressed).length), sarif: '' });
      const status = gh.state.statuses[sha(repo, 'pr')].at(-1)!;
      expect(status).toMatchObject({ state: 'failure', context: 'blast-radius', description: `${first.report.level} — risk ${first.report.score}/100` });
      const annotation = first.stdout.split('\n').find((l) => l.startsWith('::error ') && l.includes('blast-radius/admission-webhook'));
      expect(annotation).toMatch(/file=clusters\/prod-us\/webhook\.yaml/);
      expect(annotation).toMatch(/line=\d+/);
      expect(first.summary).toContain('blast-radius/admission-webhook');
      expect(first.stdout).not.toContain('ghs_test_token_0123456789');
      expect(first.stderr).not.toContain('ghs_test_token_0123456789');

      const again = await runAction(repo, gh, { payload: prPayload(repo) });
      expect(again.code).toBe(1);
      expect(ours(gh)).toHaveLength(1);
      expect(again.stdout).toContain('Blast Radius comment: unchanged');
      expect(gh.requests.filter((r) => r.method === 'PATCH')).toHaveLength(0);

      // A new head: the same comment is updated in place.
      repo.commit({ 'clusters/prod-eu/webhook.yaml': FAIL_CLOSED_POD_WEBHOOK }, 'pr 2');
      gh.state.pulls[PR].head.sha = sha(repo, 'pr');
      const third = await runAction(repo, gh, { payload: prPayload(repo) });
      expect(third.stdout).toContain('Blast Radius comment: updated');
      expect(ours(gh)).toHaveLength(1);
      expect(ours(gh)[0].body).toContain(`head ${sha(repo, 'pr').slice(0, 7)}`);
      expect(gh.violations).toEqual([]);
    } finally {
      await gh.close();
      repo.cleanup();
    }
  });

  it('gives the same report as the CLI for the same change', async () => {
    const repo = risky();
    const gh = await fake(repo);
    try {
      const action = await runAction(repo, gh, { payload: prPayload(repo) });
      const cli = runCli(['check', '--repo', repo.dir, '--base', 'main', '--head', 'pr', '--format', 'json']);
      const strip = (r: any) => ({ ...r, stats: { ...r.stats, durationMs: 0 } });
      expect(strip(action.report)).toEqual(strip(JSON.parse(cli.stdout)));
      expect(action.code).toBe(cli.code);
    } finally {
      await gh.close();
      repo.cleanup();
    }
  });

  it('a clean pull request gets no comment (the status says so); a comment that exists says when the pull request becomes clean', async () => {
    const repo = prRepo(fleetBase(), { 'README.md': '# infra, documented\n' });
    const gh = await fake(repo);
    try {
      const run = await runAction(repo, gh, { payload: prPayload(repo) });
      expect(run.code).toBe(0);
      expect(gh.state.comments[PR] ?? []).toEqual([]);
      expect(gh.state.statuses[sha(repo, 'pr')].at(-1)).toMatchObject({ state: 'success', description: 'no findings — risk 0/100' });

      gh.state.comments[PR] = [{ id: 901, body: `${MARKER}\n### Blast Radius: 🔴 HIGH · old findings`, user: { login: 'github-actions[bot]', type: 'Bot' } }];
      await runAction(repo, gh, { payload: prPayload(repo) });
      expect(ours(gh)).toHaveLength(1);
      expect(ours(gh)[0].body).toContain('No findings');
      expect(ours(gh)[0].body).not.toContain('old findings');
      expect(gh.violations).toEqual([]);
    } finally {
      await gh.close();
      repo.cleanup();
    }
  });

  it("never overwrites the comment for a newer head, nor someone else's comment with the marker", async () => {
    const repo = risky();
    const gh = await fake(repo);
    try {
      gh.state.comments[PR] = [{ id: 77, body: `${MARKER}\nquoted by a human`, user: { login: 'octocat', type: 'User' } }];
      gh.state.pulls[PR].head.sha = 'f'.repeat(40);
      const stale = await runAction(repo, gh, { payload: prPayload(repo) });
      expect(stale.stdout).toContain('Blast Radius comment: stale');
      expect(gh.state.comments[PR]).toHaveLength(1);
      gh.state.pulls[PR].head.sha = sha(repo, 'pr');
      await runAction(repo, gh, { payload: prPayload(repo) });
      expect(gh.state.comments[PR].map((c) => c.user.login)).toEqual(['octocat', 'github-actions[bot]']);
      expect(gh.state.comments[PR][0].body).toBe(`${MARKER}\nquoted by a human`);
    } finally {
      await gh.close();
      repo.cleanup();
    }
  });

  it('fork mode (read-only token): one warning, no writes, summary and outputs still there, the exit code reflects the risk', async () => {
    const repo = risky();
    const gh = await fake(repo, {}, { readOnly: true });
    try {
      const run = await runAction(repo, gh, { payload: prPayload(repo, [], true), inputs: { 'sarif-file': 'out/blast-radius.sarif' } });
      expect(run.code).toBe(1);
      expect(run.stdout.match(/::warning::Blast Radius could not/g)).toHaveLength(1);
      expect(run.summary).toContain('blast-radius/admission-webhook');
      expect(run.outputs.level).toBe(run.report.level);
      expect(run.outputs.sarif).toBe(join(repo.dir, 'out/blast-radius.sarif'));
      const sarif = JSON.parse(readFileSync(run.outputs.sarif, 'utf8'));
      expect(sarif.version).toBe('2.1.0');
      expect(sarif.runs[0].results.length).toBeGreaterThan(0);
      expect(gh.state.comments[PR] ?? []).toEqual([]);
      expect(gh.violations).toEqual([]);
    } finally {
      await gh.close();
      repo.cleanup();
    }
  });

  it('with a GitHub App token (GET /user refused, the App posts as <app>[bot]) a re-run still updates its own comment', async () => {
    const repo = risky();
    const gh = await startFakeGitHub({ owner: OWNER, repo: REPO, botLogin: 'blast-app[bot]', state: { pulls: { [PR]: { number: PR, head: { sha: sha(repo, 'pr'), ref: 'feature' }, base: { sha: sha(repo, 'main'), ref: 'main' } } } } });
    try {
      await runAction(repo, gh, { payload: prPayload(repo) });
      await runAction(repo, gh, { payload: prPayload(repo) });
      expect(ours(gh)).toHaveLength(1);
    } finally {
      await gh.close();
      repo.cleanup();
    }
  });

  it('a workflow without statuses: write still gets its comment, with one warning', async () => {
    const repo = risky();
    const gh = await fake(repo);
    gh.fail({ method: 'POST', path: /\/statuses\// }, { status: 403, body: { message: 'Resource not accessible by integration' } }, Infinity);
    try {
      const run = await runAction(repo, gh, { payload: prPayload(repo) });
      expect(run.stdout.match(/::warning::Blast Radius could not/g)).toHaveLength(1);
      expect(ours(gh)).toHaveLength(1);
      expect(run.code).toBe(1);
    } finally {
      await gh.close();
      repo.cleanup();
    }
  });

  it('survives a comment deleted meanwhile (404 on update) and a body GitHub refuses as too long (422), losing nothing', async () => {
    const repo = risky();
    const gh = await fake(repo, {}, { maxCommentLength: 1500 });
    try {
      // Our old comment was deleted by someone after we listed it: PATCH answers 404.
      gh.state.comments[PR] = [{ id: 500, body: `${MARKER}\nold`, user: { login: 'github-actions[bot]', type: 'Bot' } }];
      gh.fail({ method: 'PATCH', path: /\/issues\/comments\/500$/ }, { status: 404, body: { message: 'Not Found' } }, Infinity);
      const run = await runAction(repo, gh, { payload: prPayload(repo) });
      expect(run.code).toBe(1);
      const created = gh.requests.filter((r) => r.method === 'POST' && /\/issues\/7\/comments$/.test(r.path));
      expect(created.at(-1)!.status).toBe(201);
      expect(created.some((r) => r.status === 422)).toBe(true);
      const posted = ours(gh).at(-1)!.body;
      expect(posted.length).toBeLessThanOrEqual(1500);
      expect(posted).toContain('job summary');
      // Nothing lost: the summary has the whole report.
      for (const f of run.report.findings) expect(run.summary).toContain(f.ruleId);
    } finally {
      await gh.close();
      repo.cleanup();
    }
  });
});

describe('annotations', () => {
  it('at most ten errors and ten warnings per step, the rest counted in a notice (all of them in the summary)', async () => {
    const hooks: Record<string, string> = {};
    for (let i = 0; i < 12; i++) hooks[`clusters/prod-us/webhook-${i}.yaml`] = FAIL_CLOSED_POD_WEBHOOK.replace('pod-injector', `pod-injector-${i}`);
    const repo = prRepo(fleetBase(), hooks);
    const gh = await fake(repo);
    try {
      const run = await runAction(repo, gh, { payload: prPayload(repo) });
      const live = run.report.findings.filter((f: any) => !f.suppressed && f.file);
      const high = live.filter((f: any) => ['high', 'critical'].includes(f.severity)).length;
      expect(high).toBeGreaterThan(10);
      const lines = run.stdout.split('\n');
      expect(lines.filter((l) => l.startsWith('::error ')).length).toBe(10);
      expect(lines.filter((l) => l.startsWith('::warning ')).length).toBe(Math.min(10, live.length - high));
      expect(lines.some((l) => l.startsWith('::notice::') && /\d+ more Blast Radius findings? (are|is) in the job summary/.test(l))).toBe(true);
      for (let i = 0; i < 12; i++) expect(run.summary).toContain(`webhook-${i}.yaml`);
    } finally {
      await gh.close();
      repo.cleanup();
    }
  });
});

describe('verified labels', () => {
  const LOCK = `locks:\n  - id: injector\n    reason: "Incident 2026-10-02: the injector webhook blocked pod creation"\n    match: { kind: MutatingWebhookConfiguration, name: pod-injector }\n`;
  const LABEL = 'blast-radius-override:injector';
  function lockedRepo(): Repo {
    return prRepo({ ...fleetBase(), '.blast-radius.yml': `${fleetBase()['.blast-radius.yml']}${LOCK}`, 'clusters/prod-us/webhook.yaml': FAIL_CLOSED_POD_WEBHOOK.replace('failurePolicy: Fail', 'failurePolicy: Ignore') }, { 'clusters/prod-us/webhook.yaml': FAIL_CLOSED_POD_WEBHOOK.replace('failurePolicy: Fail', 'failurePolicy: Ignore').replace('timeoutSeconds', 'timeoutSeconds').replace('operations: ["CREATE"]', 'operations: ["CREATE", "UPDATE"]') });
  }
  const labeled = (login: string, at: string) => ({ [PR]: [{ id: 1, event: 'labeled' as const, label: { name: LABEL }, actor: { login }, created_at: at }] });

  it('a lock override applied by a triage-role user does not lift the lock; the comment says who and why', async () => {
    const repo = lockedRepo();
    const gh = await fake(repo, { events: labeled('tess', '2026-11-20T10:00:00Z'), collaborators: { tess: 'triage' }, checkSuites: { [sha(repo, 'pr')]: [{ id: 3, created_at: '2026-11-20T09:00:00Z' }] } });
    try {
      const run = await runAction(repo, gh, { payload: prPayload(repo, [LABEL]) });
      expect(run.code).toBe(1);
      const lock = run.report.findings.find((f: any) => f.ruleId === 'revert-lock/locked-object');
      expect(lock).toMatchObject({ severity: 'critical', suppressed: false });
      const body = ours(gh)[0].body;
      expect(body).toContain('does not count');
      expect(body).toContain('@\u200btess (triage)');
      expect(gh.violations).toEqual([]);
    } finally {
      await gh.close();
      repo.cleanup();
    }
  });

  it('one applied by a maintainer after the head was pushed does: exit 0, the finding kept as suppressed', async () => {
    const repo = lockedRepo();
    const gh = await fake(repo, { events: labeled('maya', '2026-11-20T10:00:00Z'), collaborators: { maya: 'maintain' }, checkSuites: { [sha(repo, 'pr')]: [{ id: 3, created_at: '2026-11-20T09:00:00Z' }] } });
    try {
      const run = await runAction(repo, gh, { payload: prPayload(repo, [LABEL]) });
      const lock = run.report.findings.find((f: any) => f.ruleId === 'revert-lock/locked-object');
      expect(lock).toMatchObject({ suppressed: true });
      expect(lock.suppressedBy).toContain(`label ${LABEL}`);
      expect(run.report.findings.filter((f: any) => !f.suppressed && ['high', 'critical'].includes(f.severity))).toEqual([]);
      expect(run.code).toBe(0);
      expect(ours(gh)[0].body).toContain('@\u200bmaya (maintain)');
    } finally {
      await gh.close();
      repo.cleanup();
    }
  });

  it('one applied by a maintainer before the current head was pushed does not count (an approval covers the change it saw)', async () => {
    const repo = lockedRepo();
    const gh = await fake(repo, { events: labeled('maya', '2026-11-20T08:00:00Z'), collaborators: { maya: 'maintain' }, checkSuites: { [sha(repo, 'pr')]: [{ id: 3, created_at: '2026-11-20T09:00:00Z' }] } });
    try {
      const run = await runAction(repo, gh, { payload: prPayload(repo, [LABEL]) });
      expect(run.code).toBe(1);
      expect(ours(gh)[0].body).toContain('before the current head commit was pushed');
    } finally {
      await gh.close();
      repo.cleanup();
    }
  });

  it('a label applied before a force push that made the head what it is does not count', async () => {
    const repo = lockedRepo();
    const events = { [PR]: [...labeled('maya', '2026-11-20T10:00:00Z')[PR], { id: 2, event: 'head_ref_force_pushed' as const, actor: { login: 'mallory' }, created_at: '2026-11-20T11:00:00Z' }] };
    const gh = await fake(repo, { events, collaborators: { maya: 'maintain' }, checkSuites: { [sha(repo, 'pr')]: [{ id: 3, created_at: '2026-11-20T09:00:00Z' }] } });
    try {
      const run = await runAction(repo, gh, { payload: prPayload(repo, [LABEL]) });
      expect(run.code).toBe(1);
      expect(ours(gh)[0].body).toContain('2026-11-20T11:00:00Z');
    } finally {
      await gh.close();
      repo.cleanup();
    }
  });

  it('when the push time cannot be told (no check suite visible), no label counts — never the commit date', async () => {
    const repo = lockedRepo();
    const gh = await fake(repo, { events: labeled('maya', '2026-11-20T10:00:00Z'), collaborators: { maya: 'maintain' } });
    gh.fail({ method: 'GET', path: /\/check-suites$/ }, { status: 403, body: { message: 'Resource not accessible by integration' } }, Infinity);
    try {
      const run = await runAction(repo, gh, { payload: prPayload(repo, [LABEL]) });
      expect(run.code).toBe(1);
      expect(ours(gh)[0].body).toContain('checks: read');
    } finally {
      await gh.close();
      repo.cleanup();
    }
  });

  it('merge_group: base and head (the queue\'s merge commit) from the payload; labels from the queued pull request, approved against its own head', async () => {
    const repo = lockedRepo();
    repo.checkout('main');
    repo.branch('queue');
    repo.git('merge', '--no-ff', '--quiet', '-m', 'Merge pull request #7', 'pr');
    const queued = sha(repo, 'queue');
    const gh = await fake(repo, { events: labeled('maya', '2026-11-20T10:00:00Z'), collaborators: { maya: 'maintain' }, checkSuites: { [sha(repo, 'pr')]: [{ id: 3, created_at: '2026-11-20T09:00:00Z' }], [queued]: [{ id: 4, created_at: '2026-11-20T12:00:00Z' }] } });
    gh.state.pulls[PR].labels = [LABEL];
    try {
      const payload = { merge_group: { base_sha: sha(repo, 'main'), head_sha: queued, head_ref: `refs/heads/gh-readonly-queue/main/pr-${PR}-${queued}` } };
      const run = await runAction(repo, gh, { event: 'merge_group', payload });
      expect(run.code).toBe(0);
      expect(run.report.findings.find((f: any) => f.ruleId === 'revert-lock/locked-object')).toMatchObject({ suppressed: true });
      expect(gh.state.comments[PR] ?? []).toEqual([]); // no comment from a merge queue run
      expect(gh.state.statuses[queued].at(-1)).toMatchObject({ state: 'success' });
      expect(gh.violations).toEqual([]);
    } finally {
      await gh.close();
      repo.cleanup();
    }
  });
});

describe('events it does not check', () => {
  it('refuses pull_request_target with the reason, and passes over a push', async () => {
    const repo = risky();
    const gh = await fake(repo);
    try {
      const target = await runAction(repo, gh, { event: 'pull_request_target' as any, payload: prPayload(repo) });
      expect(target.code).toBe(1);
      expect(target.stdout).toContain('does not run on pull_request_target');
      expect(gh.requests).toEqual([]);
    } finally {
      await gh.close();
      repo.cleanup();
    }
  });
});

describe('a checkout without the base commit', () => {
  it('fetches nothing it cannot, reads the changed files through the API, analyses them and says what was not seen', async () => {
    const repo = risky();
    const gh = await fake(repo);
    const clone = mkdtempSync(join(tmpdir(), 'blast-radius-shallow-'));
    try {
      // Only the head commit, and an origin that cannot be reached: nothing more can be fetched.
      repo.git('clone', '--quiet', '--depth', '1', '--branch', 'pr', `file://${repo.dir}`, join(clone, 'ws'));
      repo.git('-C', join(clone, 'ws'), 'remote', 'set-url', 'origin', join(clone, 'nowhere'));
      const head = sha(repo, 'pr');
      const base = sha(repo, 'main');
      gh.state.pullFiles[PR] = [{ filename: 'clusters/prod-us/webhook.yaml', status: 'added' }];
      gh.state.contents[head] = { 'clusters/prod-us/webhook.yaml': FAIL_CLOSED_POD_WEBHOOK, '.blast-radius.yml': fleetBase()['.blast-radius.yml'] };
      gh.state.contents[base] = { '.blast-radius.yml': fleetBase()['.blast-radius.yml'] };
      const shallow = { ...repo, dir: join(clone, 'ws') } as Repo;
      const run = await runAction(shallow, gh, { payload: prPayload(repo) });
      expect(run.report.findings.map((f: any) => f.ruleId)).toContain('blast-radius/admission-webhook');
      expect(run.report.notes.join('\n')).toContain('fetch-depth: 0');
      expect(run.code).toBe(1);
      expect(gh.violations).toEqual([]);
    } finally {
      rmSync(clone, { recursive: true, force: true });
      await gh.close();
      repo.cleanup();
    }
  });
});

describe('GitHub faults', () => {
  it('a 500 and then success is retried; a secondary rate limit (403 with retry-after) is waited out', async () => {
    const repo = risky();
    const gh = await fake(repo);
    gh.fail({ method: 'POST', path: /\/issues\/7\/comments$/ }, { status: 500, body: { message: 'Server Error' } });
    gh.fail(
      { method: 'POST', path: /\/statuses\// },
      { status: 403, body: { message: 'You have exceeded a secondary rate limit. Please wait a few minutes before you try again.' }, headers: { 'retry-after': '1' } },
    );
    try {
      const run = await runAction(repo, gh, { payload: prPayload(repo) });
      expect(run.code).toBe(1);
      expect(ours(gh)).toHaveLength(1);
      expect(gh.state.statuses[sha(repo, 'pr')]).toHaveLength(1);
      expect(gh.requests.filter((r) => r.method === 'POST').map((r) => r.status)).toEqual(expect.arrayContaining([500, 201, 403, 201]));
      expect(run.stdout).not.toMatch(/::warning::Blast Radius could not/);
    } finally {
      await gh.close();
      repo.cleanup();
    }
  });

  it('when GitHub stays down, the summary, the JSON report and the outputs hold the full result and the job result is the risk', async () => {
    const repo = risky();
    const gh = await fake(repo);
    gh.fail({ method: '*', path: /./ }, { status: 503, body: { message: 'Service Unavailable' } }, Infinity);
    try {
      const run = await runAction(repo, gh, { payload: prPayload(repo) });
      expect(run.code).toBe(1);
      expect(run.outputs.level).toBe(run.report.level);
      for (const f of run.report.findings) expect(run.summary).toContain(f.ruleId);
      // One warning for the status; the comment is not even tried (it would wait out the same retries).
      expect(run.stdout.match(/::warning::Blast Radius could not/g)).toHaveLength(1);
      expect(run.stdout).toContain('Blast Radius did not write the pull request comment: GitHub failed an earlier request');
      expect(run.stdout).not.toContain('internal error');
    } finally {
      await gh.close();
      repo.cleanup();
    }
  }, 90_000);
});
