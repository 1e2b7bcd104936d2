import { getOctokit } from '@actions/github';
import { afterEach, describe, expect, it } from 'vitest';
import { responsePointer, schemaErrors, startFakeGitHub, type FakeGitHub, type FakeGitHubOptions } from './github-api.js';

const OWNER = 'acme';
const REPO = 'fleet';
const HEAD = 'a'.repeat(40);
const BASE = 'b'.repeat(40);
const R = `/repos/${OWNER}/${REPO}`;

let servers: FakeGitHub[] = [];
afterEach(async () => {
  await Promise.all(servers.map((s) => s.close()));
  servers = [];
});

/** A fake with pull request #7 seeded (head/base as above, one label). */
async function start(opts: Partial<FakeGitHubOptions> = {}): Promise<FakeGitHub> {
  const gh = await startFakeGitHub({ owner: OWNER, repo: REPO, ...opts });
  servers.push(gh);
  gh.state.pulls[7] = { number: 7, head: { sha: HEAD, ref: 'feature' }, base: { sha: BASE, ref: 'main' }, labels: ['infra'], state: 'open' };
  return gh;
}

interface Res {
  status: number;
  headers: Headers;
  // Response bodies are read field by field in the tests below.
  body: any;
}

async function call(gh: FakeGitHub, method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<Res> {
  const init: RequestInit = { method, headers: { authorization: 'token t', accept: 'application/vnd.github+json', ...headers } };
  if (body !== undefined) {
    init.body = typeof body === 'string' ? body : JSON.stringify(body);
    (init.headers as Record<string, string>)['content-type'] = 'application/json; charset=utf-8';
  }
  const res = await fetch(gh.url + path, init);
  const text = await res.text();
  const type = res.headers.get('content-type') ?? '';
  return { status: res.status, headers: res.headers, body: text === '' ? undefined : type.startsWith('application/json') ? JSON.parse(text) : text };
}

/** The fake's answer matches GitHub's response schema for the operation. */
function expectShape(method: string, template: string, status: number, body: unknown): void {
  expect(schemaErrors(responsePointer(method, template, status), body)).toBeUndefined();
}

/** `rel` → URL of a Link header. */
function links(res: Res): Record<string, string> {
  const out: Record<string, string> = {};
  for (const m of (res.headers.get('link') ?? '').matchAll(/<([^>]+)>; rel="(\w+)"/g)) out[m[2]] = m[1];
  return out;
}

describe('fake GitHub: known routes', () => {
  it('serves a pull request shaped like GitHub, with the headers Octokit reads', async () => {
    const gh = await start();
    const res = await call(gh, 'GET', `${R}/pulls/7`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/json; charset=utf-8');
    expect(res.headers.get('x-ratelimit-limit')).toBe('1000');
    expect(Number(res.headers.get('x-ratelimit-remaining'))).toBeLessThan(1000);
    expect(Number(res.headers.get('x-ratelimit-reset'))).toBeGreaterThan(Date.now() / 1000);
    expect(res.headers.get('x-github-request-id')).toMatch(/^[0-9A-F]+(:[0-9A-F]+){4}$/);
    expect(res.body).toMatchObject({
      number: 7,
      state: 'open',
      head: { sha: HEAD, ref: 'feature', repo: { full_name: 'acme/fleet' } },
      base: { sha: BASE, ref: 'main', repo: { full_name: 'acme/fleet' } },
      labels: [{ name: 'infra' }],
      html_url: 'https://github.com/acme/fleet/pull/7',
    });
    expectShape('GET', '/repos/{owner}/{repo}/pulls/{pull_number}', 200, res.body);
    expect((await call(gh, 'GET', `${R}/pulls/8`)).status).toBe(404);
    expect(gh.violations).toEqual([]);
  });

  it('creates, lists, updates and deletes comments as the bot, on the fake clock', async () => {
    const gh = await start({ state: { now: '2024-05-01T10:00:00Z' } });
    const created = await call(gh, 'POST', `${R}/issues/7/comments`, { body: 'hello' });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ body: 'hello', user: { login: 'github-actions[bot]', type: 'Bot' }, created_at: '2024-05-01T10:00:00Z' });
    expect(created.headers.get('location')).toBe(`${gh.url}${R}/issues/comments/${created.body.id}`);
    expectShape('POST', '/repos/{owner}/{repo}/issues/{issue_number}/comments', 201, created.body);

    const second = await call(gh, 'POST', `${R}/issues/7/comments`, { body: 'second' });
    expect(second.body.id).toBeGreaterThan(created.body.id);

    const updated = await call(gh, 'PATCH', `${R}/issues/comments/${created.body.id}`, { body: 'edited' });
    expect(updated.status).toBe(200);
    expect(updated.body).toMatchObject({ id: created.body.id, body: 'edited', created_at: '2024-05-01T10:00:00Z', updated_at: '2024-05-01T10:00:02Z' });
    expectShape('PATCH', '/repos/{owner}/{repo}/issues/comments/{comment_id}', 200, updated.body);

    const list = await call(gh, 'GET', `${R}/issues/7/comments`);
    expect(list.body.map((c: { body: string }) => c.body)).toEqual(['edited', 'second']);
    expectShape('GET', '/repos/{owner}/{repo}/issues/{issue_number}/comments', 200, list.body);

    const deleted = await call(gh, 'DELETE', `${R}/issues/comments/${second.body.id}`);
    expect(deleted.status).toBe(204);
    expect(deleted.body).toBeUndefined();
    expect(gh.state.comments[7].map((c) => c.body)).toEqual(['edited']);
    expect(gh.violations).toEqual([]);
  });

  it('uses botLogin for what the Action creates, and ids above any seeded one', async () => {
    const gh = await start({ botLogin: 'blast-radius[bot]' });
    gh.state.comments[7] = [{ id: 5000, body: 'by a human', user: { login: 'alice', type: 'User' } }];
    const res = await call(gh, 'POST', `${R}/issues/7/comments`, { body: 'x' });
    expect(res.body.user).toMatchObject({ login: 'blast-radius[bot]', type: 'Bot' });
    expect(res.body.id).toBe(5001);
  });

  it('answers 404 to PATCH/DELETE of a comment that no longer exists, and to comments on an unknown issue', async () => {
    const gh = await start();
    const patch = await call(gh, 'PATCH', `${R}/issues/comments/424242`, { body: 'x' });
    expect(patch.status).toBe(404);
    expect(patch.body).toMatchObject({ message: 'Not Found', documentation_url: 'https://docs.github.com/rest/issues/comments#update-an-issue-comment' });
    expect((await call(gh, 'DELETE', `${R}/issues/comments/424242`)).status).toBe(404);
    expect((await call(gh, 'POST', `${R}/issues/99/comments`, { body: 'x' })).status).toBe(404);
    expect((await call(gh, 'GET', `${R}/issues/99/comments`)).status).toBe(404);
    // Deleted "by a user" behind the Action's back:
    const c = await call(gh, 'POST', `${R}/issues/7/comments`, { body: 'x' });
    gh.state.comments[7] = [];
    expect((await call(gh, 'PATCH', `${R}/issues/comments/${c.body.id}`, { body: 'y' })).status).toBe(404);
    expect(gh.violations).toEqual([]); // GitHub's answers, not protocol errors
  });

  it('refuses a comment body over the limit (and a blank one) with GitHub 422 Validation Failed', async () => {
    const gh = await start();
    const tooLong = await call(gh, 'POST', `${R}/issues/7/comments`, { body: 'a'.repeat(65537) });
    expect(tooLong.status).toBe(422);
    expect(tooLong.body).toMatchObject({
      message: 'Validation Failed',
      errors: [{ resource: 'IssueComment', code: 'custom', field: 'body', message: 'body is too long (maximum is 65536 characters)' }],
      documentation_url: 'https://docs.github.com/rest/issues/comments#create-an-issue-comment',
    });
    expect((await call(gh, 'POST', `${R}/issues/7/comments`, { body: 'a'.repeat(65536) })).status).toBe(201);
    expect((await call(gh, 'POST', `${R}/issues/7/comments`, { body: '  ' })).status).toBe(422);
    const id = gh.state.comments[7][0].id;
    expect((await call(gh, 'PATCH', `${R}/issues/comments/${id}`, { body: 'b'.repeat(65537) })).status).toBe(422);
    expect(gh.state.comments[7]).toHaveLength(1);
    expect(gh.violations).toEqual([]);

    const small = await start({ maxCommentLength: 10 });
    const res = await call(small, 'POST', `${R}/issues/7/comments`, { body: '12345678901' });
    expect(res.body.errors[0].message).toBe('body is too long (maximum is 10 characters)');
  });

  it('creates commit statuses, and refuses a description over 140 characters', async () => {
    const gh = await start();
    const res = await call(gh, 'POST', `${R}/statuses/${HEAD}`, { state: 'failure', context: 'blast-radius', description: 'High risk', target_url: null });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ state: 'failure', context: 'blast-radius', description: 'High risk', target_url: null, creator: { login: 'github-actions[bot]' } });
    expectShape('POST', '/repos/{owner}/{repo}/statuses/{sha}', 201, res.body);
    expect(gh.state.statuses[HEAD]).toMatchObject([{ state: 'failure', context: 'blast-radius', description: 'High risk', target_url: null }]);
    const long = await call(gh, 'POST', `${R}/statuses/${HEAD}`, { state: 'success', description: 'x'.repeat(141) });
    expect(long.status).toBe(422);
    expect(long.body.errors[0].message).toBe('description is too long (maximum is 140 characters)');
    expect(gh.state.statuses[HEAD]).toHaveLength(1);
    expect(gh.violations).toEqual([]);
  });

  it('derives permission from role_name as GitHub documents; a non-collaborator is a 404 unless configured', async () => {
    const gh = await start();
    gh.state.collaborators = { root: 'admin', mia: 'maintain', wes: 'write', tia: 'triage', rob: 'read' };
    const perm = async (login: string) => (await call(gh, 'GET', `${R}/collaborators/${login}/permission`)).body;
    expect(await perm('root')).toMatchObject({ permission: 'admin', role_name: 'admin', user: { login: 'root' } });
    expect(await perm('mia')).toMatchObject({ permission: 'write', role_name: 'maintain' });
    expect(await perm('wes')).toMatchObject({ permission: 'write', role_name: 'write' });
    expect(await perm('tia')).toMatchObject({ permission: 'read', role_name: 'triage' });
    expect(await perm('rob')).toMatchObject({ permission: 'read', role_name: 'read', user: { permissions: { pull: true, push: false } } });
    expectShape('GET', '/repos/{owner}/{repo}/collaborators/{username}/permission', 200, await perm('mia'));
    expect((await call(gh, 'GET', `${R}/collaborators/stranger/permission`)).status).toBe(404);
    gh.state.nonCollaborator = 'read';
    expect(await perm('stranger')).toMatchObject({ permission: 'read', role_name: 'read' });
    expect(gh.violations).toEqual([]);
  });

  it('lists check suites, label events and pull request files like GitHub', async () => {
    const gh = await start();
    gh.state.checkSuites[HEAD] = [{ id: 11, created_at: '2024-01-02T00:00:00Z' }, { id: 12, created_at: '2024-01-03T00:00:00Z', status: 'in_progress' }];
    const suites = await call(gh, 'GET', `${R}/commits/${HEAD}/check-suites`);
    expect(suites.body).toMatchObject({ total_count: 2, check_suites: [{ id: 11, head_sha: HEAD, conclusion: 'success' }, { id: 12, status: 'in_progress', conclusion: null }] });
    expectShape('GET', '/repos/{owner}/{repo}/commits/{ref}/check-suites', 200, suites.body);
    expect((await call(gh, 'GET', `${R}/commits/${BASE}/check-suites`)).body).toEqual({ total_count: 0, check_suites: [] });

    gh.state.events[7] = [
      { id: 1, event: 'labeled', label: { name: 'blast-radius/override' }, actor: { login: 'root' }, created_at: '2024-01-02T00:00:00Z' },
      { id: 2, event: 'unlabeled', label: { name: 'blast-radius/override' }, actor: { login: 'mia' }, created_at: '2024-01-03T00:00:00Z' },
    ];
    const events = await call(gh, 'GET', `${R}/issues/7/events`);
    expect(events.body).toMatchObject([
      { id: 1, event: 'labeled', label: { name: 'blast-radius/override' }, actor: { login: 'root', type: 'User' } },
      { id: 2, event: 'unlabeled', actor: { login: 'mia' } },
    ]);
    expectShape('GET', '/repos/{owner}/{repo}/issues/{issue_number}/events', 200, events.body);

    gh.state.pullFiles[7] = [
      { filename: 'apps/web/deploy.yaml', additions: 3, deletions: 1, patch: '@@ -1 +1 @@' },
      { filename: 'apps/new.yaml', status: 'added', additions: 5 },
      { filename: 'apps/renamed.yaml', status: 'renamed', previous_filename: 'apps/old.yaml' },
    ];
    const files = await call(gh, 'GET', `${R}/pulls/7/files`);
    expect(files.body).toMatchObject([
      { filename: 'apps/web/deploy.yaml', status: 'modified', additions: 3, deletions: 1, changes: 4, patch: '@@ -1 +1 @@' },
      { filename: 'apps/new.yaml', status: 'added' },
      { filename: 'apps/renamed.yaml', status: 'renamed', previous_filename: 'apps/old.yaml' },
    ]);
    expectShape('GET', '/repos/{owner}/{repo}/pulls/{pull_number}/files', 200, files.body);
    expect((await call(gh, 'GET', `${R}/pulls/7`)).body).toMatchObject({ changed_files: 3, additions: 8, deletions: 1 });
    expect(gh.violations).toEqual([]);
  });

  it('serves file contents in base64 by ref, with encoded or literal slashes, and directories', async () => {
    const gh = await start();
    gh.state.contents[BASE] = { '.github/blast-radius.yaml': 'failOn: high\n', 'rules/a.yaml': 'a: 1\n' };
    gh.state.contents.main = { 'README.md': '# main\n' };
    for (const path of [`${R}/contents/.github%2Fblast-radius.yaml?ref=${BASE}`, `${R}/contents/.github/blast-radius.yaml?ref=${BASE}`]) {
      const res = await call(gh, 'GET', path);
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ type: 'file', encoding: 'base64', path: '.github/blast-radius.yaml', name: 'blast-radius.yaml', size: 13 });
      expect(Buffer.from(res.body.content, 'base64').toString('utf8')).toBe('failOn: high\n');
      expect(res.body.sha).toBe('32402b9039f2178e1363baf4826f905dee915248'); // git hash-object
      expectShape('GET', '/repos/{owner}/{repo}/contents/{path}', 200, res.body);
    }
    expect((await call(gh, 'GET', `${R}/contents/README.md`)).status).toBe(200); // no ref: the default branch
    expect((await call(gh, 'GET', `${R}/contents/README.md?ref=${BASE}`)).status).toBe(404);
    const dir = await call(gh, 'GET', `${R}/contents/rules?ref=${BASE}`);
    expect(dir.body).toMatchObject([{ type: 'file', path: 'rules/a.yaml' }]);
    expectShape('GET', '/repos/{owner}/{repo}/contents/{path}', 200, dir.body);
    const raw = await call(gh, 'GET', `${R}/contents/rules/a.yaml?ref=${BASE}`, undefined, { accept: 'application/vnd.github.raw' });
    expect(raw.body).toBe('a: 1\n');
    expect(gh.violations).toEqual([]);
  });

  it('answers GET /user with 403 for an integration token, or the seeded user', async () => {
    const gh = await start();
    const res = await call(gh, 'GET', '/user');
    expect(res.status).toBe(403);
    expect(res.body).toMatchObject({ message: 'Resource not accessible by integration' });
    gh.state.authenticatedUser = 'octo-user';
    expect((await call(gh, 'GET', '/user')).body).toMatchObject({ login: 'octo-user', type: 'User' });
    expect(gh.violations).toEqual([]);
  });

  it('records every request', async () => {
    const gh = await start();
    await call(gh, 'POST', `${R}/issues/7/comments`, { body: 'hi' });
    await fetch(`${gh.url}${R}/issues/7/comments?per_page=5`);
    expect(gh.requests).toEqual([
      {
        method: 'POST',
        path: `${R}/issues/7/comments`,
        query: {},
        body: { body: 'hi' },
        status: 201,
        hasAuthorization: true,
        operationId: 'issues/create-comment',
        route: '/repos/{owner}/{repo}/issues/{issue_number}/comments',
        params: { owner: OWNER, repo: REPO, issue_number: '7' },
      },
      expect.objectContaining({ method: 'GET', query: { per_page: '5' }, body: undefined, status: 200, hasAuthorization: false }),
    ]);
  });
});

