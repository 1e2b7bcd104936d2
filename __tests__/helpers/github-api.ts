/**
 * A loopback stand-in for the GitHub REST API, for end-to-end tests of the Action (spawn the bundled
 * `dist/index.js` with `GITHUB_API_URL` set to `FakeGitHub.url`).
 *
 * The server knows GitHub's routes from GitHub's own OpenAPI description (the JSON file of the
 * `@octokit/openapi` dev dependency, read once per process):
 *   - a route the description does not have answers 404 `Not Found` (as GitHub does, also for a
 *     known path with an unsupported method or a non-numeric `{issue_number}`) and is recorded in
 *     `violations`;
 *   - every request body is validated against the operation's request-body schema (Ajv, compiled
 *     lazily per operation); an invalid body answers 422 `Invalid request.\n\n…` (GitHub's wording)
 *     and is recorded in `violations`, so is a body that is not JSON (400 `Problems parsing JSON`);
 *   - a route the description has but this fake does not implement answers 501 and is recorded.
 * A test that only exercises well-formed traffic asserts `expect(gh.violations).toEqual([])`.
 *
 * State (`gh.state`) is plain mutable data: seed it before the run, inspect it after. Business
 * rules that GitHub applies beyond the schema (comment too long or blank, status description over
 * 140 characters, unknown comment id, non-collaborator) answer like GitHub and are *not* violations:
 * the Action is expected to handle them.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createRequire } from 'node:module';
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import addFormatsModule from 'ajv-formats';

// ---------------------------------------------------------------------------------------------
// Public types

export type CollaboratorRole = 'admin' | 'maintain' | 'write' | 'triage' | 'read';

export interface FakeUser {
  login: string;
  type: 'User' | 'Bot' | 'Organization';
}

export interface FakePull {
  number: number;
  head: { sha: string; ref: string; repo?: { full_name: string } | null };
  base: { sha: string; ref: string };
  /** Label names (default none). */
  labels?: string[];
  /** Default `open`. */
  state?: 'open' | 'closed';
  title?: string;
  body?: string | null;
  /** Author (default `octocat`, a `User`). */
  user?: FakeUser;
  draft?: boolean;
  created_at?: string;
  updated_at?: string;
}

export interface FakeComment {
  id: number;
  body: string;
  user: FakeUser;
  created_at?: string;
  updated_at?: string;
}

export type CommitState = 'error' | 'failure' | 'pending' | 'success';

export interface FakeStatus {
  state: CommitState;
  context: string;
  description: string | null;
  target_url: string | null;
  /** Filled in for statuses the Action creates; optional when seeding. */
  id?: number;
  created_at?: string;
  updated_at?: string;
  creator?: FakeUser;
}

export interface FakeIssueEvent {
  id: number;
  event: 'labeled' | 'unlabeled' | 'head_ref_force_pushed';
  /** For labeled / unlabeled. */
  label?: { name: string; color?: string };
  actor: { login: string; type?: FakeUser['type'] };
  created_at: string;
}

export interface FakeCheckSuite {
  id: number;
  created_at: string;
  updated_at?: string;
  status?: 'queued' | 'in_progress' | 'completed' | 'waiting' | 'requested' | 'pending';
  conclusion?: 'success' | 'failure' | 'neutral' | 'cancelled' | 'skipped' | 'timed_out' | 'action_required' | 'stale' | null;
  head_branch?: string | null;
  /** The app that owns the suite (default GitHub Actions, id 15368, slug `github-actions`). */
  app?: { id: number; slug: string; name?: string };
}

export interface FakePullFile {
  filename: string;
  /** Default `modified`. */
  status?: 'added' | 'removed' | 'modified' | 'renamed' | 'copied' | 'changed' | 'unchanged';
  additions?: number;
  deletions?: number;
  /** Unified diff hunk(s); GitHub leaves it out for binary or very large diffs. */
  patch?: string;
  previous_filename?: string;
  sha?: string;
}

export interface GitHubState {
  /** Fake clock (ISO 8601). Every timestamp the fake writes reads it, then advances it by one second. */
  now: string;
  /** Next id handed out to a comment, status or event the fake creates (always above every id in state). */
  nextId: number;
  /** Repository facts used in responses. */
  repository: { id: number; private: boolean; default_branch: string };
  pulls: Record<number, FakePull>;
  /** Issue (or pull request) number → comments, oldest first. */
  comments: Record<number, FakeComment[]>;
  /** Commit sha → statuses, oldest first. */
  statuses: Record<string, FakeStatus[]>;
  /** Issue (or pull request) number → timeline events, oldest first. */
  events: Record<number, FakeIssueEvent[]>;
  /** Login → role name. `permission` is derived as GitHub documents: maintain → write, triage → read. */
  collaborators: Record<string, CollaboratorRole>;
  /**
   * What GET …/collaborators/{username}/permission answers for a login not in `collaborators`:
   * `not-found` (default) a 404, `read`/`none` a 200 with that permission and role_name.
   */
  nonCollaborator: 'not-found' | 'read' | 'none';
  /** Commit ref (usually a sha) → check suites. */
  checkSuites: Record<string, FakeCheckSuite[]>;
  /** Pull request number → changed files, in GitHub's order. */
  pullFiles: Record<number, FakePullFile[]>;
  /** Ref (branch, tag or sha, as the request names it) → path → UTF-8 file text. No `?ref=` reads `repository.default_branch`. */
  contents: Record<string, Record<string, string>>;
  /** Login GET /user answers with; null (default) answers 403 as it does for a GITHUB_TOKEN. */
  authenticatedUser: string | null;
  /** Rate-limit headers; `remaining` drops by one per request but is never enforced (inject a 403/429 with fail()). */
  rateLimit: { limit: number; remaining: number; reset: number };
}

export interface RecordedRequest {
  method: string;
  /** Path without the query string, as sent (percent-encoding kept). */
  path: string;
  query: Record<string, string>;
  /** Parsed JSON body, the raw text for a non-JSON body, or undefined when there was none. */
  body: unknown;
  status: number;
  /** Whether an `authorization` header was sent. */
  hasAuthorization: boolean;
  /** GitHub's operation id (e.g. `issues/create-comment`) when the route is known. */
  operationId?: string;
  /** The OpenAPI path template when the route is known. */
  route?: string;
  /** Path parameters, decoded. */
  params?: Record<string, string>;
  /** The client closed the connection before a delayed fault (`delayMs`) answered. */
  aborted?: boolean;
}

export interface FaultResponse {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
  /**
   * Answer only after this many milliseconds (a hung connection). If the client gives up first, nothing
   * is sent and the request is recorded with `status: 0` and `aborted: true`.
   */
  delayMs?: number;
}

