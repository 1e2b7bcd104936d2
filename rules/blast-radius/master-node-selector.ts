/**
 * blast-radius/master-node-selector — selectors and tolerations that depend on the deprecated
 * `node-role.kubernetes.io/master` node label or taint (RULEBOOK C.4 CRIT-NET-2, E.6 Reddit Pi-Day 2023).
 *
 * kubeadm 1.24 removes the label `node-role.kubernetes.io/master` from control-plane nodes when it
 * upgrades them (kubernetes/kubernetes#107533, KEP-2067), taints them `node-role.kubernetes.io/control-plane:
 * NoSchedule` from 1.24 on, and drops the `master` taint in 1.25. Anything that finds control-plane nodes by
 * the old label finds none after the upgrade.
 *
 * A state rule. Each selection is evaluated with three-valued logic (matches / does not / unknown) against
 * three node models: a control-plane node before the upgrade (both role labels), the same node after it
 * (`control-plane` only) and a worker (neither); every other label is unknown, and label values are unknown
 * (kubeadm writes `""`, k3s and RKE2 `"true"`). A selection *loses* control-plane nodes when it may match
 * one before and surely matches none after; it *selects nowhere* when, in addition, it surely matches no
 * worker.
 * - high (`nodeSelector`, `affinity`): a workload's pod template (any kind `podSpecOf` knows) whose
 *   `nodeSelector`, or whose required node affinity (nodeSelectorTerms ORed), selects nowhere after the
 *   upgrade: new pods stay Pending and a DaemonSet's pods are deleted;
 * - high (`bgp-peer:nodeSelector`, `bgp-peer:peerSelector`): a Calico `BGPPeer` whose selector (Calico
 *   selector syntax) selects nowhere, or a Cilium `CiliumBGPPeeringPolicy` / `CiliumBGPClusterConfig`
 *   `nodeSelector` (a label selector) that does: BGP sessions are torn down and routes withdrawn;
 * - medium (same keys): the selection only loses control-plane nodes (it still matches workers), and
 *   (`preferred-affinity`) preferred node affinity that loses them (pods still schedule, elsewhere);
 * - medium / low (`affinity`): required affinity that *excludes* control-plane nodes by the old label
 *   (`master DoesNotExist` / `NotIn`): after the upgrade it excludes nothing; medium when the pods also
 *   tolerate the control-plane taint and need no pool label (they will land there), low when only that taint
 *   or a pool label still keeps them off;
 *   the same for a BGP selector (`!has(...)`) is low;
 * - low (`tolerations`): a DaemonSet tolerating the `master` taint but not `node-role.kubernetes.io/control-plane`:
 *   after 1.25 it runs on no control-plane node; medium for any workload whose required selection needs
 *   control-plane nodes (its pods stay Pending there). Other workloads that tolerate only `master` are
 *   quiet: tolerating a taint that no longer exists is harmless, and they never needed control-plane nodes.
 * - quiet: the same selection also accepts `node-role.kubernetes.io/control-plane` (two nodeSelectorTerms
 *   ORed, one per label; `has(a) || has(b)`), or another label keeps it matching.
 *
 * A selection the API server would reject (an unknown operator, a non-string value, an unparsable Calico
 * selector) is quiet: it never takes effect. `matchFields` select by node name only (the API server allows
 * `metadata.name` alone), so they never name a label: they are evaluated as unknown.
 */
import { describeWorkload } from '../../src/agents/kit.js';
import type { StateRule } from '../../src/rule.js';
import { podSpecPath } from '../../src/kube.js';
import {
  and,
  calicoLabels,
  CONTROL_PLANE,
  CP_AFTER,
  CP_BARE,
  evalCalico,
  evalNodeSelector,
  evalPodSelection,
  evalRequired,
  evalRequirement,
  evalTerm,
  MASTER,
  type NodeModel,
  or,
  parseCalicoSelector,
  readPodSelection,
  readTolerations,
  type Term,
  toleratesTaint,
  type Tri,
  type Verdict,
  verdictOf,
  WORKER,
} from '../../src/nodes.js';
import { parseSelector } from '../../src/selector.js';
import { quote } from '../../src/text.js';
import type { KubeObject, Severity, YamlPath } from '../../src/types.js';
import { asList, asMap, asString, getIn } from '../../src/yaml/walk.js';
import { ofKinds } from '../../src/kinds.js';

