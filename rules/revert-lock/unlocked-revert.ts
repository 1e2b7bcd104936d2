/**
 * revert-lock/unlocked-revert — the pull request is itself a revert of a config change, and no lock keeps
 * the reverted config from coming back while its cause is investigated (issue 7: the first fix after the
 * 2024-12-11 outage was to lock the bad telemetry config).
 *
 * A change rule over the pull request's own commits (src/history.ts): each commit that reverts a commit
 * which changed Kubernetes objects. The objects the revert undid are covered when a lock matches them — of
 * the base's config (in force) or of the pull request's own `.blast-radius.yml` (a lock added with the
 * revert counts: it takes effect when the revert merges). Uncovered objects get one low finding per revert,
 * with a ready-to-paste lock entry per object (one line each, valid YAML under `locks:`).
 *
 * Quiet when every reverted object is locked, and for reverts that undid no Kubernetes object (a values file,
 * a README): locks match objects only.
 */
import { lockEntry, lockMatches, type Locked } from '../../src/locks.js';
import { CONFIG_FILE } from '../../src/config.js';
import { overrideLabel } from '../../src/engine.js';
import { objectOf } from '../../src/revert-match.js';
import { treeTargets, type Site } from '../../src/revert.js';
import { isClusterScoped } from '../../src/kube.js';
import type { ChangeContext, ChangeRule } from '../../src/rule.js';
import { cmp } from '../../src/util.js';
import { objectRef } from '../../src/yaml/parse.js';
import { listing } from '../../src/text.js';
import { commitText, shortSha } from './reapplied-revert.js';
import { ofKind } from '../../src/kinds.js';

/** Objects listed by name in a message; the rest are counted. */
const LISTED = 5;

export const unlockedRevert: ChangeRule = {
  meta: {
    id: 'revert-lock/unlocked-revert',
    family: 'revert-lock',
    type: 'change',
    severity: 'low',
    description: 'Flag a pull request that reverts a config change without a lock in .blast-radius.yml to keep the reverted config from coming back.',
    docs: 'docs/rules/revert-lock/unlocked-revert.md',
    remediation: 'Add a lock for the reverted objects to .blast-radius.yml (in this pull request or right after it) and remove it once the cause is fixed.',
  },
  check(ctx) {
    const locks = [...ctx.config.locks, ...(ctx.proposedConfig?.locks ?? [])];
    for (const record of ctx.history.reverts) {
      if (!record.inPr) continue;
      // The reverted objects, each in the namespace it is deployed in: as written, else the one its
      // deployable units give it (a Kustomize `namespace:`), on either side.
      const objects = new Map<string, Locked & { ref: string; site: Site }>();
      const seen = new Set<string>();
      for (const site of record.sites) {
        if (!site.ref || !site.kind || !site.name || seen.has(`${site.file}\u0000${site.target}`)) continue;
        seen.add(`${site.file}\u0000${site.target}`);
        const namespaces = site.namespace !== null || isClusterScoped(site.kind) ? [site.namespace] : deployedNamespaces(ctx, site);
        for (const namespace of namespaces) {
          const ref = objectRef(site.kind, namespace, site.name);
          if (!objects.has(ref)) objects.set(ref, { kind: site.kind, namespace, name: site.name, ref, site });
        }
      }
      const open = [...objects.values()].filter((o) => !locks.some((l) => lockMatches(l, o)));
      if (open.length === 0) continue;
      const sha = shortSha(record.original);
      const ids = open.map((_, i) => (open.length === 1 ? `revert-${sha}` : `revert-${sha}-${i + 1}`));
      const reason = `Reverted in ${shortSha(record.revert)}: ${record.original.subject}`.slice(0, 200);
      const entries = open.map((o, i) => lockEntry(ids[i], reason, o));
      const names = open.slice(0, LISTED).map((o) => o.ref);
      const more = open.length > LISTED ? ` and ${open.length - LISTED} more` : '';
      // On the first uncovered object: its head document (a reverted edit), else its base one (a reverted addition).
      const first = open[0].site;
      const where = (side: 'head' | 'base') => {
        const tree = side === 'head' ? ctx.head : ctx.base;
        const inFile = treeTargets(tree).inFile(first.file).find((t) => t.id === first.target);
        const object = inFile && objectOf(tree, inFile);
        return object ? { object, side } : undefined;
      };
      const found = where('head') ?? where('base');
      ctx.report({
        key: record.revert.sha,
        message:
          `this pull request reverts ${commitText(record.original)} in ${commitText(record.revert)}, a config change to ${listing(names)}${more}, ` +
          `and no lock in ${CONFIG_FILE} keeps it from being re-applied while the cause is investigated; a lock fails the check on any later change to ` +
          `${open.length === 1 ? 'that object' : 'those objects'} until it is removed or a pull request carries its override label (${overrideLabel(ids[0])}); ` +
          `to add ${open.length === 1 ? 'it' : 'them'}, paste under \`locks:\` in ${CONFIG_FILE}:\n${entries.join('\n')}`,
        remediation: `Paste the lock ${open.length === 1 ? 'entry' : 'entries'} above under \`locks:\` in ${CONFIG_FILE}, in this pull request or right after it, and remove ${open.length === 1 ? 'it' : 'them'} once the cause of the revert is fixed.`,
        ...(found
          ? { at: { object: found.object, path: ['metadata', 'name'] }, ...(found.side === 'base' ? { about: found.object } : {}), clusters: [...ctx.fleet.clustersOfFile(found.object.file, found.side)] }
          : { file: first.file, line: 1, clusters: [...ctx.fleet.clustersOfFile(first.file, 'head')] }),
        data: { revert: record.revert.sha, original: record.original.sha, locks: entries },
      });
    }
  },
};

/** The namespaces the units of either side deploy a namespace-less object of a file in (null when none is known). */
function deployedNamespaces(ctx: ChangeContext, site: Site): Array<string | null> {
  const out = new Set<string | null>();
  for (const tree of [ctx.head, ctx.base]) {
    for (const o of site.kind === null ? [] : ofKind(tree.objects, site.kind)) {
      const source = o.source ?? o;
      if (source.file === site.file && o.name === site.name) out.add(o.namespace);
    }
  }
  return out.size ? [...out].sort((a, b) => cmp(a ?? '', b ?? '')) : [null];
}