export interface FakeGitHub {
  /** `http://127.0.0.1:PORT`, to be used as GITHUB_API_URL. */
  url: string;
  state: GitHubState;
  requests: RecordedRequest[];
  violations: string[];
  /**
   * The next `times` (default 1; `Infinity` for always) requests whose method (case-insensitive,
   * `*` for any) and path (exact string, or RegExp tested on the path without query) match get
   * `response` instead. Faults apply after route and body checks, so a malformed request is still
   * reported. Response headers default to the usual ones; `headers` override them.
   */
  fail(match: { method: string; path: RegExp | string }, response: FaultResponse, times?: number): void;
  close(): Promise<void>;
}

export interface FakeGitHubOptions {
  owner: string;
  repo: string;
  /** Every non-GET request answers 403 `Resource not accessible by integration` (a fork PR's token). */
  readOnly?: boolean;
  /** Login of comments and statuses the Action creates (default `github-actions[bot]`). */
  botLogin?: string;
  /** Longest comment body accepted, in UTF-16 code units (default 65536). */
  maxCommentLength?: number;
  /** Initial state, merged over the defaults (shallowly, per key). */
  state?: Partial<GitHubState>;
}

// ---------------------------------------------------------------------------------------------
// The OpenAPI description: read once per process.

type Json = Record<string, unknown>;

interface PathParam {
  name: string;
  integer: boolean;
}

interface Operation {
  method: string;
  template: string;
  operationId: string;
  docUrl: string;
  /** JSON pointer (into the document) of the application/json request-body schema. */
  jsonBodyPointer?: string;
  /** The operation takes a body, but not JSON (e.g. text/plain, application/octet-stream). */
  otherBody: boolean;
  bodyRequired: boolean;
  pathParams: PathParam[];
}

interface Route {
  op: Operation;
  /** Template segments after the leading slash; params as `{name}`. */
  segments: string[];
  literals: number;
  /** Index of the one parameter allowed to span several segments (`path`, `ref`, …), or -1. */
  multi: number;
}

interface Spec {
  ajv: Ajv;
  byLength: Map<number, Route[]>;
  multiRoutes: Route[];
  /** Compiled validators by `METHOD template` (request bodies) or `schema pointer`. */
  validators: Map<string, ValidateFunction>;
}

const SPEC_ID = 'https://fake-github.invalid/openapi.json';
const METHODS = ['get', 'put', 'post', 'patch', 'delete'] as const;
/** Parameters that GitHub lets span several path segments (`contents/dir/a.yaml`, `refs/heads/x`). */
const MULTI_SEGMENT_PARAMS = new Set(['path', 'ref', 'branch', 'basehead']);

let spec: Spec | undefined;

/** Absolute path of the OpenAPI JSON file the fake reads. */
export const OPENAPI_PATH = createRequire(import.meta.url).resolve('@octokit/openapi/generated/api.github.com.json');