describe('fake GitHub: the OpenAPI contract', () => {
  it('answers 404 to routes GitHub does not have, and records them', async () => {
    const gh = await start();
    const res = await call(gh, 'GET', `${R}/pull/7`);
    expect(res.status).toBe(404);
    expect(res.body).toMatchObject({ message: 'Not Found' });
    expect((await call(gh, 'POST', `${R}/pulls/7`, {})).status).toBe(404); // known path, unsupported method
    expect((await call(gh, 'GET', `${R}/issues/seven/comments`)).status).toBe(404); // {issue_number} is an integer
    expect((await call(gh, 'GET', `${R}/pulls/7/`)).status).toBe(404); // trailing slash
    expect(gh.violations).toEqual([
      `GET ${R}/pull/7: no such route in GitHub's OpenAPI description`,
      `POST ${R}/pulls/7: GitHub's OpenAPI description has this path only for GET, PATCH`,
      `GET ${R}/issues/seven/comments: no such route in GitHub's OpenAPI description`,
      `GET ${R}/pulls/7/: no such route in GitHub's OpenAPI description`,
    ]);
  });

  it('answers 501 to routes GitHub has but the fake does not implement', async () => {
    const gh = await start();
    const res = await call(gh, 'GET', `${R}/labels`);
    expect(res.status).toBe(501);
    expect(gh.violations).toEqual([`GET ${R}/labels: issues/list-labels-for-repo (GET /repos/{owner}/{repo}/labels) is not implemented in the fake`]);
  });

  it('validates request bodies against the description: 422 like GitHub, and a violation', async () => {
    const gh = await start();
    const bogus = await call(gh, 'POST', `${R}/statuses/${HEAD}`, { state: 'bogus', context: 'blast-radius' });
    expect(bogus.status).toBe(422);
    expect(bogus.body).toEqual({
      message: `Invalid request.\n\nFor 'properties/state', "bogus" is not a member of ["error", "failure", "pending", "success"].`,
      documentation_url: 'https://docs.github.com/rest/commits/statuses#create-a-commit-status',
      status: '422',
    });
    const numeric = await call(gh, 'POST', `${R}/issues/7/comments`, { body: 42 });
    expect(numeric.status).toBe(422);
    expect(numeric.body.message).toBe("Invalid request.\n\nFor 'properties/body', 42 is not a string.");
    const missing = await call(gh, 'PATCH', `${R}/issues/comments/1`, {});
    expect(missing.body.message).toBe(`Invalid request.\n\n"body" wasn't supplied.`);
    const notJson = await call(gh, 'POST', `${R}/issues/7/comments`, 'body=hello');
    expect(notJson.status).toBe(400);
    expect(notJson.body.message).toBe('Problems parsing JSON');
    const empty = await call(gh, 'POST', `${R}/issues/7/comments`);
    expect(empty.status).toBe(422);

    expect(gh.violations).toHaveLength(5);
    expect(gh.violations[0]).toBe(
      `POST ${R}/statuses/${HEAD}: request body does not match repos/create-commit-status in GitHub's OpenAPI description: body/state must be equal to one of the allowed values`,
    );
    expect(gh.violations[1]).toContain('body/body must be string');
    expect(gh.violations[2]).toContain("must have required property 'body'");
    expect(gh.violations[3]).toBe(`POST ${R}/issues/7/comments: request body is not JSON (issues/create-comment takes application/json)`);
    expect(gh.violations[4]).toBe(`POST ${R}/issues/7/comments: no request body, but issues/create-comment requires one`);
    expect(gh.state.statuses).toEqual({});
    expect(gh.state.comments).toEqual({});
  });

  it('accepts valid bodies with nullable fields and optional keys without a violation', async () => {
    const gh = await start();
    expect((await call(gh, 'POST', `${R}/statuses/${HEAD}`, { state: 'pending', description: null, target_url: null })).status).toBe(201);
    expect((await call(gh, 'POST', `${R}/statuses/${HEAD}`, { state: 'success' })).body.context).toBe('default');
    expect((await call(gh, 'POST', `${R}/issues/7/comments`, { body: 'ok' })).status).toBe(201);
    expect(gh.violations).toEqual([]);
  });
});

