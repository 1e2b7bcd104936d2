/**
 * blast-radius/tolerate-all-daemonset — DaemonSets whose tolerations have no key and `operator: Exists`,
 * which puts them on control-plane nodes (RULEBOOK C.7 CRIT-TOL-1 / CRIT-TOL-2, C.9 CRIT-HN-2).
 *
 * "If the key is empty, operator must be Exists; this combination means to match all values and all keys"
 * (core/v1 Toleration). With no effect it tolerates every taint; with `effect: NoSchedule` every NoSchedule
 * taint, `node-role.kubernetes.io/control-plane:NoSchedule` (kubeadm 1.24+) included. Either way the pods
 * land on the control-plane nodes and on every node pool kept apart by a taint.
 *
 * A state rule, on objects of kind `DaemonSet`:
 * - medium (`tolerates-all`): a keyless `Exists` toleration with no effect or `NoSchedule`; the message says
 *   which effects it covers, and when the pod template also uses hostNetwork, hostPID or a privileged
 *   container (CRIT-TOL-2, still medium);
 * - high (`tolerates-all`): the same with hostNetwork AND a privileged container, and the DaemonSet (all copies
 *   of one source, across the units that reach it) reaches every cluster of a fleet of two or more
 *   (CRIT-HN-2); reported once with those clusters and their reach;
 * - quiet: kube-proxy and CNI agents (src/critical.ts isNetworkDaemonSet: they must run on every node and are
 *   judged by blast-radius/network-daemonset); a keyless toleration for `NoExecute` or `PreferNoSchedule`
 *   only (no control-plane taint is tolerated); a DaemonSet whose nodeSelector / required node affinity
 *   surely excludes control-plane nodes (`node-role.kubernetes.io/control-plane DoesNotExist`), or surely
 *   targets only them (put there on purpose), or requires a pool / custom label that a control-plane node
 *   carrying only the labels every node has lacks (master-node-selector CP_BARE); a pod template the API
 *   server would reject.
 *
 * An exclusion by the deprecated `node-role.kubernetes.io/master` label does not count: kubeadm removes that
 * label on upgrade to 1.24, so it no longer keeps anything off control-plane nodes (the message says so).
 * DaemonSet pods tolerate the not-ready, unreachable, pressure and unschedulable taints automatically, so
 * what a keyless toleration adds is the control-plane taint and every custom taint.
 */
import type { StateRule } from '../../src/rule.js';
import { isNetworkDaemonSet } from '../../src/critical.js';
import { reachOf, reachText } from '../../src/reach.js';
import { listing, quote } from '../../src/text.js';
import type { KubeObject, YamlPath } from '../../src/types.js';
import { asList, asMap, getIn } from '../../src/yaml/walk.js';
import {
  CONTROL_PLANE,
  CP_AFTER,
  CP_BARE,
  MASTER,
  WORKER,
  evalPodSelection,
  readPodSelection,
  readTolerations,
  verdictOf,
  type Toleration,
} from '../../src/nodes.js';
import { ofKind } from '../../src/kinds.js';

const KIND = 'DaemonSet';
const SPEC_PATH: YamlPath = ['spec', 'template', 'spec'];

const REMEDIATION =
  `Tolerate only the taints the agent needs (for example {key: ${CONTROL_PLANE}, operator: Exists, effect: NoSchedule} when it must run on control-plane nodes), or keep it off control-plane nodes with a required node affinity {key: ${CONTROL_PLANE}, operator: DoesNotExist}.`;
const REMEDIATION_FLEET =
  'Tolerate only the taints the agent needs, drop privileged or hostNetwork where the agent can do without them, and ship it to one cluster before the rest of the fleet.';