const escapePointer = (s: string): string => s.replace(/~/g, '~0').replace(/\//g, '~1');

/**
 * OpenAPI 3.0 → JSON Schema, in place: `nullable: true` becomes a `null` type (and a `null` enum
 * member), also where there is no `type` to extend (`oneOf`/`$ref`), which Ajv's own `nullable`
 * support refuses. Collects the `format`s in use.
 */
function toJsonSchema(node: unknown, parentKey: string, formats: Set<string>): void {
  if (Array.isArray(node)) {
    for (const item of node) toJsonSchema(item, '', formats);
    return;
  }
  if (node === null || typeof node !== 'object') return;
  const o = node as Json;
  if ('nullable' in o && typeof o.nullable === 'boolean' && parentKey !== 'properties') {
    const nullable = o.nullable;
    delete o.nullable;
    if (nullable) {
      if (typeof o.type === 'string') {
        o.type = [o.type, 'null'];
        if (Array.isArray(o.enum) && !o.enum.includes(null)) o.enum.push(null);
      } else if (o.type === undefined) {
        const inner: Json = { ...o };
        for (const k of Object.keys(o)) delete o[k];
        o.anyOf = [inner, { type: 'null' }];
      }
    }
  }
  if (typeof o.format === 'string' && parentKey !== 'properties') formats.add(o.format);
  for (const [k, v] of Object.entries(o)) {
    // Example values are data, not schemas (but a *property* may be called `example`).
    if ((k === 'example' || k === 'examples') && parentKey !== 'properties') continue;
    toJsonSchema(v, k, formats);
  }
}

function resolveLocal(doc: Json, value: unknown): Json {
  let v = value as Json;
  for (let i = 0; i < 10 && v && typeof v.$ref === 'string'; i++) {
    const parts = (v.$ref as string).replace(/^#\//, '').split('/');
    let cur: unknown = doc;
    for (const p of parts) cur = (cur as Json)[p.replace(/~1/g, '/').replace(/~0/g, '~')];
    v = cur as Json;
  }
  return v;
}

function loadSpec(): Spec {
  if (spec) return spec;
  const doc = JSON.parse(readFileSync(OPENAPI_PATH, 'utf8')) as Json;
  const formats = new Set<string>();
  toJsonSchema(doc.components, '', formats);
  toJsonSchema(doc.paths, '', formats);

  const ajv = new Ajv({ strict: false, allErrors: true, logger: false, validateSchema: false, unicodeRegExp: false });
  // ajv-formats is CommonJS: under NodeNext its default import may be the module object.
  const mod = addFormatsModule as unknown as { default?: (a: Ajv) => Ajv } & ((a: Ajv) => Ajv);
  (mod.default ?? mod)(ajv);
  // GitHub's own formats that ajv-formats does not know (none today, but the description grows).
  for (const f of formats) if (!(f in ajv.formats)) ajv.addFormat(f, true);
  ajv.addSchema(doc, SPEC_ID);

  const byLength = new Map<number, Route[]>();
  const multiRoutes: Route[] = [];
  for (const [template, item] of Object.entries(doc.paths as Record<string, Json>)) {
    const shared = (item.parameters as unknown[] | undefined) ?? [];
    for (const method of METHODS) {
      const raw = item[method] as Json | undefined;
      if (!raw) continue;
      const params = [...shared, ...((raw.parameters as unknown[] | undefined) ?? [])].map((p) => resolveLocal(doc, p));
      const pathParams: PathParam[] = params
        .filter((p) => p.in === 'path')
        .map((p) => ({ name: p.name as string, integer: (p.schema as Json | undefined)?.type === 'integer' }));
      const rb = raw.requestBody ? resolveLocal(doc, raw.requestBody) : undefined;
      const content = (rb?.content as Json | undefined) ?? {};
      const op: Operation = {
        method: method.toUpperCase(),
        template,
        operationId: raw.operationId as string,
        docUrl: ((raw.externalDocs as Json | undefined)?.url as string | undefined) ?? 'https://docs.github.com/rest',
        otherBody: rb !== undefined && !('application/json' in content),
        bodyRequired: rb?.required === true,
        pathParams,
      };
      if ('application/json' in content) {
        op.jsonBodyPointer = `#/paths/${escapePointer(template)}/${method}/requestBody/content/application~1json/schema`;
      }
      const segments = template.split('/').slice(1);
      const multi = segments.findIndex((seg) => {
        const m = /^\{(.+)\}$/.exec(seg);
        return m !== null && MULTI_SEGMENT_PARAMS.has(m[1]);
      });
      const route: Route = { op, segments, literals: segments.filter((s) => !s.startsWith('{')).length, multi };
      const list = byLength.get(segments.length) ?? [];
      list.push(route);
      byLength.set(segments.length, list);
      if (multi >= 0) multiRoutes.push(route);
    }
  }
  spec = { ajv, byLength, multiRoutes, validators: new Map() };
  return spec;
}

function decode(seg: string): string {
  try {
    return decodeURIComponent(seg);
  } catch {
    return seg;
  }
}

function paramOk(route: Route, name: string, value: string): boolean {
  if (value === '') return false;
  const p = route.op.pathParams.find((q) => q.name === name);
  return !p?.integer || /^\d+$/.test(value);
}

function tryRoute(route: Route, segs: string[], spanning: boolean): Record<string, string> | undefined {
  const t = route.segments;
  const params: Record<string, string> = {};
  if (!spanning) {
    if (t.length !== segs.length) return undefined;
    for (let i = 0; i < t.length; i++) {
      const m = /^\{(.+)\}$/.exec(t[i]);
      const value = decode(segs[i]);
      if (m) {
        if (!paramOk(route, m[1], value)) return undefined;
        params[m[1]] = value;
      } else if (t[i] !== value) return undefined;
    }
    return params;
  }
  // One parameter (route.multi) takes the segments the literal prefix and suffix leave over.
  const k = route.multi;
  const tail = t.length - k - 1;
  if (segs.length <= t.length) return undefined;
  const prefix = tryRoute({ ...route, segments: t.slice(0, k) }, segs.slice(0, k), false);
  const suffix = tryRoute({ ...route, segments: t.slice(k + 1) }, segs.slice(segs.length - tail), false);
  if (!prefix || !suffix) return undefined;
  const value = segs.slice(k, segs.length - tail).map(decode).join('/');
  const name = t[k].slice(1, -1);
  if (!paramOk(route, name, value)) return undefined;
  return { ...prefix, ...suffix, [name]: value };
}

type Match = { route: Route; params: Record<string, string> };

/** The operation for `method` on the raw (still percent-encoded) `path`, or the methods the path has. */
function matchRoute(method: string, path: string): Match | { methods: string[] } {
  const s = loadSpec();
  const segs = path.split('/').slice(1);
  const found: Match[] = [];
  for (const route of s.byLength.get(segs.length) ?? []) {
    const params = tryRoute(route, segs, false);
    if (params) found.push({ route, params });
  }
  if (found.length === 0) {
    for (const route of s.multiRoutes) {
      const params = tryRoute(route, segs, true);
      if (params) found.push({ route, params });
    }
  }
  const same = found.filter((f) => f.route.op.method === method).sort((a, b) => b.route.literals - a.route.literals);
  if (same.length > 0) return same[0];
  return { methods: [...new Set(found.map((f) => f.route.op.method))] };
}

function validatorFor(op: Operation): ValidateFunction | undefined {
  if (!op.jsonBodyPointer) return undefined;
  const s = loadSpec();
  const key = `${op.method} ${op.template}`;
  let v = s.validators.get(key);
  if (!v) {
    v = s.ajv.compile({ $ref: `${SPEC_ID}${op.jsonBodyPointer}` });
    s.validators.set(key, v);
  }
  return v;
}

/**
 * Validates `data` against a schema of the OpenAPI description given by JSON pointer (e.g.
 * `#/components/schemas/issue-comment`); returns Ajv's error text or undefined. Used by the
 * helper's own test to check the fake's responses are shaped like GitHub's.
 */
export function schemaErrors(pointer: string, data: unknown): string | undefined {
  const s = loadSpec();
  const key = `schema ${pointer}`;
  let v = s.validators.get(key);
  if (!v) {
    v = s.ajv.compile({ $ref: `${SPEC_ID}${pointer}` });
    s.validators.set(key, v);
  }
  return v(data) ? undefined : s.ajv.errorsText(v.errors, { dataVar: 'response', separator: '\n' });
}

/** The response schema pointer of an operation (`GET`, `/repos/{owner}/{repo}/pulls/{pull_number}`, 200). */
export function responsePointer(method: string, template: string, status: number): string {
  return `#/paths/${escapePointer(template)}/${method.toLowerCase()}/responses/${status}/content/application~1json/schema`;
}

// ---------------------------------------------------------------------------------------------
// GitHub-style error messages for schema failures ("Invalid request.\n\n…").

function rubyish(v: unknown): string {
  if (v === null || v === undefined) return 'nil';
  if (typeof v === 'string') return JSON.stringify(v);
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  return JSON.stringify(v);
}

function at(data: unknown, instancePath: string): unknown {
  let cur = data;
  for (const raw of instancePath.split('/').slice(1)) {
    const key = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    cur = cur !== null && typeof cur === 'object' ? (cur as Json)[key] : undefined;
  }
  return cur;
}

function where(instancePath: string): string {
  if (instancePath === '') return 'links/0/schema';
  return instancePath
    .split('/')
    .slice(1)
    .map((seg) => (/^\d+$/.test(seg) ? 'items' : `properties/${seg.replace(/~1/g, '/').replace(/~0/g, '~')}`))
    .join('/');
}

function githubMessage(errors: ErrorObject[], body: unknown): string {
  const lines: string[] = [];
  for (const e of errors) {
    const value = at(body, e.instancePath);
    let line: string;
    if (e.keyword === 'required') line = `"${(e.params as { missingProperty: string }).missingProperty}" wasn't supplied.`;
    else if (e.keyword === 'additionalProperties') {
      line = `"${(e.params as { additionalProperty: string }).additionalProperty}" is not a permitted key.`;
    } else if (e.keyword === 'type') {
      const t = (e.params as { type: string | string[] }).type;
      const types = (Array.isArray(t) ? t : String(t).split(',')).map((x) => (x === 'null' ? 'null' : x));
      const first = types[0];
      const article = first === 'null' ? '' : /^[aeiou]/.test(first) ? 'an ' : 'a ';
      line = `For '${where(e.instancePath)}', ${rubyish(value)} is not ${article}${types.join(' or ')}.`;
    } else if (e.keyword === 'enum') {
      const allowed = (e.params as { allowedValues: unknown[] }).allowedValues;
      line = `For '${where(e.instancePath)}', ${rubyish(value)} is not a member of [${allowed.map((a) => JSON.stringify(a)).join(', ')}].`;
    } else {
      line = `For '${where(e.instancePath)}', ${rubyish(value)} ${e.message ?? 'is invalid'}.`;
    }
    if (!lines.includes(line)) lines.push(line);
  }
  return `Invalid request.\n\n${lines.join('\n')}`;
}

// ---------------------------------------------------------------------------------------------
// Response shapes

const SERVER_URL = 'https://github.com';
const ACTIONS_BOT_ID = 41898282;

function numericId(login: string): number {
  if (login === 'github-actions[bot]') return ACTIONS_BOT_ID;
  let h = 0x811c9dc5;
  for (const c of login) h = Math.imul(h ^ c.charCodeAt(0), 0x01000193) >>> 0;
  return 1000 + (h % 90_000_000);
}

function nodeId(prefix: string, id: number): string {
  return `${prefix}_kwDO${Buffer.from(String(id)).toString('base64url')}`;
}

const isBotLogin = (login: string): boolean => login.endsWith('[bot]');

function gitBlobSha(text: string): string {
  const buf = Buffer.from(text, 'utf8');
  return createHash('sha1').update(`blob ${buf.length}\0`).update(buf).digest('hex');
}

const STATUS_TEXT: Record<number, string> = {
  400: 'Bad Request',
  401: 'Requires authentication',
  403: 'Forbidden',
  404: 'Not Found',
  409: 'Conflict',
  410: 'Gone',
  422: 'Validation Failed',
  429: 'Too Many Requests',
  500: 'Internal Server Error',
  501: 'Not Implemented',
  502: 'Bad Gateway',
  503: 'Service Unavailable',
};

interface Reply {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
  /** Raw text body with its own content type (for `application/vnd.github.raw`). */
  raw?: { text: string; type: string };
}

interface Ctx {
  method: string;
  path: string;
  query: Record<string, string>;
  params: Record<string, string>;
  body: unknown;
  op: Operation;
  accept: string;
}

// ---------------------------------------------------------------------------------------------
// The server

function defaultState(): GitHubState {
  return {
    now: '2024-01-01T12:00:00Z',
    nextId: 1000,
    repository: { id: 123456789, private: false, default_branch: 'main' },
    pulls: {},
    comments: {},
    statuses: {},
    events: {},
    collaborators: {},
    nonCollaborator: 'not-found',
    checkSuites: {},
    pullFiles: {},
    contents: {},
    authenticatedUser: null,
    rateLimit: { limit: 1000, remaining: 1000, reset: Math.floor(Date.now() / 1000) + 3600 },
  };
}

export async function startFakeGitHub(opts: FakeGitHubOptions): Promise<FakeGitHub> {
  loadSpec();
  const { owner, repo } = opts;
  const fullName = `${owner}/${repo}`;
  const botLogin = opts.botLogin ?? 'github-actions[bot]';
  const maxCommentLength = opts.maxCommentLength ?? 65536;
  const state: GitHubState = { ...defaultState(), ...opts.state };
  const requests: RecordedRequest[] = [];
  const violations: string[] = [];
  const faults: { method: string; path: RegExp | string; response: FaultResponse; left: number }[] = [];
  /** Timers of delayed fault answers still pending (cleared on close). */
  const delayed = new Set<ReturnType<typeof setTimeout>>();
  let requestCounter = 0;
  let api = ''; // set once listening

  // --- helpers over state ---------------------------------------------------------------------

  const tick = (): string => {
    const t = new Date(state.now);
    state.now = new Date(t.getTime() + 1000).toISOString().replace(/\.000Z$/, 'Z');
    return t.toISOString().replace(/\.000Z$/, 'Z');
  };

  const allIds = (): number[] => [
    ...Object.values(state.comments).flatMap((cs) => cs.map((c) => c.id)),
    ...Object.values(state.statuses).flatMap((ss) => ss.map((s) => s.id ?? 0)),
    ...Object.values(state.events).flatMap((es) => es.map((e) => e.id)),
    ...Object.values(state.checkSuites).flatMap((ss) => ss.map((s) => s.id)),
  ];
  const newId = (): number => {
    const id = Math.max(state.nextId, ...allIds().map((i) => i + 1));
    state.nextId = id + 1;
    return id;
  };

  const issueExists = (n: number): boolean => n in state.pulls || n in state.comments || n in state.events;

  const findComment = (id: number): { list: FakeComment[]; index: number; issue: number } | undefined => {
    for (const [issue, list] of Object.entries(state.comments)) {
      const index = list.findIndex((c) => c.id === id);
      if (index >= 0) return { list, index, issue: Number(issue) };
    }
    return undefined;
  };

  const repoApi = `/repos/${owner}/${repo}`;

  const user = (login: string, type?: FakeUser['type']) => {
    const id = numericId(login);
    const t = type ?? (isBotLogin(login) ? 'Bot' : 'User');
    return {
      login,
      id,
      node_id: nodeId(t === 'Bot' ? 'BOT' : 'U', id),
      avatar_url: `https://avatars.githubusercontent.com/${t === 'Bot' ? 'in/15368' : `u/${id}`}?v=4`,
      gravatar_id: '',
      url: `${api}/users/${encodeURIComponent(login)}`,
      html_url: t === 'Bot' ? `${SERVER_URL}/apps/${login.replace(/\[bot\]$/, '')}` : `${SERVER_URL}/${login}`,
      followers_url: `${api}/users/${encodeURIComponent(login)}/followers`,
      following_url: `${api}/users/${encodeURIComponent(login)}/following{/other_user}`,
      gists_url: `${api}/users/${encodeURIComponent(login)}/gists{/gist_id}`,
      starred_url: `${api}/users/${encodeURIComponent(login)}/starred{/owner}{/repo}`,
      subscriptions_url: `${api}/users/${encodeURIComponent(login)}/subscriptions`,
      organizations_url: `${api}/users/${encodeURIComponent(login)}/orgs`,
      repos_url: `${api}/users/${encodeURIComponent(login)}/repos`,
      events_url: `${api}/users/${encodeURIComponent(login)}/events{/privacy}`,
      received_events_url: `${api}/users/${encodeURIComponent(login)}/received_events`,
      type: t,
      user_view_type: 'public',
      site_admin: false,
    };
  };

  const repository = (name: string) => {
    const [o, r] = name.split('/');
    const base = `${api}/repos/${name}`;
    const id = name === fullName ? state.repository.id : numericId(name);
    const created = '2020-01-01T00:00:00Z';
    return {
      id,
      node_id: nodeId('R', id),
      name: r,
      full_name: name,
      private: state.repository.private,
      owner: user(o, 'User'),
      html_url: `${SERVER_URL}/${name}`,
      description: null,
      fork: name !== fullName,
      url: base,
      archive_url: `${base}/{archive_format}{/ref}`,
      assignees_url: `${base}/assignees{/user}`,
      blobs_url: `${base}/git/blobs{/sha}`,
      branches_url: `${base}/branches{/branch}`,
      collaborators_url: `${base}/collaborators{/collaborator}`,
      comments_url: `${base}/comments{/number}`,
      commits_url: `${base}/commits{/sha}`,
      compare_url: `${base}/compare/{base}...{head}`,
      contents_url: `${base}/contents/{+path}`,
      contributors_url: `${base}/contributors`,
      deployments_url: `${base}/deployments`,
      downloads_url: `${base}/downloads`,
      events_url: `${base}/events`,
      forks_url: `${base}/forks`,
      git_commits_url: `${base}/git/commits{/sha}`,
      git_refs_url: `${base}/git/refs{/sha}`,
      git_tags_url: `${base}/git/tags{/sha}`,
      git_url: `git://github.com/${name}.git`,
      issue_comment_url: `${base}/issues/comments{/number}`,
      issue_events_url: `${base}/issues/events{/number}`,
      issues_url: `${base}/issues{/number}`,
      keys_url: `${base}/keys{/key_id}`,
      labels_url: `${base}/labels{/name}`,
      languages_url: `${base}/languages`,
      merges_url: `${base}/merges`,
      milestones_url: `${base}/milestones{/number}`,
      notifications_url: `${base}/notifications{?since,all,participating}`,
      pulls_url: `${base}/pulls{/number}`,
      releases_url: `${base}/releases{/id}`,
      ssh_url: `git@github.com:${name}.git`,
      stargazers_url: `${base}/stargazers`,
      statuses_url: `${base}/statuses/{sha}`,
      subscribers_url: `${base}/subscribers`,
      subscription_url: `${base}/subscription`,
      tags_url: `${base}/tags`,
      teams_url: `${base}/teams`,
      trees_url: `${base}/git/trees{/sha}`,
      clone_url: `${SERVER_URL}/${name}.git`,
      mirror_url: null,
      hooks_url: `${base}/hooks`,
      svn_url: `${SERVER_URL}/${name}`,
      homepage: null,
      language: 'YAML',
      forks_count: 0,
      forks: 0,
      stargazers_count: 0,
      watchers_count: 0,
      watchers: 0,
      size: 100,
      default_branch: state.repository.default_branch,
      open_issues_count: 0,
      open_issues: 0,
      is_template: false,
      topics: [],
      has_issues: true,
      has_projects: true,
      has_wiki: true,
      has_pages: false,
      has_downloads: true,
      has_discussions: false,
      archived: false,
      disabled: false,
      visibility: state.repository.private ? 'private' : 'public',
      pushed_at: created,
      created_at: created,
      updated_at: created,
      allow_forking: true,
      web_commit_signoff_required: false,
      license: null,
    };
  };

  const labelObject = (name: string) => {
    const id = numericId(`label:${name}`);
    return {
      id,
      node_id: nodeId('LA', id),
      url: `${api}${repoApi}/labels/${encodeURIComponent(name)}`,
      name,
      description: null,
      color: 'ededed',
      default: false,
    };
  };

  const commentObject = (c: FakeComment, issue: number) => {
    const kind = issue in state.pulls ? 'pull' : 'issues';
    const created = c.created_at ?? state.now;
    return {
      id: c.id,
      node_id: nodeId('IC', c.id),
      url: `${api}${repoApi}/issues/comments/${c.id}`,
      html_url: `${SERVER_URL}/${fullName}/${kind}/${issue}#issuecomment-${c.id}`,
      issue_url: `${api}${repoApi}/issues/${issue}`,
      body: c.body,
      user: user(c.user.login, c.user.type),
      created_at: created,
      updated_at: c.updated_at ?? created,
      author_association: c.user.login in state.collaborators ? 'COLLABORATOR' : c.user.login === owner ? 'OWNER' : 'NONE',
      performed_via_github_app: null,
      reactions: {
        url: `${api}${repoApi}/issues/comments/${c.id}/reactions`,
        total_count: 0,
        '+1': 0,
        '-1': 0,
        laugh: 0,
        hooray: 0,
        confused: 0,
        heart: 0,
        rocket: 0,
        eyes: 0,
      },
    };
  };

  const statusObject = (s: FakeStatus, sha: string, index: number) => {
    const id = s.id ?? numericId(`status:${sha}:${index}`);
    const created = s.created_at ?? state.now;
    const creator = s.creator ?? { login: botLogin, type: 'Bot' as const };
    return {
      url: `${api}${repoApi}/statuses/${sha}`,
      avatar_url: 'https://avatars.githubusercontent.com/in/15368?v=4',
      id,
      node_id: nodeId('SC', id),
      state: s.state,
      description: s.description,
      target_url: s.target_url,
      context: s.context,
      created_at: created,
      updated_at: s.updated_at ?? created,
      creator: user(creator.login, creator.type),
    };
  };

  const fileEntry = (f: FakePullFile, headSha: string) => {
    const additions = f.additions ?? 0;
    const deletions = f.deletions ?? 0;
    const enc = f.filename.split('/').map(encodeURIComponent).join('/');
    return {
      sha: f.sha ?? gitBlobSha(`${headSha}:${f.filename}`),
      filename: f.filename,
      status: f.status ?? 'modified',
      additions,
      deletions,
      changes: additions + deletions,
      blob_url: `${SERVER_URL}/${fullName}/blob/${headSha}/${enc}`,
      raw_url: `${SERVER_URL}/${fullName}/raw/${headSha}/${enc}`,
      contents_url: `${api}${repoApi}/contents/${enc}?ref=${headSha}`,
      ...(f.patch !== undefined ? { patch: f.patch } : {}),
      ...(f.previous_filename !== undefined ? { previous_filename: f.previous_filename } : {}),
    };
  };

  const pullObject = (p: FakePull) => {
    const n = p.number;
    const id = numericId(`pull:${n}`);
    const author = p.user ?? { login: 'octocat', type: 'User' as const };
    const headRepo = p.head.repo?.full_name ?? fullName;
    const headOwner = headRepo.split('/')[0];
    const files = state.pullFiles[n] ?? [];
    const created = p.created_at ?? '2024-01-01T00:00:00Z';
    const link = (href: string) => ({ href });
    const pr = `${api}${repoApi}/pulls/${n}`;
    return {
      url: pr,
      id,
      node_id: nodeId('PR', id),
      html_url: `${SERVER_URL}/${fullName}/pull/${n}`,
      diff_url: `${SERVER_URL}/${fullName}/pull/${n}.diff`,
      patch_url: `${SERVER_URL}/${fullName}/pull/${n}.patch`,
      issue_url: `${api}${repoApi}/issues/${n}`,
      commits_url: `${pr}/commits`,
      review_comments_url: `${pr}/comments`,
      review_comment_url: `${api}${repoApi}/pulls/comments{/number}`,
      comments_url: `${api}${repoApi}/issues/${n}/comments`,
      statuses_url: `${api}${repoApi}/statuses/${p.head.sha}`,
      number: n,
      state: p.state ?? 'open',
      locked: false,
      title: p.title ?? `Pull request #${n}`,
      user: user(author.login, author.type),
      body: p.body ?? null,
      labels: (p.labels ?? []).map(labelObject),
      milestone: null,
      active_lock_reason: null,
      created_at: created,
      updated_at: p.updated_at ?? created,
      closed_at: null,
      merged_at: null,
      merge_commit_sha: null,
      assignee: null,
      assignees: [],
      requested_reviewers: [],
      requested_teams: [],
      head: {
        label: `${headOwner}:${p.head.ref}`,
        ref: p.head.ref,
        sha: p.head.sha,
        user: user(headOwner, 'User'),
        repo: repository(headRepo),
      },
      base: {
        label: `${owner}:${p.base.ref}`,
        ref: p.base.ref,
        sha: p.base.sha,
        user: user(owner, 'User'),
        repo: repository(fullName),
      },
      _links: {
        self: link(pr),
        html: link(`${SERVER_URL}/${fullName}/pull/${n}`),
        issue: link(`${api}${repoApi}/issues/${n}`),
        comments: link(`${api}${repoApi}/issues/${n}/comments`),
        review_comments: link(`${pr}/comments`),
        review_comment: link(`${api}${repoApi}/pulls/comments{/number}`),
        commits: link(`${pr}/commits`),
        statuses: link(`${api}${repoApi}/statuses/${p.head.sha}`),
      },
      author_association: author.login in state.collaborators ? 'COLLABORATOR' : author.login === owner ? 'OWNER' : 'CONTRIBUTOR',
      auto_merge: null,
      draft: p.draft ?? false,
      merged: false,
      mergeable: true,
      rebaseable: true,
      mergeable_state: 'clean',
      merged_by: null,
      comments: (state.comments[n] ?? []).length,
      review_comments: 0,
      maintainer_can_modify: false,
      commits: 1,
      additions: files.reduce((s, f) => s + (f.additions ?? 0), 0),
      deletions: files.reduce((s, f) => s + (f.deletions ?? 0), 0),
      changed_files: files.length,
    };
  };

  const eventObject = (e: FakeIssueEvent) => ({
    id: e.id,
    node_id: nodeId(e.event === 'labeled' ? 'LE' : e.event === 'unlabeled' ? 'UNLE' : 'HRFPE', e.id),
    url: `${api}${repoApi}/issues/events/${e.id}`,
    actor: user(e.actor.login, e.actor.type),
    event: e.event,
    commit_id: null,
    commit_url: null,
    created_at: e.created_at,
    performed_via_github_app: null,
    ...(e.label ? { label: { name: e.label.name, color: e.label.color ?? 'ededed' } } : {}),
  });

  const ACTIONS_APP = { id: 15368, slug: 'github-actions', name: 'GitHub Actions' };
  const checkSuiteObject = (s: FakeCheckSuite, ref: string) => {
    const app = { ...ACTIONS_APP, ...s.app };
    const headSha = /^[0-9a-f]{40}$/.test(ref) ? ref : gitBlobSha(`ref:${ref}`);
    return {
      id: s.id,
      node_id: nodeId('CS', s.id),
      head_branch: s.head_branch ?? null,
      head_sha: headSha,
      status: s.status ?? 'completed',
      conclusion: s.conclusion === undefined ? ((s.status ?? 'completed') === 'completed' ? 'success' : null) : s.conclusion,
      url: `${api}${repoApi}/check-suites/${s.id}`,
      before: '0000000000000000000000000000000000000000',
      after: headSha,
      pull_requests: [],
      app: {
        id: app.id,
        slug: app.slug,
        node_id: nodeId('A', app.id),
        owner: user('github', 'Organization'),
        name: app.name ?? app.slug,
        description: '',
        external_url: `${SERVER_URL}/features/actions`,
        html_url: `${SERVER_URL}/apps/${app.slug}`,
        created_at: '2018-07-30T09:30:17Z',
        updated_at: '2019-12-10T19:04:12Z',
        permissions: {},
        events: [],
      },
      created_at: s.created_at,
      updated_at: s.updated_at ?? s.created_at,
      rerequestable: true,
      runs_rerequestable: true,
      latest_check_runs_count: 1,
      check_runs_url: `${api}${repoApi}/check-suites/${s.id}/check-runs`,
      head_commit: {
        id: headSha,
        tree_id: gitBlobSha(`tree:${headSha}`),
        message: 'commit',
        timestamp: s.created_at,
        author: { name: 'Fixture Author', email: 'author@fixture.invalid' },
        committer: { name: 'Fixture Committer', email: 'committer@fixture.invalid' },
      },
      repository: repository(fullName),
    };
  };

  // --- responses ------------------------------------------------------------------------------

  const error = (ctx: Ctx | undefined, status: number, message: string, extra: Json = {}): Reply => ({
    status,
    body: { message, ...extra, documentation_url: ctx?.op.docUrl ?? 'https://docs.github.com/rest', status: String(status) },
  });
  const notFound = (ctx?: Ctx): Reply => error(ctx, 404, 'Not Found');
  const validationFailed = (ctx: Ctx, resource: string, field: string, message: string): Reply =>
    error(ctx, 422, 'Validation Failed', { errors: [{ resource, code: 'custom', field, message }] });

  function paginate(ctx: Ctx, items: unknown[], wrap?: (page: unknown[]) => unknown): Reply {
    const perPage = Math.min(100, Math.max(1, Number.parseInt(ctx.query.per_page ?? '', 10) || 30));
    const page = Math.max(1, Number.parseInt(ctx.query.page ?? '', 10) || 1);
    const last = Math.max(1, Math.ceil(items.length / perPage));
    const slice = items.slice((page - 1) * perPage, page * perPage);
    const href = (p: number): string => {
      const q = new URLSearchParams(ctx.query);
      q.set('per_page', String(perPage));
      q.set('page', String(p));
      return `${api}${ctx.path}?${q.toString()}`;
    };
    const links: string[] = [];
    if (page > 1) links.push(`<${href(Math.min(page - 1, last))}>; rel="prev"`);
    if (page < last) links.push(`<${href(page + 1)}>; rel="next"`, `<${href(last)}>; rel="last"`);
    if (page > 1) links.push(`<${href(1)}>; rel="first"`);
    return { status: 200, body: wrap ? wrap(slice) : slice, headers: links.length > 0 ? { link: links.join(', ') } : {} };
  }

  const commentBodyProblem = (ctx: Ctx, body: string): Reply | undefined => {
    if (body.trim() === '') return validationFailed(ctx, 'IssueComment', 'body', 'body cannot be blank');
    if (body.length > maxCommentLength) {
      return validationFailed(ctx, 'IssueComment', 'body', `body is too long (maximum is ${maxCommentLength} characters)`);
    }
    return undefined;
  };

  const issueNumber = (ctx: Ctx): number => Number(ctx.params.issue_number ?? ctx.params.pull_number);

  const handlers: Record<string, (ctx: Ctx) => Reply> = {
    'pulls/get': (ctx) => {
      const p = state.pulls[issueNumber(ctx)];
      return p ? { status: 200, body: pullObject(p) } : notFound(ctx);
    },
    'pulls/list-files': (ctx) => {
      const n = issueNumber(ctx);
      const p = state.pulls[n];
      if (!p) return notFound(ctx);
      // GitHub lists at most 3000 files of a pull request.
      return paginate(ctx, (state.pullFiles[n] ?? []).slice(0, 3000).map((f) => fileEntry(f, p.head.sha)));
    },
    'issues/list-comments': (ctx) => {
      const n = issueNumber(ctx);
      if (!issueExists(n)) return notFound(ctx);
      return paginate(ctx, (state.comments[n] ?? []).map((c) => commentObject(c, n)));
    },
    'issues/create-comment': (ctx) => {
      const n = issueNumber(ctx);
      if (!issueExists(n)) return notFound(ctx);
      const text = (ctx.body as { body: string }).body;
      const problem = commentBodyProblem(ctx, text);
      if (problem) return problem;
      const stamp = tick();
      const c: FakeComment = { id: newId(), body: text, user: { login: botLogin, type: 'Bot' }, created_at: stamp, updated_at: stamp };
      (state.comments[n] ??= []).push(c);
      return {
        status: 201,
        body: commentObject(c, n),
        headers: { location: `${api}${repoApi}/issues/comments/${c.id}` },
      };
    },
    'issues/get-comment': (ctx) => {
      const found = findComment(Number(ctx.params.comment_id));
      return found ? { status: 200, body: commentObject(found.list[found.index], found.issue) } : notFound(ctx);
    },
    'issues/update-comment': (ctx) => {
      const found = findComment(Number(ctx.params.comment_id));
      if (!found) return notFound(ctx);
      const text = (ctx.body as { body: string }).body;
      const problem = commentBodyProblem(ctx, text);
      if (problem) return problem;
      const c = found.list[found.index];
      c.created_at ??= state.now;
      c.body = text;
      c.updated_at = tick();
      return { status: 200, body: commentObject(c, found.issue) };
    },
    'issues/delete-comment': (ctx) => {
      const found = findComment(Number(ctx.params.comment_id));
      if (!found) return notFound(ctx);
      found.list.splice(found.index, 1);
      return { status: 204 };
    },
    'issues/list-events': (ctx) => {
      const n = issueNumber(ctx);
      if (!issueExists(n)) return notFound(ctx);
      return paginate(ctx, (state.events[n] ?? []).map(eventObject));
    },
    'repos/create-commit-status': (ctx) => {
      const b = ctx.body as { state: CommitState; target_url?: string | null; description?: string | null; context?: string };
      if (b.description && b.description.length > 140) {
        return validationFailed(ctx, 'Status', 'description', 'description is too long (maximum is 140 characters)');
      }
      const stamp = tick();
      const s: FakeStatus = {
        id: newId(),
        state: b.state,
        context: b.context ?? 'default',
        description: b.description ?? null,
        target_url: b.target_url ?? null,
        created_at: stamp,
        updated_at: stamp,
        creator: { login: botLogin, type: 'Bot' },
      };
      const list = (state.statuses[ctx.params.sha] ??= []);
      list.push(s);
      return { status: 201, body: statusObject(s, ctx.params.sha, list.length - 1) };
    },
    'repos/list-commit-statuses-for-ref': (ctx) => {
      const sha = ctx.params.ref;
      const list = state.statuses[sha] ?? [];
      // Newest first, as GitHub lists them.
      return paginate(ctx, list.map((s, i) => statusObject(s, sha, i)).reverse());
    },
    'repos/get-collaborator-permission-level': (ctx) => {
      const login = ctx.params.username;
      const role = Object.entries(state.collaborators).find(([l]) => l.toLowerCase() === login.toLowerCase());
      let roleName: string;
      let permission: string;
      if (role) {
        roleName = role[1];
        permission = { admin: 'admin', maintain: 'write', write: 'write', triage: 'read', read: 'read' }[role[1]];
      } else if (state.nonCollaborator === 'not-found') {
        return notFound(ctx);
      } else {
        roleName = permission = state.nonCollaborator;
      }
      const rank = ['none', 'read', 'triage', 'write', 'maintain', 'admin'].indexOf(roleName);
      return {
        status: 200,
        body: {
          permission,
          role_name: roleName,
          user: {
            ...user(role ? role[0] : login),
            permissions: { admin: rank >= 5, maintain: rank >= 4, push: rank >= 3, triage: rank >= 2, pull: rank >= 1 },
            role_name: roleName,
          },
        },
      };
    },
    'checks/list-suites-for-ref': (ctx) => {
      const ref = ctx.params.ref;
      const appId = ctx.query.app_id ? Number(ctx.query.app_id) : undefined;
      const suites = (state.checkSuites[ref] ?? []).filter((s) => appId === undefined || (s.app?.id ?? ACTIONS_APP.id) === appId);
      return paginate(
        ctx,
        suites.map((s) => checkSuiteObject(s, ref)),
        (page) => ({ total_count: suites.length, check_suites: page }),
      );
    },
    'repos/get-content': (ctx) => {
      const ref = ctx.query.ref ?? state.repository.default_branch;
      const files = state.contents[ref] ?? {};
      const path = ctx.params.path.replace(/^\/+|\/+$/g, '');
      const entry = (p: string, type: 'file' | 'dir') => {
        const text = type === 'file' ? files[p] : '';
        const sha = type === 'file' ? gitBlobSha(text) : gitBlobSha(`tree:${ref}:${p}`);
        const self = `${api}${repoApi}/contents/${p.split('/').map(encodeURIComponent).join('/')}?ref=${encodeURIComponent(ref)}`;
        const git = `${api}${repoApi}/git/${type === 'file' ? 'blobs' : 'trees'}/${sha}`;
        const html = `${SERVER_URL}/${fullName}/${type === 'file' ? 'blob' : 'tree'}/${ref}/${p}`;
        return {
          type,
          name: p.split('/').pop() as string,
          path: p,
          sha,
          size: type === 'file' ? Buffer.byteLength(text) : 0,
          url: self,
          html_url: html,
          git_url: git,
          download_url: type === 'file' ? `https://raw.githubusercontent.com/${fullName}/${ref}/${p}` : null,
          _links: { self, git, html },
        };
      };
      if (path in files) {
        const text = files[path];
        if (/application\/vnd\.github(\.v3)?\.raw/.test(ctx.accept)) {
          return { status: 200, raw: { text, type: 'application/vnd.github.raw; charset=utf-8' } };
        }
        // GitHub wraps the base64 at 60 characters.
        const b64 = Buffer.from(text, 'utf8').toString('base64').replace(/.{60}/g, '$&\n');
        return { status: 200, body: { ...entry(path, 'file'), content: b64.endsWith('\n') ? b64 : `${b64}\n`, encoding: 'base64' } };
      }
      const prefix = path === '' ? '' : `${path}/`;
      const children = new Map<string, 'file' | 'dir'>();
      for (const p of Object.keys(files)) {
        if (!p.startsWith(prefix)) continue;
        const rest = p.slice(prefix.length).split('/');
        children.set(prefix + rest[0], rest.length === 1 ? 'file' : 'dir');
      }
      if (children.size === 0) return notFound(ctx);
      return { status: 200, body: [...children].sort(([a], [b]) => a.localeCompare(b)).map(([p, t]) => entry(p, t)) };
    },
    'users/get-authenticated': (ctx) => {
      if (state.authenticatedUser === null) return error(ctx, 403, 'Resource not accessible by integration');
      return { status: 200, body: user(state.authenticatedUser, 'User') };
    },
  };

  // --- request handling -----------------------------------------------------------------------

  const baseHeaders = (): Record<string, string> => {
    requestCounter += 1;
    const rl = state.rateLimit;
    rl.remaining = Math.max(0, rl.remaining - 1);
    const hex = (n: number, w: number) => n.toString(16).toUpperCase().padStart(w, '0');
    return {
      'x-github-api-version-selected': '2022-11-28',
      'x-github-media-type': 'github.v3; format=json',
      'x-github-request-id': `${hex(0xfa4e, 4)}:${hex(requestCounter, 5)}:${hex(requestCounter * 7919, 7)}:${hex(requestCounter * 104729, 7)}:${hex(Math.floor(Date.now() / 1000), 8)}`,
      'x-ratelimit-limit': String(rl.limit),
      'x-ratelimit-remaining': String(rl.remaining),
      'x-ratelimit-reset': String(rl.reset),
      'x-ratelimit-used': String(rl.limit - rl.remaining),
      'x-ratelimit-resource': 'core',
    };
  };

  function send(res: ServerResponse, record: RecordedRequest, reply: Reply): void {
    const headers: Record<string, string> = { ...baseHeaders(), ...reply.headers };
    let payload: string | undefined;
    if (reply.raw) {
      payload = reply.raw.text;
      headers['content-type'] = reply.raw.type;
    } else if (reply.status !== 204 && reply.status !== 304 && reply.body !== undefined) {
      payload = JSON.stringify(reply.body);
      headers['content-type'] ??= 'application/json; charset=utf-8';
    }
    if (payload !== undefined) headers['content-length'] = String(Buffer.byteLength(payload));
    record.status = reply.status;
    requests.push(record);
    res.writeHead(reply.status, headers);
    res.end(payload);
  }

  function handle(req: IncomingMessage, res: ServerResponse, raw: Buffer): void {
    const method = (req.method ?? 'GET').toUpperCase();
    const url = new URL(req.url ?? '/', 'http://fake.invalid');
    const path = url.pathname;
    const query = Object.fromEntries(url.searchParams);
    const record: RecordedRequest = { method, path, query, body: undefined, status: 0, hasAuthorization: req.headers.authorization !== undefined };
    const text = raw.toString('utf8');
    const violation = (reason: string): void => {
      violations.push(`${method} ${path}: ${reason}`);
    };

    const m = matchRoute(method, path);
    if (!('route' in m)) {
      record.body = raw.length > 0 ? text : undefined;
      violation(
        m.methods.length > 0
          ? `GitHub's OpenAPI description has this path only for ${m.methods.join(', ')}`
          : "no such route in GitHub's OpenAPI description",
      );
      send(res, record, notFound());
      return;
    }
    const { op } = m.route;
    Object.assign(record, { operationId: op.operationId, route: op.template, params: m.params });
    const ctx: Ctx = { method, path, query, params: m.params, body: undefined, op, accept: String(req.headers.accept ?? '') };

    // Body: parse and validate before anything else (faults and read-only tokens included).
    if (raw.length > 0) {
      if (op.jsonBodyPointer) {
        try {
          ctx.body = JSON.parse(text);
        } catch {
          record.body = text;
          violation(`request body is not JSON (${op.operationId} takes application/json)`);
          send(res, record, error(ctx, 400, 'Problems parsing JSON'));
          return;
        }
      } else {
        ctx.body = text;
        if (!op.otherBody) violation(`sends a request body, but ${op.operationId} takes none`);
      }
    }
    record.body = ctx.body;
    const validate = validatorFor(op);
    if (validate) {
      if (ctx.body === undefined && op.bodyRequired) {
        violation(`no request body, but ${op.operationId} requires one`);
        send(res, record, error(ctx, 422, "Invalid request.\n\nFor 'links/0/schema', nil is not an object."));
        return;
      }
      if (ctx.body !== undefined && !validate(ctx.body)) {
        const errors = validate.errors ?? [];
        violation(
          `request body does not match ${op.operationId} in GitHub's OpenAPI description: ${loadSpec().ajv.errorsText(errors, { dataVar: 'body' })}`,
        );
        send(res, record, error(ctx, 422, githubMessage(errors, ctx.body)));
        return;
      }
    }

    const fault = faults.find(
      (f) => f.left > 0 && (f.method === '*' || f.method.toUpperCase() === method) && (typeof f.path === 'string' ? f.path === path : f.path.test(path)),
    );
    if (fault) {
      fault.left -= 1;
      const r = fault.response;
      const reply = (): void =>
        send(res, record, {
          status: r.status,
          body: r.body !== undefined ? r.body : { message: STATUS_TEXT[r.status] ?? 'Error', documentation_url: op.docUrl, status: String(r.status) },
          headers: r.headers,
        });
      if (!(r.delayMs && r.delayMs > 0)) {
        reply();
        return;
      }
      const timer = setTimeout(() => {
        delayed.delete(timer);
        if (!res.destroyed) reply();
      }, r.delayMs);
      delayed.add(timer);
      res.on('close', () => {
        if (res.writableEnded || !delayed.delete(timer)) return;
        clearTimeout(timer);
        record.aborted = true;
        requests.push(record);
      });
      return;
    }

    if (op.template.startsWith('/repos/{owner}/{repo}/')) {
      if (m.params.owner.toLowerCase() !== owner.toLowerCase() || m.params.repo.toLowerCase() !== repo.toLowerCase()) {
        send(res, record, notFound(ctx));
        return;
      }
    }
    if (opts.readOnly && method !== 'GET') {
      send(res, record, error(ctx, 403, 'Resource not accessible by integration'));
      return;
    }
    const handler = handlers[op.operationId];
    if (!handler) {
      violation(`${op.operationId} (${op.method} ${op.template}) is not implemented in the fake`);
      send(res, record, error(ctx, 501, `${op.operationId} is not implemented in the fake GitHub`));
      return;
    }
    send(res, record, handler(ctx));
  }

  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      try {
        handle(req, res, Buffer.concat(chunks));
      } catch (e) {
        violations.push(`${req.method} ${req.url}: the fake crashed: ${(e as Error).stack ?? String(e)}`);
        if (!res.headersSent) res.writeHead(500, { 'content-type': 'application/json; charset=utf-8' });
        res.end(JSON.stringify({ message: 'fake GitHub crashed', status: '500' }));
      }
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  api = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  return {
    url: api,
    state,
    requests,
    violations,
    fail(match, response, times = 1) {
      if (!(times > 0)) throw new Error(`fake GitHub: fail() needs times > 0, got ${times}`);
      faults.push({ method: match.method, path: match.path, response, left: times });
    },
    close() {
      for (const t of delayed) clearTimeout(t);
      delayed.clear();
      return new Promise<void>((resolve, reject) => {
        server.close((err) => (err ? reject(err) : resolve()));
        server.closeAllConnections();
      });
    },
  };
}
