/**
 * canary/unguarded-change — a pod-template change that nothing guards: hidden by `OnDelete`, or shipped in
 * a container without a readiness probe (RULEBOOK D.1 ROLL-W-3; issue 6 "updateStrategy: OnDelete hiding a
 * change", "no readiness probe on a container the PR changes").
 *
 * A change rule, for workloads the pull request modifies (DaemonSet, StatefulSet, Deployment), per
 * deployable unit, copies of one object (`Kind/namespace/name`) together:
 * - `on-delete`: a DaemonSet or StatefulSet whose `updateStrategy.type` is `OnDelete` on the head gets a new
 *   pod template: nothing rolls at merge, pods take it whenever they happen to be deleted (a node drain, an
 *   eviction), so the change looks shipped while no pod runs it, and fails later, in no stage order;
 * - `no-readiness:<container>`: a container whose spec the PR changes (matched by name) has no
 *   `readinessProbe`: the rolling update counts its pods ready as soon as they start, so a broken version
 *   rolls through every pod (`maxUnavailable` never holds it back).
 * Low; medium when the object's changed copies reach more than half of the fleet's nodes. Added workloads
 * are canary/workload-strategy's (a state rule judges their configuration). Promotions are quiet (the
 * clusters where a change only takes what an earlier stage runs do not count), and a missing readiness
 * probe in a change confined to the earliest stage is that stage doing its job.
 */
import { changedPairs, sameValue } from '../../src/changes.js';
import { describeWorkload } from '../../src/agents/kit.js';
import { podSpecPath } from '../../src/kube.js';
import { liveClusters, rolloutOf } from '../../src/rollout.js';
import { reachOf, reachText } from '../../src/reach.js';
import type { ChangeContext, ChangeRule } from '../../src/rule.js';
import type { KubeObject, Severity, YamlPath } from '../../src/types.js';
import { quote } from '../../src/text.js';
import { asList, asMap, asString, getIn } from '../../src/yaml/walk.js';

const KINDS: ReadonlySet<string> = new Set(['DaemonSet', 'StatefulSet', 'Deployment']);

const REMEDIATION_ON_DELETE =
  'Roll the change out deliberately after the merge (delete the pods node pool by node pool, or switch to RollingUpdate with maxUnavailable 1), and watch the first nodes before the rest.';
const REMEDIATION_READINESS = 'Add a readinessProbe to the container so the rolling update waits for each new pod to serve before it replaces the next.';

interface Finding {
  key: string;
  object: KubeObject;
  path: YamlPath;
  text: (reach: string) => string;
  remediation: string;
  clusters: Set<string>;
}

/** The containers (and init containers) of a pod spec by name. */
function containersOf(o: KubeObject): Map<string, { c: Record<string, unknown>; path: YamlPath }> {
  const spec = podSpecPath(o.kind)!;
  const out = new Map<string, { c: Record<string, unknown>; path: YamlPath }>();
  asList(getIn(o.doc, [...spec, 'containers'])).forEach((raw, i) => {
    const c = asMap(raw);
    const name = asString(c?.name);
    if (c && name) out.set(name, { c, path: [...spec, 'containers', i, 'name'] });
  });
  return out;
}

export const unguardedChange: ChangeRule = {
  meta: {
    id: 'canary/unguarded-change',
    family: 'canary',
    type: 'change',
    severity: 'low',
    description:
      'Flag pod-template changes that nothing guards: hidden by updateStrategy OnDelete (nothing rolls at merge), or in a container without a readiness probe (the rollout cannot stop on a broken version).',
    docs: 'docs/rules/canary/unguarded-change.md',
    remediation: REMEDIATION_READINESS,
  },
  check(ctx: ChangeContext) {
    const found = new Map<string, Finding>();
    const add = (f: Omit<Finding, 'clusters'>, clusters: readonly string[]) => {
      const id = `${f.object.ref}\u0000${f.key}`;
      const known = found.get(id) ?? found.set(id, { ...f, clusters: new Set() }).get(id)!;
      for (const c of clusters) known.clusters.add(c);
    };
    // The clusters of each change where it is not a promotion (what an earlier stage already runs, and
    // ran there unguarded too, is quiet, as for every canary rule).
    const live = new Map(rolloutOf(ctx).changes.map((c) => [c.pair, liveClusters(c)] as const));
    const earliest = Math.min(...ctx.fleet.clusters.filter((c) => !c.implicit).map((c) => c.stageIndex));
    for (const pair of changedPairs(ctx.base, ctx.head, KINDS)) {
      const { base, head } = pair;
      if (!base || !head) continue;
      const template = podSpecPath(head.kind)!.slice(0, -1);
      if (sameValue(getIn(base.doc, template), getIn(head.doc, template))) continue;
      const clusters = live.get(pair) ?? [];
      if (clusters.length === 0) continue;
      // The earliest stage is where a broken version is meant to show: an unguarded change confined to it is
      // the canary doing its job (a hidden OnDelete change is not: the canary never runs it).
      const firstStageOnly = clusters.every((n) => ctx.fleet.cluster(n)?.stageIndex === earliest);
      const what = describeWorkload(head);
      if (head.kind !== 'Deployment' && asString(getIn(head.doc, ['spec', 'updateStrategy', 'type'])) === 'OnDelete') {
        add(
          {
            key: 'on-delete',
            object: head,
            path: ['spec', 'updateStrategy', 'type'],
            remediation: REMEDIATION_ON_DELETE,
            text: (reach) =>
              `the pod template of ${what} changes, but its updateStrategy is OnDelete: nothing rolls at merge (${reach}), and each pod takes the change whenever it happens to be deleted (a node drain, an eviction, a reboot), so the change looks shipped while no pod runs it yet and fails later, in no stage order`,
          },
          clusters,
        );
        continue; // nothing rolls: readiness does not gate anything yet
      }
      if (firstStageOnly) continue;
      const before = containersOf(base);
      for (const [name, { c, path }] of containersOf(head)) {
        const old = before.get(name);
        if (old && sameValue(old.c, c)) continue;
        if (asMap(c.readinessProbe)) continue;
        add(
          {
            key: `no-readiness:${name}`,
            object: head,
            path,
            remediation: REMEDIATION_READINESS,
            text: (reach) =>
              `container ${quote(name)} of ${what} ${old ? 'changes' : 'is added'} without a readinessProbe (${reach}): the rolling update counts each new pod ready as soon as it starts, so a broken version replaces every pod and the rollout never stops on it`,
          },
          clusters,
        );
      }
    }
    const total = ctx.fleet.totalNodes;
    for (const f of found.values()) {
      const reach = reachOf(ctx.fleet, f.clusters);
      if (reach.clusters.length === 0) continue;
      const known = reach.clusters.filter((c) => !c.implicit).reduce((n, c) => n + c.nodes, 0);
      const severity: Severity = total > 0 && known * 2 > total ? 'medium' : 'low';
      ctx.report({
        key: f.key,
        severity,
        message: f.text(reachText(reach)),
        remediation: f.remediation,
        at: { object: f.object, path: f.path },
        clusters: reach.clusters.map((c) => c.name),
      });
    }
  },
};