/** What one DaemonSet copy does, when it is flagged. */
interface Verdict {
  /** Every keyless Exists toleration, in order. */
  readonly keyless: readonly Toleration[];
  /** The first of them that covers NoSchedule (it gives the line). */
  readonly first: Toleration;
  /** The effects they cover (`''` = every effect). */
  readonly effects: ReadonlySet<string>;
  readonly hostNetwork: boolean;
  readonly hostPID: boolean;
  /** Names of privileged containers, quoted (init containers marked). */
  readonly privileged: readonly string[];
  /** Its node affinity excludes by the master label, which no longer excludes anything. */
  readonly masterExclusion: boolean;
}

function privilegedContainers(spec: Record<string, unknown>): string[] {
  const out: string[] = [];
  for (const [field, suffix] of [['initContainers', ' (init)'], ['containers', '']] as const) {
    for (const c of asList(spec[field])) {
      if (getIn(c, ['securityContext', 'privileged']) !== true) continue;
      const name = getIn(c, ['name']);
      out.push(`${quote(typeof name === 'string' ? name : '?')}${suffix}`);
    }
  }
  return out;
}

function judge(spec: Record<string, unknown>): Verdict | undefined {
  const keyless = readTolerations(spec).filter((t) => t.key === '' && t.operator === 'Exists');
  const first = keyless.find((t) => t.effect === '' || t.effect === 'NoSchedule');
  if (!first) return undefined;
  const sel = readPodSelection(spec, SPEC_PATH);
  if (!sel.valid) return undefined;
  // Surely kept off control-plane nodes, or surely meant only for them: nothing lands there by accident.
  if (evalPodSelection(sel, CP_AFTER) === 'F') return undefined;
  if (evalPodSelection(sel, WORKER) === 'F') return undefined;
  // Pinned to a pool: it requires a label (a pool, a GPU, a custom role) that a control-plane node carrying only
  // the labels every node has lacks. Control-plane nodes rarely carry pool labels; quiet rather than guess.
  if (evalPodSelection(sel, CP_BARE) === 'F') return undefined;
  return {
    keyless,
    first,
    effects: new Set(keyless.map((t) => t.effect)),
    hostNetwork: spec.hostNetwork === true,
    hostPID: spec.hostPID === true,
    privileged: privilegedContainers(spec),
    masterExclusion: verdictOf((m) => evalPodSelection(sel, m)) === 'exclusion-lost',
  };
}

const EFFECT_ORDER = ['NoSchedule', 'PreferNoSchedule', 'NoExecute'];

function tolerationText(t: Toleration): string {
  return t.effect === '' ? '{operator: Exists}' : `{operator: Exists, effect: ${t.effect}}`;
}

function message(o: KubeObject, v: Verdict, fleet?: string): string {
  const name = quote(o.namespace ? `${o.namespace}/${o.name}` : o.name);
  const everyTaint = v.effects.has('') || EFFECT_ORDER.every((e) => v.effects.has(e));
  const covers = everyTaint ? 'every taint' : listing(EFFECT_ORDER.filter((e) => v.effects.has(e)).map((e) => `every ${e} taint`));
  const noExecute = everyTaint || v.effects.has('NoExecute');
  const shown = [...new Set(v.keyless.map(tolerationText))];
  let text =
    `toleration${shown.length === 1 ? '' : 's'} ${listing(shown)} of DaemonSet ${name} ${shown.length === 1 ? 'has' : 'have'} no key, so ` +
    `${shown.length === 1 ? 'it tolerates' : 'together they tolerate'} ${covers}: ` +
    `its pods land on the control-plane nodes (taint ${quote(`${CONTROL_PLANE}:NoSchedule`)}) and on every node pool kept apart by a ` +
    (everyTaint ? 'taint' : 'NoSchedule taint') +
    (noExecute ? ', and no NoExecute taint evicts them' : '') +
    '; on a self-managed control plane (3 or 5 nodes running kube-apiserver and etcd) they compete with both for CPU, memory and disk, ' +
    'and starving 2 of 3 etcd members loses quorum and with it the API of the whole cluster';
  if (v.masterExclusion) {
    text += `; its node affinity keeps off nodes by ${quote(MASTER)}, a label kubeadm removes from control-plane nodes in 1.24, so that exclusion keeps nothing off them`;
  }
  const uses = [v.hostNetwork ? 'hostNetwork' : '', v.hostPID ? 'hostPID' : ''].filter(Boolean);
  if (v.privileged.length > 0) uses.push(`privileged container${v.privileged.length === 1 ? '' : 's'} ${listing([...v.privileged])}`);
  if (uses.length > 0) {
    const reaches = [v.hostNetwork ? 'network' : '', v.hostPID ? 'processes' : '', v.privileged.length > 0 ? 'kernel' : ''].filter(Boolean);
    text += `; it also runs with ${listing(uses)}, so a faulty release acts on the control-plane hosts' ${listing(reaches)} too (RULEBOOK C.7 CRIT-TOL-2)`;
  }
  if (fleet) {
    text +=
      `; with hostNetwork and a privileged container it reaches every cluster of the fleet (${fleet}): ` +
      'one bad rollout can break node networking on every control plane at once (RULEBOOK C.9 CRIT-HN-2)';
  }
  return text;
}

