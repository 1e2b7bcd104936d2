/**
 * revert-lock/locked-object — a pull request changes an object that a lock of `.blast-radius.yml` names
 * (DESIGN.md `locks:`; issue 7).
 *
 * A change rule. Locks come from the config in force — the base commit's file — so a pull request cannot
 * unlock itself: one that deletes or narrows a lock and edits the locked object in the same change is still
 * judged by the base's locks, and the message says that the config change takes effect after merge.
 *
 * `changedPairs` pairs each object of a deployable unit with its counterpart on the other side; a lock
 * matches a pair by `kind`, `namespace` and `name` (each optional, at least one given), on the head object
 * or, for a deletion, the base one. Without `match.path` any change of content counts (adding the object,
 * deleting it, editing any field: a comment or a move to another file of the unit is not a change); with
 * it, only a change of the value under that path. Each changed, locked object gets one critical finding
 * per lock, pointing at the first changed field (a deleted object: its name on the base).
 *
 * Only the label `blast-radius-override:<lock id>` lifts it: the finding then stays in the report,
 * suppressed, naming the label and the lock's reason, and counts zero. `acceptLabel` and the ignore
 * annotation (which the pull request could add itself) do not.
 */
import { changedPairs, sameValue } from '../../src/changes.js';
import type { Config, LockConfig } from '../../src/config.js';
import { CONFIG_FILE } from '../../src/config.js';
import { overrideLabel } from '../../src/engine.js';
import { atLockPath, lockMatches, lockPath, yamlPathText } from '../../src/locks.js';
import { diffSites, locateSite, pathText, type Step } from '../../src/revert.js';
import type { ChangeRule } from '../../src/rule.js';
import { quote } from '../../src/text.js';
import type { KubeObject, YamlPath } from '../../src/types.js';

/** The first place two versions of an object differ, as a site path (fields in document order). */
function firstChange(before: unknown, after: unknown): readonly Step[] | undefined {
  let first: readonly Step[] | undefined;
  diffSites(before, after, [], (p) => {
    first ??= p;
  });
  return first;
}

/** Whether the pull request's own config still has a lock like this one (same id, same match). */
function keptBy(proposed: Config | undefined, lock: LockConfig): boolean {
  return proposed?.locks.some((l) => l.id === lock.id && sameValue(l.match, lock.match)) ?? true;
}

export const lockedObject: ChangeRule = {
  meta: {
    id: 'revert-lock/locked-object',
    family: 'revert-lock',
    type: 'change',
    severity: 'critical',
    description: 'Flag a pull request that changes an object a lock in .blast-radius.yml names, unless it carries the lock\'s override label.',
    docs: 'docs/rules/revert-lock/locked-object.md',
    remediation: 'Leave the locked object unchanged until the lock is lifted, or have the lock\'s owners review the change and add the label blast-radius-override:<lock id> to the pull request.',
  },
  check(ctx) {
    const locks = ctx.config.locks;
    if (locks.length === 0) return;
    for (const pair of changedPairs(ctx.base, ctx.head)) {
      const subject = (pair.head ?? pair.base)!;
      for (const lock of locks) {
        if (!lockMatches(lock, subject)) continue;
        const path = lockPath(lock);
        const before = pair.base && (path ? atLockPath(pair.base.doc, path).value : pair.base.doc);
        const after = pair.head && (path ? atLockPath(pair.head.doc, path).value : pair.head.doc);
        if (sameValue(before, after)) continue;
        const scope = path ? ` under ${yamlPathText(path)}` : '';
        let what: string;
        let at: { object: KubeObject; path: YamlPath; innerLine?: number };
        if (!pair.head) {
          what = `deletes it${scope ? ` (and with it everything${scope})` : ''}`;
          at = { object: pair.base!, path: ['metadata', 'name'] };
        } else if (!pair.base) {
          what = 'adds it';
          at = { object: pair.head, path: path ? atLockPath(pair.head.doc, path).at : ['metadata', 'name'] };
        } else {
          // The first changed field inside the locked value (the whole object, or the value under the path).
          const change = firstChange(before, after);
          const inside = change && after !== undefined ? locateSite(after, change) : { path: [] };
          const steps = path?.every((k) => typeof k === 'string') ? path.map((k) => (String(k).startsWith('[') ? String(k) : `.${k}`)) : undefined;
          const field = change?.length ? pathText(change) : '';
          what = `changes ${!path ? field || 'it' : steps ? pathText([...steps, ...(change ?? [])]) : `${yamlPathText(path)}${field ? ` (${field})` : ''}`}`;
          at = { object: pair.head, ...inside, path: [...(path ? atLockPath(pair.head.doc, path).at : []), ...(after === undefined ? [] : inside.path)] };
        }
        const dropped = keptBy(ctx.proposedConfig, lock)
          ? ''
          : `; this pull request also removes or changes that lock in ${CONFIG_FILE}, but locks are read from the base commit, so that takes effect only after it merges and the lock holds for this change`;
        ctx.report({
          key: `${lock.id}`,
          message:
            `the lock ${quote(lock.id)} in ${CONFIG_FILE} holds ${subject.ref}${scope ? ` (${yamlPathText(path!)})` : ''}: ${lock.reason.trim().replace(/[.\s]+$/, '')}; ` +
            `this pull request ${what}, and only a pull request carrying the label ${overrideLabel(lock.id)} may change it${dropped}`,
          remediation: `Leave ${subject.ref} unchanged until lock ${quote(lock.id)} is lifted, or have its owners review the change and add the label ${overrideLabel(lock.id)} to the pull request.`,
          at,
          ...(pair.head ? {} : { about: pair.base!, clusters: [...ctx.fleet.clustersOfObject(pair.base!, 'base')] }),
          lock: { id: lock.id, reason: lock.reason },
          data: { lock: lock.id },
        });
      }
    }
  },
};