describe('schemaErrors (the shape check used above)', () => {
  it('reports a response that does not match GitHub', () => {
    const pointer = responsePointer('GET', '/repos/{owner}/{repo}/pulls/{pull_number}', 200);
    expect(schemaErrors(pointer, { number: 7 })).toContain("must have required property 'head'");
    expect(schemaErrors('#/components/schemas/issue-comment', { id: 'x' })).toContain('response/id must be integer');
  });
});

describe('fake GitHub: pagination', () => {
  it('pages comments 30 at a time with Link headers like GitHub', async () => {
    const gh = await start();
    gh.state.comments[7] = Array.from({ length: 75 }, (_, i) => ({ id: i + 1, body: `c${i + 1}`, user: { login: 'alice', type: 'User' as const } }));
    const first = await call(gh, 'GET', `${R}/issues/7/comments`);
    expect(first.body).toHaveLength(30);
    expect(first.headers.get('link')).toBe(
      `<${gh.url}${R}/issues/7/comments?per_page=30&page=2>; rel="next", <${gh.url}${R}/issues/7/comments?per_page=30&page=3>; rel="last"`,
    );
    const middle = await call(gh, 'GET', `${R}/issues/7/comments?page=2`);
    expect(Object.keys(links(middle))).toEqual(['prev', 'next', 'last', 'first']);
    const last = await call(gh, 'GET', `${R}/issues/7/comments?page=3`);
    expect(last.body.map((c: { id: number }) => c.id)).toEqual(Array.from({ length: 15 }, (_, i) => i + 61));
    expect(Object.keys(links(last))).toEqual(['prev', 'first']);

    // Following rel="next" with per_page=100 (what octokit.paginate does) gets everything in one page.
    const all = await call(gh, 'GET', `${R}/issues/7/comments?per_page=100`);
    expect(all.body).toHaveLength(75);
    expect(all.headers.get('link')).toBeNull();
  });

  it('pages events and pull request files, keeping other query parameters', async () => {
    const gh = await start();
    gh.state.events[7] = Array.from({ length: 5 }, (_, i) => ({
      id: i + 1,
      event: 'labeled' as const,
      label: { name: `l${i}` },
      actor: { login: 'root' },
      created_at: '2024-01-01T00:00:00Z',
    }));
    gh.state.pullFiles[7] = Array.from({ length: 5 }, (_, i) => ({ filename: `f${i}.yaml` }));
    const ids: number[] = [];
    let next: string | undefined = `${R}/issues/7/events?per_page=2`;
    while (next) {
      const res = await call(gh, 'GET', next.replace(gh.url, ''));
      ids.push(...res.body.map((e: { id: number }) => e.id));
      next = links(res).next;
    }
    expect(ids).toEqual([1, 2, 3, 4, 5]);
    const files = await call(gh, 'GET', `${R}/pulls/7/files?per_page=2&page=3&foo=bar`);
    expect(files.body.map((f: { filename: string }) => f.filename)).toEqual(['f4.yaml']);
    expect(links(files).first).toBe(`${gh.url}${R}/pulls/7/files?per_page=2&page=1&foo=bar`);
  });
});