// ---------------------------------------------------------------------------------------------------------
// The rule
// ---------------------------------------------------------------------------------------------------------

const UPGRADE = `kubeadm removes the label ${quote(MASTER)} from control-plane nodes when it upgrades them to 1.24 (kubernetes/kubernetes#107533)`;
const REMEDIATION = `Select control-plane nodes by ${CONTROL_PLANE} instead of ${MASTER} (or accept both: one nodeSelectorTerm per label, ORed), and tolerate the ${CONTROL_PLANE}:NoSchedule taint.`;
const REMEDIATION_PREFERRED = `Prefer ${CONTROL_PLANE} instead of ${MASTER}, or add a second preference on ${CONTROL_PLANE}.`;
const REMEDIATION_EXCLUDE = `Exclude control-plane nodes with {key: ${CONTROL_PLANE}, operator: DoesNotExist} instead of the ${MASTER} label.`;
const REMEDIATION_TOLERATION = `Add a toleration {key: ${CONTROL_PLANE}, operator: Exists, effect: NoSchedule} next to the ${MASTER} one.`;
const REMEDIATION_BGP = `Select the nodes by ${CONTROL_PLANE} (has(${CONTROL_PLANE})) or by a label of your own that no upgrade removes, and apply it before upgrading any control-plane node.`;
const BREAK_GLASS = `break-glass: re-add the label while the API servers (host network) are still reachable: kubectl label nodes -l ${CONTROL_PLANE} ${MASTER}=`;

/** Kinds with a pod template (those src/kube.ts podSpecPath knows), as own keys. */
const WORKLOAD_PATHS: Readonly<Record<string, true>> = {
  Pod: true, Deployment: true, DaemonSet: true, StatefulSet: true, ReplicaSet: true, ReplicationController: true, Job: true, CronJob: true,
};

/** BGP objects by kind, with the API versions that make them Calico's or Cilium's (MetalLB also has a `BGPPeer`). */
const BGP_KINDS: ReadonlyMap<string, (apiVersion: string) => boolean> = new Map([
  ['BGPPeer', (v: string) => v === 'projectcalico.org/v3' || v === 'crd.projectcalico.org/v1'],
  ['CiliumBGPPeeringPolicy', (v: string) => v.startsWith('cilium.io/')],
  ['CiliumBGPClusterConfig', (v: string) => v.startsWith('cilium.io/')],
]);


interface Report {
  key: string;
  severity: Severity;
  message: string;
  remediation: string;
  path: YamlPath;
}

/** The consequence for a workload's pods when its selection matches no node any more. */
function pendingText(o: KubeObject): string {
  return o.kind === 'DaemonSet'
    ? 'the DaemonSet controller deletes its pods from every node that stops matching, so it runs on no node'
    : o.kind === 'Pod'
      ? 'the pod stays Pending if it is ever recreated'
      : o.kind === 'CronJob' || o.kind === 'Job'
        ? `every pod it creates afterwards stays Pending${o.kind === 'CronJob' ? ', from the next scheduled run on' : ''}`
        : 'running pods stay where they are, but every pod created afterwards (rollout, eviction, node loss) stays Pending';
}

function losesText(o: KubeObject): string {
  return o.kind === 'DaemonSet'
    ? 'the DaemonSet controller deletes its pods from the control-plane nodes'
    : 'new pods no longer land on control-plane nodes';
}

