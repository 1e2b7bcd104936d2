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
/** A request GitHub has not answered in this long is abandoned (and retried): a hung connection must not hold the job. */
const REQUEST_TIMEOUT_MS = 30_000;

/** fetch with a deadline per request. */
const fetchWithTimeout: typeof fetch = (input, init) => fetch(input, { ...init, signal: init?.signal ?? AbortSignal.timeout(REQUEST_TIMEOUT_MS) });

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
      request: { fetch: fetchWithTimeout },
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

/**
 * Writes to GitHub that stop, with one warning per kind of write, once GitHub refuses them (403: a fork's
 * read-only token, a missing `statuses: write` or `pull-requests: write`, a locked conversation). A refused
 * status does not stop the comment, nor the other way round.
 */
export class Writer {
  private readonly refused = new Set<string>();
  private warned = false;

  /** Runs a write of a kind ('comment', 'status'); a 403 marks that kind refused (one warning) and returns undefined. */
  async write<T>(kind: string, what: string, fn: () => Promise<T>): Promise<T | undefined> {
    if (this.refused.has(kind)) return undefined;
    try {
      return await fn();
    } catch (e) {
      if (statusOf(e) !== 403) throw e;
      this.refused.add(kind);
      const reason = (e as { message?: string }).message ?? '';
      // A 403 is also how GitHub says a rate limit still holds after the retries: not a permission problem.
      const headers = (e as { response?: { headers?: Record<string, string | undefined> } }).response?.headers ?? {};
      const rateLimited = headers['x-ratelimit-remaining'] === '0' || /rate limit/i.test(reason);
      // One warning for the run; a second kind refused is only logged.
      const say = this.warned ? core.info : core.warning;
      this.warned = true;
      say(
        `Blast Radius could not ${what}: GitHub refused it (403${reason ? `: ${reason.split('\n')[0]}` : ''}). ` +
          (rateLimited
            ? 'The API rate limit still held after the retries; the next push runs the check again. '
            : 'A pull request from a fork gets a read-only token; otherwise give the workflow `pull-requests: write` and `statuses: write`. ') +
          'The job summary, annotations and outputs still carry the full result, and the job result reflects the risk.',
      );
      return undefined;
    }
  }
}