describe('fake GitHub: read-only tokens and faults', () => {
  it('answers 403 to every write with a read-only token, after validating the body', async () => {
    const gh = await start({ readOnly: true });
    const res = await call(gh, 'POST', `${R}/issues/7/comments`, { body: 'hi' });
    expect(res.status).toBe(403);
    expect(res.body).toMatchObject({ message: 'Resource not accessible by integration', documentation_url: expect.stringContaining('docs.github.com') });
    expect((await call(gh, 'POST', `${R}/statuses/${HEAD}`, { state: 'success' })).status).toBe(403);
    expect((await call(gh, 'GET', `${R}/pulls/7`)).status).toBe(200);
    expect(gh.state.comments).toEqual({});
    expect(gh.violations).toEqual([]);
    expect((await call(gh, 'POST', `${R}/statuses/${HEAD}`, { state: 'nope' })).status).toBe(422);
    expect(gh.violations).toHaveLength(1);
  });

  it('injects faults for the next matching requests', async () => {
    const gh = await start();
    gh.fail({ method: 'GET', path: `${R}/pulls/7` }, { status: 502 });
    gh.fail({ method: 'post', path: /\/issues\/\d+\/comments$/ }, { status: 403, body: { message: 'You have exceeded a secondary rate limit' }, headers: { 'retry-after': '1' } }, 2);
    const a = await call(gh, 'GET', `${R}/pulls/7`);
    expect(a.status).toBe(502);
    expect(a.body).toMatchObject({ message: 'Bad Gateway' });
    expect((await call(gh, 'GET', `${R}/pulls/7`)).status).toBe(200);
    for (let i = 0; i < 2; i++) {
      const r = await call(gh, 'POST', `${R}/issues/7/comments`, { body: 'x' });
      expect(r.status).toBe(403);
      expect(r.headers.get('retry-after')).toBe('1');
      expect(r.headers.get('x-ratelimit-limit')).toBe('1000');
      expect(r.body.message).toBe('You have exceeded a secondary rate limit');
    }
    expect((await call(gh, 'POST', `${R}/issues/7/comments`, { body: 'x' })).status).toBe(201);
    gh.fail({ method: '*', path: `${R}/issues/comments/1` }, { status: 500 }, Infinity);
    expect((await call(gh, 'PATCH', `${R}/issues/comments/1`, { body: 'x' })).status).toBe(500);
    expect((await call(gh, 'DELETE', `${R}/issues/comments/1`)).status).toBe(500);
    expect(() => gh.fail({ method: 'GET', path: '/' }, { status: 500 }, 0)).toThrow(/times > 0/);
    expect(gh.violations).toEqual([]);
    expect(gh.requests.map((r) => r.status)).toEqual([502, 200, 403, 403, 201, 500, 500]);
  });

  it('answers 404 for another repository', async () => {
    const gh = await start();
    expect((await call(gh, 'GET', '/repos/acme/other/pulls/7')).status).toBe(404);
    expect((await call(gh, 'GET', '/repos/ACME/Fleet/pulls/7')).status).toBe(200); // owner and repo are case-insensitive
  });
});