function judgeWorkload(o: KubeObject, spec: Record<string, unknown>, specPath: YamlPath): Report[] {
  const sel = readPodSelection(spec, specPath);
  if (!sel.valid) return [];
  const out: Report[] = [];
  const what = describeWorkload(o);
  const tolerations = readTolerations(spec);
  const toleratesCp = tolerations.some((t) => toleratesTaint(t, CONTROL_PLANE, 'NoSchedule'));

  // nodeSelector: entries are ANDed, so a `master` entry alone decides.
  const masterEntry = sel.nodeSelector?.find((e) => e.key === MASTER);
  if (masterEntry) {
    const v = verdictOf((m) => evalNodeSelector(sel.nodeSelector, m));
    if (v === 'nowhere' || v === 'loses-control-plane') {
      out.push({
        key: 'nodeSelector',
        severity: v === 'nowhere' ? 'high' : 'medium',
        message:
          `nodeSelector of ${what} requires the node label ${quote(MASTER)}: ${UPGRADE}, after which ` +
          (v === 'nowhere' ? `no node matches and ${pendingText(o)}` : `no control-plane node matches and ${losesText(o)}`),
        remediation: REMEDIATION,
        path: masterEntry.path,
      });
    }
  }

  const mentions = (t: Term) => t.requirements.some((r) => r.key === MASTER);
  if (sel.required?.some(mentions)) {
    const v = verdictOf((m) => evalRequired(sel.required, m));
    const first = sel.required.find(mentions)!;
    const req = first.requirements.find((r) => r.key === MASTER)!;
    const written = quote(`${MASTER} ${req.operator}`);
    if (v === 'nowhere' || v === 'loses-control-plane') {
      out.push({
        key: 'affinity',
        severity: v === 'nowhere' ? 'high' : 'medium',
        message:
          `required node affinity of ${what} selects nodes with ${written} and no term accepts ${quote(CONTROL_PLANE)} instead: ${UPGRADE}, after which ` +
          (v === 'nowhere' ? `no node matches and ${pendingText(o)}` : `no control-plane node matches and ${losesText(o)}`),
        remediation: REMEDIATION,
        path: [...req.path, 'key'],
      });
    } else if (v === 'exclusion-lost') {
      // The pods land on control-plane nodes only if they tolerate the taint and are not pinned to a pool label.
      const lands = toleratesCp && evalPodSelection(sel, CP_BARE) !== 'F';
      out.push({
        key: 'affinity',
        severity: lands ? 'medium' : 'low',
        message:
          `required node affinity of ${what} keeps its pods off control-plane nodes with ${written}: ${UPGRADE}, after which the exclusion matches control-plane nodes too` +
          (lands
            ? ` and, since the pods tolerate the ${quote(`${CONTROL_PLANE}:NoSchedule`)} taint, they are scheduled there, competing with kube-apiserver and etcd`
            : toleratesCp
              ? '; only its other node requirements (a label control-plane nodes normally lack) still keep them off'
              : `; only the ${quote(`${CONTROL_PLANE}:NoSchedule`)} taint (kubeadm 1.24 and later) still keeps them off`),
        remediation: REMEDIATION_EXCLUDE,
        path: [...req.path, 'key'],
      });
    }
  }

  // Preferred terms: only those naming either role label take part (a preference for SSDs is no substitute).
  const roleTerms = (sel.preferred ?? []).filter((t) => t.requirements.some((r) => r.key === MASTER || r.key === CONTROL_PLANE));
  if (roleTerms.some(mentions)) {
    const v = verdictOf((m) => or(roleTerms.map((t) => evalTerm(t, m))));
    if (v === 'nowhere' || v === 'loses-control-plane') {
      const req = roleTerms.find(mentions)!.requirements.find((r) => r.key === MASTER)!;
      out.push({
        key: 'preferred-affinity',
        severity: 'medium',
        message:
          `preferred node affinity of ${what} prefers nodes with ${quote(`${MASTER} ${req.operator}`)} and no preference accepts ${quote(CONTROL_PLANE)} instead: ` +
          `${UPGRADE}, after which the preference matches no control-plane node: pods still schedule, but no longer where this preference puts them`,
        remediation: REMEDIATION_PREFERRED,
        path: [...req.path, 'key'],
      });
    }
  }

  // Tolerations of the master taint alone.
  const masterTol = tolerations.find((t) => t.key === MASTER);
  if (masterTol && !toleratesCp) {
    const needsCp = evalPodSelection(sel, WORKER) === 'F' && evalPodSelection(sel, CP_AFTER) !== 'F';
    const taintText =
      `kubeadm taints control-plane nodes ${quote(`${CONTROL_PLANE}:NoSchedule`)} from 1.24 on and drops the ${quote(MASTER)} taint in 1.25`;
    if (needsCp) {
      out.push({
        key: 'tolerations',
        severity: 'medium',
        message:
          `tolerations of ${what} cover only the ${quote(MASTER)} taint, yet its node selection matches no worker (it must run on control-plane nodes): ` +
          `${taintText}, so its pods no longer fit there and stay Pending`,
        remediation: REMEDIATION_TOLERATION,
        path: [...specPath, 'tolerations', masterTol.index, 'key'],
      });
    } else if (o.kind === 'DaemonSet') {
      out.push({
        key: 'tolerations',
        severity: 'low',
        message:
          `tolerations of ${what} cover the ${quote(MASTER)} taint but not ${quote(CONTROL_PLANE)}: ${taintText}, ` +
          'so after the upgrade it runs on no control-plane node (their logs, metrics or node agent go missing)',
        remediation: REMEDIATION_TOLERATION,
        path: [...specPath, 'tolerations', masterTol.index, 'key'],
      });
    }
  }
  return out;
}

