/**
 * canary/stages-in-one-pr — one merge lands a change in clusters of more than one stage, so the earlier
 * stage gives no signal before the later one runs it (RULEBOOK D.3 ROLL-D-1; issue 6).
 *
 * A change rule over the pull request as a whole (src/rollout.ts): the known clusters its content changes
 * reach, without promotions (a cluster that receives exactly what an earlier stage already runs on the
 * base), grouped by stage.
 * - medium (`stages`): the changes reach two or more stages; the message lists the stages in order with
 *   their clusters (smallest first) and node counts, and the objects;
 * - high: the same, and a live watch-all or blast-radius finding at high or above is about one of the
 *   changed objects (`meta.after`): the change is dangerous at scale and nothing stops it in production;
 * - low: two or more stages only through objects that progressive delivery gates (an Argo Rollouts
 *   `Rollout` with canary steps, a Flagger `Canary`): each cluster stages the change itself.
 * Metadata-only edits, promotions, a change confined to one stage, and the implicit cluster `unmapped`
 * do not count. One finding per pull request (no resource): at the first changed object in an edited file.
 */
import { anchorOf, gatesText, liveClusters, nodesOf, objectsText, rolloutOf, stagesByObject, stagesOf, stagesText, type RolloutChange } from '../../src/rollout.js';
import type { ChangeContext, ChangeRule } from '../../src/rule.js';
import { levelRank, type Severity } from '../../src/types.js';
import { listing, quote } from '../../src/text.js';
import { cmp } from '../../src/util.js';

const REMEDIATION =
  'Split the change: merge it for the earliest stage alone first, and promote it to each later stage in its own pull request once the earlier stage ran it healthy for at least a bake period.';

export const stagesInOnePr: ChangeRule = {
  meta: {
    id: 'canary/stages-in-one-pr',
    family: 'canary',
    type: 'change',
    severity: 'medium',
    description:
      'Flag pull requests whose changes land in clusters of more than one rollout stage in one merge, with the stages, clusters and node counts (high when a watch-all or blast-radius finding at high or above is about a changed object).',
    docs: 'docs/rules/canary/stages-in-one-pr.md',
    remediation: REMEDIATION,
    after: ['watch-all', 'blast-radius'],
  },
  check(ctx: ChangeContext) {
    const view = rolloutOf(ctx);
    // The objects that reach two or more stages themselves (an unrelated object changed in another stage
    // by the same pull request does not make a stages finding).
    const spanning = new Set([...stagesByObject(ctx.fleet, view.changes)].filter(([, e]) => e.stages >= 2).map(([ref]) => ref));
    const live = view.changes.filter((c) => spanning.has(c.object.ref) && liveClusters(c).length > 0);
    const ungated = live.filter((c) => !c.gatedBy);
    const spans = (cs: readonly RolloutChange[]) => stagesOf(ctx.fleet, cs.flatMap(liveClusters));

    let behind = ungated;
    let stages = spans(ungated);
    let gated = false;
    if (stages.length < 2) {
      behind = live;
      stages = spans(live);
      gated = true;
      if (stages.length < 2) return;
    }
    // The objects that make the finding: those reaching a stage (all of them when every change counts).
    const clusters = stages.flatMap((s) => s.clusters);
    const refs = new Set(behind.map((c) => c.object.ref));
    const serious = ctx.prior.filter(
      (f) => !f.suppressed && (f.family === 'watch-all' || f.family === 'blast-radius') && levelRank(f.severity) >= levelRank('high') && f.resource !== null && refs.has(f.resource),
    );
    const rules = [...new Set(serious.map((f) => f.ruleId))].sort(cmp);
    // Without production in reach (dev and staging together), no stage that matters is left unprotected:
    // low (RULEBOOK ROLL-D-1 asks for a production cluster).
    const reachesProd = stages.some((s) => s.clusters.some((c) => c.stageIndex === view.lastStage));
    const severity: Severity = gated || !reachesProd ? 'low' : rules.length > 0 ? 'high' : 'medium';

    const earlier = stages.slice(0, -1).map((s) => quote(s.stage));
    const last = quote(stages[stages.length - 1].stage);
    let message =
      `this change reaches ${stages.length} stages in one merge (${clusters.length} clusters, ${nodesOf(clusters)}): ${stagesText(stages)}; ` +
      `stage${earlier.length === 1 ? '' : 's'} ${listing(earlier)} ${earlier.length === 1 ? 'gets' : 'get'} it at the same time as ${last}, so no earlier stage shows a problem before ${last} runs it; changed: ${objectsText(behind)}`;
    if (gated) {
      message += `; progressive delivery gates it inside each cluster (${gatesText(behind)}), so each cluster still stages it, but no stage has run it before the next starts`;
    } else if (rules.length > 0) {
      message += `; ${listing(rules)} also flag${rules.length === 1 ? 's' : ''} it at high or above, so a failure at scale reaches every stage at once`;
    }
    ctx.report({
      key: 'stages',
      severity,
      message,
      ...anchorOf(behind, clusters.map((c) => c.name), ctx),
      clusters: clusters.map((c) => c.name),
      data: {
        stages: stages.map((s) => ({ stage: s.stage, nodes: s.nodes, clusters: s.clusters.map((c) => ({ cluster: c.name, nodes: c.nodes, nodesAssumed: c.nodesAssumed })) })),
        objects: [...refs].sort(cmp),
        also: rules,
      },
    });
  },
};