export const tolerateAllDaemonset: StateRule = {
  meta: {
    id: 'blast-radius/tolerate-all-daemonset',
    family: 'blast-radius',
    type: 'state',
    severity: 'medium',
    description:
      'Flag DaemonSets with a keyless operator: Exists toleration that lands them on control-plane nodes (high with hostNetwork and a privileged container across the whole fleet); kube-proxy and CNI agents are exempt.',
    docs: 'docs/rules/blast-radius/tolerate-all-daemonset.md',
    remediation: REMEDIATION,
  },
  // A DaemonSet is judged from itself, its copies in other units and the fleet they reach (src/focus.ts).
  focus: { subjects: [KIND], context: [] },
  check(ctx) {
    // Copies of one source (a shared base under every cluster overlay) with one ref, flagged.
    const groups = new Map<string, Array<{ o: KubeObject; v: Verdict }>>();
    const sourceIds = new Map<KubeObject, number>();
    for (const o of ofKind(ctx.tree.objects, KIND)) {
      if (ctx.only && !ctx.only.has(o.ref)) continue;
      if (isNetworkDaemonSet(o)) continue;
      const spec = asMap(getIn(o.doc, SPEC_PATH));
      if (!spec) continue;
      const v = judge(spec);
      if (!v) continue;
      const source = o.source ?? o;
      if (!sourceIds.has(source)) sourceIds.set(source, sourceIds.size);
      const id = `${sourceIds.get(source)}\u0000${o.ref}`;
      (groups.get(id) ?? groups.set(id, []).get(id)!).push({ o, v });
    }

    for (const copies of groups.values()) {
      const risky = copies.filter(({ v }) => v.hostNetwork && v.privileged.length > 0);
      const clusters = new Set(risky.flatMap(({ o }) => ctx.fleet.clustersOfObject(o, ctx.side)));
      const reach = reachOf(ctx.fleet, clusters);
      const high = risky.length > 0 && reach.wholeFleet;
      if (high) {
        const { o, v } = risky[0];
        ctx.report({
          key: 'tolerates-all',
          severity: 'high',
          message: message(o, v, reachText(reach)),
          remediation: REMEDIATION_FLEET,
          at: { object: o, path: [...SPEC_PATH, 'tolerations', v.first.index, 'operator'] },
          clusters: [...clusters],
        });
      }
      for (const { o, v } of copies) {
        if (high && risky.some((r) => r.o === o)) continue;
        ctx.report({
          key: 'tolerates-all',
          severity: 'medium',
          message: message(o, v),
          at: { object: o, path: [...SPEC_PATH, 'tolerations', v.first.index, 'operator'] },
        });
      }
    }
  },
};