/** What the selector picks, for messages. */
const BGP_FIELD_TEXT: Readonly<Record<string, string>> = {
  nodeSelector: 'the nodes that open these BGP sessions',
  peerSelector: 'the peers, typically route reflectors',
};

function bgpConsequence(o: KubeObject, v: Verdict, field: string): string {
  const nowhere = v === 'nowhere';
  let torn: string;
  if (o.kind !== 'BGPPeer') {
    torn = `the Cilium agents on ${nowhere ? 'every node' : 'the control-plane nodes'} it selected stop peering and withdraw the routes they advertise`;
  } else if (field === 'peerSelector') {
    torn = `Calico closes the sessions to ${nowhere ? 'those peers' : 'the control-plane peers'} and drops every route learned over them`;
  } else {
    torn = `Calico closes these BGP sessions on ${nowhere ? 'every node it selected' : 'the control-plane nodes'} and drops every route learned over them`;
  }
  return (
    `after which ${field}, which picks ${BGP_FIELD_TEXT[field] ?? 'the selected nodes'}, matches ${nowhere ? 'no node' : 'no control-plane node'}: ${torn}; ` +
    "when those sessions carry the cluster's pod routes, pod networking fails cluster-wide " +
    `(Reddit, Pi-Day 2023: 314 minutes, after a Calico BGPPeer selected route reflectors by this label); ${BREAK_GLASS}`
  );
}

