/**
 * What the Action runs on, from the workflow's inputs and the event payload (`GITHUB_EVENT_PATH`).
 * `pull_request`: base = the pull request's base sha, head = its head sha. `merge_group`: base =
 * `merge_group.base_sha`, head = `merge_group.head_sha`, and the pull request is the one queued, from
 * `merge_group.head_ref` (`refs/heads/gh-readonly-queue/<base>/pr-<N>-<sha>`). `pull_request_target` is
 * refused: it runs with a write token next to the pull request's untrusted code.
 */
import { readFileSync } from 'node:fs';
import * as core from '@actions/core';
import { LEVELS, type Level } from '../types.js';

export interface Inputs {
  token: string;
  config: string;
  failOn: Level;
  comment: 'update' | 'new' | 'off';
  status: boolean;
  sarifFile: string;
  workingDirectory: string;
}

export class InputError extends Error {}

export function readInputs(): Inputs {
  // The runner already masks `github.token` and secrets; the token is never written anywhere by the Action
  // (not even in an `::add-mask::` command, which would put it on stdout).
  const token = core.getInput('github-token');
  const failOn = core.getInput('fail-on') || 'high';
  if (!(LEVELS as readonly string[]).includes(failOn)) throw new InputError(`input fail-on must be one of ${LEVELS.join(', ')}, not "${failOn}"`);
  const comment = core.getInput('comment') || 'update';
  if (!['update', 'new', 'off'].includes(comment)) throw new InputError(`input comment must be update, new or off, not "${comment}"`);
  const status = (core.getInput('status') || 'true').toLowerCase();
  if (!['true', 'false'].includes(status)) throw new InputError(`input status must be true or false, not "${status}"`);
  return {
    token,
    config: core.getInput('config') || '.blast-radius.yml',
    failOn: failOn as Level,
    comment: comment as Inputs['comment'],
    status: status === 'true',
    sarifFile: core.getInput('sarif-file'),
    workingDirectory: core.getInput('working-directory') || '.',
  };
}

export interface Target {
  event: 'pull_request' | 'merge_group';
  owner: string;
  repo: string;
  /** The pull request (for merge_group: the queued one; undefined when it cannot be told). */
  number?: number;
  base: string;
  head: string;
  /** Labels on the pull request as the event saw them (merge_group: read from the API later). */
  labels: string[];
  /** True when the pull request's head lives in another repository (a fork). */
  fork: boolean;
}

interface Payload {
  pull_request?: { number?: number; base?: { sha?: string }; head?: { sha?: string; repo?: { full_name?: string } | null }; labels?: Array<{ name?: string }> };
  merge_group?: { base_sha?: string; head_sha?: string; head_ref?: string };
  repository?: { full_name?: string };
}

/** The pull request number of a merge queue branch (`…/pr-123-<sha>`). */
export function queuedPullRequest(headRef: string | undefined): number | undefined {
  const m = /\/pr-(\d+)-[0-9a-f]+$/.exec(headRef ?? '');
  return m ? Number(m[1]) : undefined;
}

/** The change to check, or a reason the event is not one the Action checks. */
export function readTarget(env: NodeJS.ProcessEnv = process.env): Target | { skip: string } {
  const event = env.GITHUB_EVENT_NAME ?? '';
  const [owner, repo] = (env.GITHUB_REPOSITORY ?? '/').split('/');
  if (event === 'pull_request_target') {
    throw new InputError(
      'Blast Radius does not run on pull_request_target: that event runs with a write token next to the pull request\'s untrusted code (and actions/checkout refuses fork checkouts there). Use `on: pull_request` (see the README).',
    );
  }
  if (event !== 'pull_request' && event !== 'merge_group') return { skip: `Blast Radius checks pull_request and merge_group events; "${event}" has no change to check` };
  const path = env.GITHUB_EVENT_PATH;
  if (!path) throw new InputError('GITHUB_EVENT_PATH is not set: the Action must run in a GitHub Actions job');
  const payload = JSON.parse(readFileSync(path, 'utf8')) as Payload;
  if (event === 'pull_request') {
    const pr = payload.pull_request;
    if (!pr?.base?.sha || !pr.head?.sha || !pr.number) throw new InputError('the pull_request event has no base or head sha');
    const headRepo = pr.head.repo?.full_name;
    return {
      event,
      owner,
      repo,
      number: pr.number,
      base: pr.base.sha,
      head: pr.head.sha,
      labels: (pr.labels ?? []).map((l) => l.name ?? '').filter(Boolean),
      fork: headRepo !== undefined && headRepo !== (payload.repository?.full_name ?? `${owner}/${repo}`),
    };
  }
  const mg = payload.merge_group;
  if (!mg?.base_sha || !mg.head_sha) throw new InputError('the merge_group event has no base_sha or head_sha');
  return { event, owner, repo, number: queuedPullRequest(mg.head_ref), base: mg.base_sha, head: mg.head_sha, labels: [], fork: false };
}
