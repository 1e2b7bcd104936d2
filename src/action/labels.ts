/**
 * Verified labels. A label lifts findings (the config's `acceptLabel`, a lock's or a re-apply's
 * `blast-radius-override:<id>`) only when the latest `labeled` event for it (Issues events API) was made by a
 * user whose repository role is admin or maintain (collaborator permission API), after the current head
 * commit was pushed: an approval covers the change it saw. The push time is the later of when GitHub first
 * saw the head commit (its earliest check suite) and the pull request's latest force push (timeline), never
 * the commit's own date, which its author can set to anything; when it cannot be told, no label counts.
 * Anything else is reported in the comment: who applied the label and why it does not count.
 */
import type { Config } from '../config.js';
import { statusOf, type Octokit } from './github.js';

export const OVERRIDE_PREFIX = 'blast-radius-override:';
/** Repository roles whose labels count. */
const TRUSTED_ROLES = new Set(['admin', 'maintain']);

export interface LabelDecision {
  label: string;
  counted: boolean;
  /** Who applied it last (login), when, and their role; undefined when no `labeled` event was found. */
  by?: string;
  at?: string;
  role?: string;
  /** Why it does not count (empty when it does). */
  why: string;
}

/** The labels of a pull request that Blast Radius gives a meaning under this config. */
export function meaningful(labels: readonly string[], config: Config): string[] {
  return [...new Set(labels.filter((l) => l === config.acceptLabel || l.startsWith(OVERRIDE_PREFIX)))].sort();
}

interface LabelEvent {
  event?: string;
  created_at?: string;
  actor?: { login?: string } | null;
  label?: { name?: string } | null;
}

export async function verifyLabels(gh: Octokit, where: { owner: string; repo: string; number: number; head: string }, labels: readonly string[]): Promise<LabelDecision[]> {
  if (labels.length === 0) return [];
  const { owner, repo, number, head } = where;
  const events = (await gh.paginate(gh.rest.issues.listEvents, { owner, repo, issue_number: number, per_page: 100 })) as LabelEvent[];
  // A force push can make an older commit (first seen before the label) the head again: the later counts.
  const forcePushed = events.filter((e) => e.event === 'head_ref_force_pushed').map((e) => e.created_at ?? '').sort().pop();
  const seen = await firstSeen(gh, owner, repo, head);
  const pushedAt = seen && forcePushed ? (seen > forcePushed ? seen : forcePushed) : seen;
  const roles = new Map<string, string>();
  const roleOf = async (login: string): Promise<string> => {
    let role = roles.get(login);
    if (role === undefined) {
      try {
        const { data } = await gh.rest.repos.getCollaboratorPermissionLevel({ owner, repo, username: login });
        role = (data as { role_name?: string }).role_name ?? data.permission ?? 'none';
      } catch (e) {
        if (statusOf(e) !== 404) throw e;
        role = 'none'; // not a collaborator
      }
      roles.set(login, role);
    }
    return role;
  };
  const out: LabelDecision[] = [];
  for (const label of labels) {
    const last = events.filter((e) => e.event === 'labeled' && e.label?.name === label).sort((a, b) => (a.created_at ?? '').localeCompare(b.created_at ?? '')).pop();
    const by = last?.actor?.login;
    if (!last || !by) {
      out.push({ label, counted: false, why: 'no labeled event was found for it' });
      continue;
    }
    const role = await roleOf(by);
    const at = last.created_at;
    if (!TRUSTED_ROLES.has(role)) {
      out.push({ label, counted: false, by, at, role, why: `applied by a user with the ${role} role; only admins and maintainers can lift Blast Radius findings` });
    } else if (!pushedAt || !at) {
      out.push({ label, counted: false, by, at, role, why: 'when the current head commit was pushed cannot be told (no check suite for it is visible: give the workflow `checks: read`), so no approval can be matched to it' });
    } else if (Date.parse(at) < Date.parse(pushedAt)) {
      out.push({ label, counted: false, by, at, role, why: `applied before the current head commit was pushed (${pushedAt}); an approval covers the change it saw: remove and re-apply it to approve this one` });
    } else {
      out.push({ label, counted: true, by, at, role, why: '' });
    }
  }
  return out;
}

/** When GitHub first saw a commit: its earliest check suite (created when the commit is pushed). */
async function firstSeen(gh: Octokit, owner: string, repo: string, sha: string): Promise<string | undefined> {
  try {
    const { data } = await gh.rest.checks.listSuitesForRef({ owner, repo, ref: sha, per_page: 100 });
    const times = data.check_suites.map((s) => s.created_at).filter((t): t is string => typeof t === 'string').sort();
    return times[0];
  } catch (e) {
    if (statusOf(e) === 403 || statusOf(e) === 404) return undefined;
    throw e;
  }
}
