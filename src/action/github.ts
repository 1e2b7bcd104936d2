/**
 * The GitHub API client of the Action: Octokit from @actions/github with the retry and throttling plugins,
 * and a guard for writes that a read-only token (a fork's pull request) is refused: the first 403 becomes
 * one warning and every later write is skipped, so the summary, annotations and outputs still happen.
 */
import * as core from '@actions/core';
import { getOctokit } from '@actions/github';
import { retry } from '@octokit/plugin-retry';
import { throttling } from '@octokit/plugin-throttling';

export type Octokit = ReturnType<typeof getOctokit>;

/** Retries after a primary or secondary rate limit, at most this many times per request. */
const RATE_LIMIT_RETRIES = 2;

export function client(token: string): Octokit {
  return getOctokit(
    token,
    {
      throttle: {
        onRateLimit: (retryAfter: number, options: { method: string; url: string }, _octokit: unknown, retryCount: number) => {
          core.warning(`GitHub API rate limit on ${options.method} ${options.url}: retrying after ${retryAfter} s`);
          return retryCount < RATE_LIMIT_RETRIES;
        },
        onSecondaryRateLimit: (retryAfter: number, options: { method: string; url: string }, _octokit: unknown, retryCount: number) => {
          core.warning(`GitHub API secondary rate limit on ${options.method} ${options.url}: retrying after ${retryAfter} s`);
          return retryCount < RATE_LIMIT_RETRIES;
        },
      },
      retry: { doNotRetry: [400, 401, 403, 404, 410, 422, 451] },
    },
    retry,
    throttling,
  );
}

/** The HTTP status of an Octokit error, if it is one. */
export function statusOf(e: unknown): number | undefined {
  const s = (e as { status?: unknown })?.status;
  return typeof s === 'number' ? s : undefined;
}

/** Writes to GitHub that stop, with one warning, once the token turns out to be read-only. */
export class Writer {
  private readOnly = false;

  /** Runs a write; a 403 marks the token read-only (one warning) and returns undefined. Other errors propagate. */
  async write<T>(what: string, fn: () => Promise<T>): Promise<T | undefined> {
    if (this.readOnly) return undefined;
    try {
      return await fn();
    } catch (e) {
      if (statusOf(e) !== 403) throw e;
      this.readOnly = true;
      core.warning(
        `Blast Radius could not ${what}: the token is read-only here (a pull request from a fork, or a workflow without \`pull-requests: write\` / \`statuses: write\`). ` +
          'The job summary, annotations and outputs still carry the full result, and the job result reflects the risk.',
      );
      return undefined;
    }
  }

  get skipped(): boolean {
    return this.readOnly;
  }
}
