/**
 * canary/fleet-wide-push — one merge lands a change in half or more of the production clusters (RULEBOOK
 * D.3 ROLL-D-2 "≥ 50 % of prod clusters in one merge"; issue 6).
 *
 * A change rule over the pull request as a whole (src/rollout.ts), only in fleets with two or more known
 * clusters in the last stage.
 * - medium (`fleet-wide`): the content changes (promotions left out) reach half or more of the production
 *   clusters, and at least two of them (one cluster at a time is the staged way, even in a fleet of two); the message gives them with their nodes, how many of the production clusters that is, and the
 *   objects;
 * - low: the same only through objects that progressive delivery gates (an Argo Rollouts `Rollout` with
 *   canary steps, a Flagger `Canary`): the controller canaries it inside each cluster.
 * A **promotion** (production receives exactly what an earlier stage already runs on the base) is quiet, as
 * are metadata-only edits and the implicit cluster `unmapped`. Deletions count: removing an object from
 * every production cluster at once is a fleet-wide push too.
 */
import { anchorOf, gatesText, liveClusters, nodesOf, objectsText, rolloutOf, type RolloutChange } from '../../src/rollout.js';
import type { ChangeContext, ChangeRule } from '../../src/rule.js';
import { clusterText } from '../../src/reach.js';
import { quote } from '../../src/text.js';
import { cmp } from '../../src/util.js';

const REMEDIATION =
  'Roll production one cluster at a time: change the smallest production cluster first (pin the others to the old version in their overlays), and widen it in later pull requests once it runs healthy there.';

export const fleetWidePush: ChangeRule = {
  meta: {
    id: 'canary/fleet-wide-push',
    family: 'canary',
    type: 'change',
    severity: 'medium',
    description:
      'Flag pull requests whose changes land in half or more of the production clusters in one merge (promotions are quiet), with the clusters and node counts.',
    docs: 'docs/rules/canary/fleet-wide-push.md',
    remediation: REMEDIATION,
    // One finding per pull request: when stages-in-one-pr or production-first already speaks about it, their
    // fix (stage it) covers this one too.
    after: ['canary/stages-in-one-pr', 'canary/production-first'],
  },
  check(ctx: ChangeContext) {
    if (ctx.prior.some((f) => f.ruleId === 'canary/stages-in-one-pr' || f.ruleId === 'canary/production-first')) return;
    const view = rolloutOf(ctx);
    const prod = view.prod;
    if (prod.length < 2) return;
    const prodNames = new Set(prod.map((c) => c.name));
    // Deletions are left to blast-radius/deletion (and a prod-only object can only be removed in prod).
    const live = view.changes.filter((c) => c.status !== 'deleted' && liveClusters(c).some((n) => prodNames.has(n)));
    const ungated = live.filter((c) => !c.gatedBy);
    const reached = (cs: readonly RolloutChange[]) => {
      const names = new Set(cs.flatMap(liveClusters).filter((n) => prodNames.has(n)));
      return names.size >= 2 && names.size * 2 >= prod.length ? prod.filter((c) => names.has(c.name)) : undefined;
    };

    let behind = ungated;
    let clusters = reached(ungated);
    const gated = !clusters;
    if (!clusters) {
      behind = live;
      clusters = reached(live);
      if (!clusters) return;
    }
    const stage = prod[0].stage;
    const all = clusters.length === prod.length;
    const ordered = [...clusters].sort((a, b) => a.nodes - b.nodes || cmp(a.name, b.name));
    let message =
      `this change reaches ${all ? (prod.length === 2 ? 'both' : `all ${prod.length}`) : `${clusters.length} of the ${prod.length}`} production clusters (stage ${quote(stage)}) in one merge: ` +
      `${ordered.map(clusterText).join(', ')} (${nodesOf(clusters)} in all); a failure there hits ${all ? 'all of production' : 'half of production or more'} at once, before any production cluster has shown it works; changed: ${objectsText(behind)}`;
    if (gated) {
      message += `; progressive delivery gates it inside each cluster (${gatesText(behind)}): the controller shifts traffic in steps and can stop it, so this is at most low`;
    }
    ctx.report({
      key: 'fleet-wide',
      severity: gated ? 'low' : 'medium',
      message,
      ...anchorOf(behind, clusters.map((c) => c.name), ctx),
      clusters: clusters.map((c) => c.name),
      data: {
        prodClusters: prod.length,
        reached: clusters.length,
        clusters: clusters.map((c) => ({ cluster: c.name, nodes: c.nodes, nodesAssumed: c.nodesAssumed })),
        objects: [...new Set(behind.map((c) => c.object.ref))].sort(cmp),
      },
    });
  },
};