describe('fake GitHub: with Octokit from @actions/github', () => {
  it('paginates, reads contents and surfaces errors as Octokit expects', async () => {
    const gh = await start();
    gh.state.comments[7] = Array.from({ length: 120 }, (_, i) => ({ id: i + 1, body: `c${i + 1}`, user: { login: 'alice', type: 'User' as const } }));
    gh.state.contents[BASE] = { 'dir/sub/config.yaml': 'x: 1\n' };
    const octokit = getOctokit('token', { baseUrl: gh.url });
    const comments = await octokit.paginate(octokit.rest.issues.listComments, { owner: OWNER, repo: REPO, issue_number: 7, per_page: 100 });
    expect(comments).toHaveLength(120);
    const { data } = await octokit.rest.repos.getContent({ owner: OWNER, repo: REPO, path: 'dir/sub/config.yaml', ref: BASE });
    expect(Buffer.from((data as { content: string }).content, 'base64').toString()).toBe('x: 1\n');
    const { data: created } = await octokit.rest.issues.createComment({ owner: OWNER, repo: REPO, issue_number: 7, body: 'hi' });
    expect(created.user?.login).toBe('github-actions[bot]');
    await octokit.rest.repos.createCommitStatus({ owner: OWNER, repo: REPO, sha: HEAD, state: 'success', context: 'blast-radius' });
    await expect(octokit.rest.issues.updateComment({ owner: OWNER, repo: REPO, comment_id: 99999, body: 'x' })).rejects.toMatchObject({ status: 404 });
    await expect(octokit.rest.users.getAuthenticated()).rejects.toMatchObject({ status: 403 });
    expect(gh.violations).toEqual([]);
    expect(gh.requests.every((r) => r.hasAuthorization)).toBe(true);
    // Octokit percent-encodes the slashes of {path}; the fake decodes them.
    expect(gh.requests.find((r) => r.operationId === 'repos/get-content')).toMatchObject({
      path: `${R}/contents/dir%2Fsub%2Fconfig.yaml`,
      params: { path: 'dir/sub/config.yaml' },
    });
  });
});
