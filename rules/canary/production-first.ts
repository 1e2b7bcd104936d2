/**
 * canary/production-first — a change that lands in the last stage (production) and in no earlier stage,
 * while no earlier stage runs it on the base: production is the first place it runs (RULEBOOK D.3
 * ROLL-D-3; issue 6).
 *
 * A change rule over the pull request as a whole (src/rollout.ts). Only in fleets with a known cluster
 * before the last stage (with no earlier stage there is nothing to go through first; fleet-wide-push still
 * applies).
 * - medium (`production-first`): every cluster the content changes reach (promotions left out) is in the
 *   last stage; the message names the clusters, their nodes, the earlier stages it skipped and the objects;
 * - low: the same only through objects that progressive delivery gates (an Argo Rollouts `Rollout` with
 *   canary steps, a Flagger `Canary`): the controller canaries it inside each production cluster.
 * A **promotion** (production receives exactly what an earlier stage already runs on the base) is quiet;
 * so are changes that reach an earlier stage (stages-in-one-pr judges those together with production),
 * a staging-only change, metadata-only edits, and deletions (a production-only object can only be removed
 * there; blast-radius/deletion judges what is removed).
 */
import { anchorOf, gatesText, liveClusters, nodesOf, objectsText, rolloutOf, stagesByObject, stagesOf, stagesText, type RolloutChange } from '../../src/rollout.js';
import type { ChangeContext, ChangeRule } from '../../src/rule.js';
import { clusterText } from '../../src/reach.js';
import { quote } from '../../src/text.js';
import { cmp } from '../../src/util.js';

const REMEDIATION =
  'Make the change in the earliest stage first (its overlay or cluster folder), and bring it to production in a later pull request that copies exactly what that stage ran.';

export const productionFirst: ChangeRule = {
  meta: {
    id: 'canary/production-first',
    family: 'canary',
    type: 'change',
    severity: 'medium',
    description:
      'Flag pull requests whose changes land in production clusters only while no earlier stage runs them on the base (promotions are quiet), with the clusters and node counts.',
    docs: 'docs/rules/canary/production-first.md',
    remediation: REMEDIATION,
  },
  check(ctx: ChangeContext) {
    const view = rolloutOf(ctx);
    if (view.earlier.length === 0 || view.prod.length === 0) return;
    // Judged per object: the objects whose every live cluster (their deletions elsewhere included) is in
    // the last stage. Another object of the same pull request changed in an earlier stage does not count.
    const objects = stagesByObject(ctx.fleet, view.changes);
    const prodOnlyRefs = new Set(
      [...objects].filter(([, e]) => e.stages === 1 && e.changes.flatMap(liveClusters).every((n) => ctx.fleet.cluster(n)?.stageIndex === view.lastStage)).map(([ref]) => ref),
    );
    const live = view.changes.filter((c) => prodOnlyRefs.has(c.object.ref) && c.status !== 'deleted' && liveClusters(c).length > 0);
    const ungated = live.filter((c) => !c.gatedBy);
    const deleted = view.changes.filter((c) => prodOnlyRefs.has(c.object.ref) && c.status === 'deleted');
    const prodOnly = (cs: readonly RolloutChange[]) => {
      const stages = stagesOf(ctx.fleet, [...cs, ...deleted].flatMap(liveClusters));
      return cs.length > 0 && stages.length === 1 && stages[0].stageIndex === view.lastStage ? stages[0] : undefined;
    };

    let behind = ungated;
    let stage = prodOnly(ungated);
    const gated = !stage;
    if (!stage) {
      behind = live;
      stage = prodOnly(live);
      if (!stage) return;
    }
    const clusters = stage.clusters;
    const earlier = stagesOf(ctx.fleet, view.earlier.map((c) => c.name));
    let message =
      `this change reaches only the last stage, ${quote(stage.stage)}: ${clusters.map(clusterText).join(', ')}${clusters.length > 1 ? ` (${nodesOf(clusters)} in all)` : ''}, and no earlier stage runs it on the base ` +
      `(${stagesText(earlier)}), so production is the first place it runs; changed: ${objectsText(behind)}`;
    if (gated) {
      message += `; progressive delivery gates it inside each cluster (${gatesText(behind)}): the controller shifts traffic in steps and can stop it, so this is at most low`;
    }
    ctx.report({
      key: 'production-first',
      severity: gated ? 'low' : 'medium',
      message,
      ...anchorOf(behind, clusters.map((c) => c.name), ctx),
      clusters: clusters.map((c) => c.name),
      data: {
        stage: stage.stage,
        nodes: stage.nodes,
        clusters: clusters.map((c) => ({ cluster: c.name, nodes: c.nodes, nodesAssumed: c.nodesAssumed })),
        objects: [...new Set(behind.map((c) => c.object.ref))].sort(cmp),
      },
    });
  },
};