function judgeBgp(o: KubeObject): Report[] {
  const out: Report[] = [];
  const spec = asMap(o.doc.spec);
  if (!spec) return out;
  const what = o.kind === 'BGPPeer' ? `Calico BGPPeer ${quote(o.name)}` : `${o.kind} ${quote(o.name)}`;
  const fields = o.kind === 'BGPPeer' ? ['nodeSelector', 'peerSelector'] : ['nodeSelector'];
  for (const field of fields) {
    const raw = spec[field];
    let evaluate: ((m: NodeModel) => Tri) | undefined;
    let written: string;
    let path: YamlPath = ['spec', field];
    if (o.kind === 'BGPPeer') {
      if (typeof raw !== 'string' || !raw.includes(MASTER)) continue;
      const ast = parseCalicoSelector(raw);
      if (!ast || !calicoLabels(ast, new Set()).has(MASTER)) continue;
      evaluate = (m) => evalCalico(ast, m);
      written = `spec.${field} ${quote(raw)}`;
    } else {
      if (raw === undefined || raw === null) continue;
      const parsed = parseSelector(raw);
      if (!parsed.ok) continue;
      const req = parsed.requirements.find((r) => r.key === MASTER);
      if (!req) continue;
      evaluate = (m) => and(parsed.requirements.map((r) => evalRequirement(r, m)));
      written = `spec.${field} (${quote(`${MASTER} ${req.operator}`)})`;
      const inLabels = asMap(asMap(raw)?.matchLabels);
      if (inLabels && Object.prototype.hasOwnProperty.call(inLabels, MASTER)) {
        path = ['spec', field, 'matchLabels', MASTER];
        written = `spec.${field}.matchLabels ${quote(MASTER)}`;
      } else {
        const i = asList(asMap(raw)?.matchExpressions).findIndex((e) => asString(getIn(e, ['key'])) === MASTER);
        if (i >= 0) path = ['spec', field, 'matchExpressions', i, 'key'];
      }
    }
    const v = verdictOf(evaluate);
    if (v === 'nowhere' || v === 'loses-control-plane') {
      out.push({
        key: `bgp-peer:${field}`,
        severity: v === 'nowhere' ? 'high' : 'medium',
        message: `${written} of ${what} selects by the node label ${quote(MASTER)}: ${UPGRADE}, ${bgpConsequence(o, v, field)}`,
        remediation: REMEDIATION_BGP,
        path,
      });
    } else if (v === 'exclusion-lost') {
      out.push({
        key: `bgp-peer:${field}`,
        severity: 'low',
        message:
          `${written} of ${what} keeps control-plane nodes out by the node label ${quote(MASTER)}: ${UPGRADE}, ` +
          `after which ${field} matches control-plane nodes too and they join these BGP sessions`,
        remediation: REMEDIATION_BGP,
        path,
      });
    }
  }
  return out;
}

/** The kinds the rule judges: BGP objects and pod-owning workloads. */
const SUBJECTS: readonly string[] = [...BGP_KINDS.keys(), ...Object.keys(WORKLOAD_PATHS)];

export const masterNodeSelector: StateRule = {
  meta: {
    id: 'blast-radius/master-node-selector',
    family: 'blast-radius',
    type: 'state',
    severity: 'high',
    description:
      'Flag pod node selection, node affinity, tolerations and BGP peer selectors that depend on the node-role.kubernetes.io/master label or taint, which kubeadm removes from control-plane nodes on upgrade to 1.24 and 1.25.',
    docs: 'docs/rules/blast-radius/master-node-selector.md',
    remediation: REMEDIATION,
  },
  // Each object is judged from itself alone (src/focus.ts): a change hands over only what it moved.
  focus: { subjects: SUBJECTS, context: [] },
  check(ctx) {
    for (const o of ofKinds(ctx.tree.objects, SUBJECTS)) {
      const bgp = BGP_KINDS.get(o.kind);
      // Own-property check first: podSpecPath reads a plain object, so `kind: constructor` would find a function.
      const specPath = bgp || !Object.hasOwn(WORKLOAD_PATHS, o.kind) ? undefined : podSpecPath(o.kind);
      if (!bgp && !specPath) continue;
      if (ctx.only && !ctx.only.has(o.ref)) continue;
      let reports: Report[];
      if (bgp) {
        if (!bgp(o.apiVersion)) continue;
        reports = judgeBgp(o);
      } else {
        const spec = asMap(getIn(o.doc, specPath!));
        if (!spec) continue;
        reports = judgeWorkload(o, spec, specPath!);
      }
      for (const r of reports) {
        ctx.report({ key: r.key, severity: r.severity, message: r.message, remediation: r.remediation, at: { object: o, path: r.path } });
      }
    }
  },
};
