/**
 * The sticky pull-request comment: one per pull request, found by the hidden marker and the bot's own login,
 * updated in place and left alone when its body would not change. A pull request clean from its first run
 * gets none (the status says so); once a comment exists it says when the pull request becomes clean. Before
 * writing, the pull request's head is read again: a run for an older head never overwrites a newer result.
 * A comment deleted meanwhile (404 on update) is created anew; a body GitHub refuses as too long (422) is
 * cut further and sent again.
 */
import * as core from '@actions/core';
import { MARKER } from '../report/markdown.js';
import { statusOf, type Octokit, type Writer } from './github.js';

/** GitHub's limit on a comment body. */
export const GITHUB_COMMENT_LIMIT = 65_536;

export interface CommentTarget {
  owner: string;
  repo: string;
  number: number;
  head: string;
}

export type CommentOutcome = 'created' | 'updated' | 'unchanged' | 'none' | 'stale' | 'skipped';

/**
 * The login the token acts as: `GET /user` answers for a user token; an installation token (GITHUB_TOKEN,
 * a GitHub App) is refused it, and then any bot account's comment with the marker is ours (a person cannot
 * post as a bot, and the App's own login, `<app>[bot]`, cannot be read with its installation token).
 */
async function ownLogin(gh: Octokit): Promise<string | undefined> {
  try {
    const { data } = await gh.rest.users.getAuthenticated();
    return data.login;
  } catch {
    return undefined;
  }
}

/** Cuts a body to `max` characters at a line break, saying where the rest is. */
export function cut(body: string, max: number): string {
  if (body.length <= max) return body;
  const note = '\n\n… the rest of this report did not fit in a comment: it is in the job summary and the JSON report.\n';
  const room = Math.max(0, max - note.length);
  const at = body.lastIndexOf('\n', room);
  return body.slice(0, at > 0 ? at : room) + note;
}

export async function publishComment(
  gh: Octokit,
  writer: Writer,
  t: CommentTarget,
  body: string,
  opts: { mode: 'update' | 'new'; clean: boolean },
): Promise<CommentOutcome> {
  const { owner, repo, number } = t;
  const { data: pr } = await gh.rest.pulls.get({ owner, repo, pull_number: number });
  if (pr.head.sha !== t.head) {
    core.info(`Not commenting: the pull request's head is now ${pr.head.sha.slice(0, 7)}, newer than the ${t.head.slice(0, 7)} this run checked`);
    return 'stale';
  }
  const login = await ownLogin(gh);
  const comments = await gh.paginate(gh.rest.issues.listComments, { owner, repo, issue_number: number, per_page: 100 });
  const mine = comments.filter((c) => (login ? c.user?.login === login : c.user?.type === 'Bot') && (c.body ?? '').startsWith(MARKER));
  const existing = mine[mine.length - 1];
  if (opts.clean && mine.length === 0) return 'none';
  const text = cut(body, GITHUB_COMMENT_LIMIT);
  const create = async (b: string) => writer.write('comment', 'comment on the pull request', () => gh.rest.issues.createComment({ owner, repo, issue_number: number, body: b }));
  const send = async (b: string): Promise<CommentOutcome> => {
    if (opts.mode === 'update' && existing) {
      if (existing.body === b) return 'unchanged';
      try {
        const r = await writer.write('comment', 'update its comment', () => gh.rest.issues.updateComment({ owner, repo, comment_id: existing.id, body: b }));
        return r ? 'updated' : 'skipped';
      } catch (e) {
        if (statusOf(e) !== 404) throw e;
        core.info('The Blast Radius comment was deleted meanwhile: posting a new one');
      }
    }
    return (await create(b)) ? 'created' : 'skipped';
  };
  // GitHub may still refuse the body as too long (422: its count differs from ours on some characters, or
  // an Enterprise server's limit is lower): shorter and shorter, down to the verdict alone.
  const verdict = text.split('\n').slice(0, 2).join('\n');
  const bodies = [text, cut(text, Math.floor(text.length / 2)), cut(text, 10_000), `${verdict}\n\nThe full report is in the job summary and the JSON report.\n`];
  for (const [i, b] of bodies.entries()) {
    try {
      return await send(b);
    } catch (e) {
      if (statusOf(e) !== 422) throw e;
      if (i === bodies.length - 1) {
        core.warning('GitHub refused every Blast Radius comment body (422); the full report is in the job summary');
        return 'skipped';
      }
      core.info(`GitHub refused the comment body of ${b.length} characters (422): sending a shorter one`);
    }
  }
  return 'skipped';
}
