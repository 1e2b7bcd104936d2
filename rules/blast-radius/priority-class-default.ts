/**
 * blast-radius/priority-class-default — PriorityClasses that change the priority of pods cluster-wide
 * (RULEBOOK C.7 CRIT-PC-1, CRIT-PC-2).
 *
 * Each `PriorityClass` (scheduling.k8s.io v1, v1beta1 or v1alpha1) is judged on its own:
 * - high (`global-default`): `globalDefault: true`. The Priority admission plugin gives its value and
 *   preemptionPolicy to every pod created without a priorityClassName, in every namespace; the message says
 *   the value, the policy (unset: `PreemptLowerPriority`) and what that does relative to the pods already
 *   running (priority 0). When the same deployable unit marks another class as global default too, the
 *   message says so: the admission plugin refuses a second global default, and if both exist the lowest
 *   value wins;
 * - medium (`high-value`): a class whose pods preempt almost everything — value at least
 *   {@link HIGH_VALUE_THRESHOLD} (the top tenth of the user range) with preemptionPolicy
 *   `PreemptLowerPriority` — or a value above {@link HIGHEST_USER_PRIORITY} on a name that is not one of the
 *   two built-in system classes, which the API server rejects (the apply fails);
 * - quiet: `globalDefault: false` or unset; classes below the threshold; high values with
 *   `preemptionPolicy: Never` (they are scheduled first but never evict anything); the built-in
 *   `system-cluster-critical` / `system-node-critical` written into a repository.
 *
 * Kubernetes semantics followed (scheduling/v1 types, the Priority admission plugin):
 * - `value` is an int32; user classes may use -2,147,483,648 … 1,000,000,000; larger values are reserved for
 *   the built-in system classes. A value that is not an integer (a string, a float) fails to decode: such an
 *   object never applies, so it is quiet here;
 * - `globalDefault` is a boolean: only `true` counts (a string `"true"` fails to decode);
 * - `preemptionPolicy` is `PreemptLowerPriority` (the default) or `Never`; any other value is rejected, and is
 *   read as the riskier default here;
 * - adding a global default does not change pods that exist: only pods created afterwards get it.
 */
import type { StateRule } from '../../src/rule.js';
import type { KubeObject } from '../../src/types.js';
import { formatCount } from '../../src/load-model.js';
import { listing, quote } from '../../src/text.js';
import { asString } from '../../src/yaml/walk.js';
import { ofKind } from '../../src/kinds.js';

const KIND = 'PriorityClass';
const API_VERSIONS = new Set(['scheduling.k8s.io/v1', 'scheduling.k8s.io/v1beta1', 'scheduling.k8s.io/v1alpha1']);

/** The highest value a PriorityClass may have unless it is a built-in system class (HighestUserDefinablePriority). */
export const HIGHEST_USER_PRIORITY = 1_000_000_000;
/** From this value on, a preempting class outranks (and may evict) nearly everything: the top tenth of the user range. */
export const HIGH_VALUE_THRESHOLD = 100_000_000;
/** The built-in classes (scheduling/v1 `SystemPriorityClasses`), reconciled by the API server itself. */
const SYSTEM_CLASSES: Readonly<Record<string, number>> = { 'system-cluster-critical': 2_000_000_000, 'system-node-critical': 2_000_001_000 };
const INT32_MIN = -2_147_483_648;
const INT32_MAX = 2_147_483_647;
/** Pods a node runs in the load model's default (fleet.defaults.podsPerNode). */
const PODS_PER_NODE = 30;

const REMEDIATION_DEFAULT =
  'Leave globalDefault false and set priorityClassName on the workloads that need a non-default priority, or roll the new default out to one cluster first and check which workloads it outranks or puts below others.';
const REMEDIATION_HIGH =
  'Use the lowest value that orders the class correctly against your other PriorityClasses, or set preemptionPolicy: Never if its pods only need to be scheduled first.';
const REMEDIATION_INVALID = `Keep the value at or below ${formatCount(HIGHEST_USER_PRIORITY)} (values above are reserved for system-cluster-critical and system-node-critical).`;

/** The value as the API server would decode it: an int32, or undefined (the object never applies). */
function valueOf(o: KubeObject): number | undefined {
  const v = o.doc.value;
  return typeof v === 'number' && Number.isInteger(v) && v >= INT32_MIN && v <= INT32_MAX ? v : undefined;
}

/** The preemption policy in force, and whether it was written. */
function policyOf(o: KubeObject): { policy: 'PreemptLowerPriority' | 'Never'; written: string | undefined } {
  const written = asString(o.doc.preemptionPolicy);
  return { policy: written === 'Never' ? 'Never' : 'PreemptLowerPriority', written };
}

function policyText(p: ReturnType<typeof policyOf>): string {
  if (p.written === undefined) return `preemptionPolicy ${quote(p.policy)} (unset: the default)`;
  if (p.written !== p.policy) return `preemptionPolicy ${quote(p.written)} (not a valid value; read as the default ${quote(p.policy)})`;
  return `preemptionPolicy ${quote(p.policy)}`;
}

/** A class the API server would accept with this value (user range, or a built-in system class). */
function acceptedValue(o: KubeObject, value: number): boolean {
  return value <= HIGHEST_USER_PRIORITY || SYSTEM_CLASSES[o.name] === value;
}

/** What a global default with this value and policy does to pods created from now on. */
function defaultEffect(value: number, preempts: boolean): string {
  const v = formatCount(value);
  if (value > 0) {
    const base = `they outrank every pod created before it (priority 0) and every class valued below ${v}`;
    return preempts
      ? `${base}, and on a full node the scheduler evicts lower-priority pods to place them, so one rollout can preempt running workloads across the cluster`
      : `${base} in the scheduling queue, but never evict anything`;
  }
  if (value < 0) {
    return `they rank below every pod created before it (priority 0): on a full node they stay Pending, and they are the first pods evicted for any higher-priority pod`;
  }
  return preempts
    ? 'that is the priority and policy such pods had anyway, so scheduling does not change, but the admission plugin now writes this class into every such pod (a ResourceQuota scoped to the class starts counting them)'
    : 'that is the priority such pods had anyway, but they no longer preempt lower-priority pods';
}

export const priorityClassDefault: StateRule = {
  meta: {
    id: 'blast-radius/priority-class-default',
    family: 'blast-radius',
    type: 'state',
    severity: 'high',
    description:
      'Flag PriorityClasses marked globalDefault (their priority goes to every pod without a priorityClassName, cluster-wide) and preempting classes with a very high or invalid value.',
    docs: 'docs/rules/blast-radius/priority-class-default.md',
    remediation: REMEDIATION_DEFAULT,
  },
  check(ctx) {
    const classes = ofKind(ctx.tree.objects, KIND).filter((o) => API_VERSIONS.has(o.apiVersion));
    if (classes.length === 0) return;
    // Global defaults that would apply, by unit (first copy of each ref only).
    const defaultsByUnit = new Map<string, KubeObject[]>();
    for (const o of classes) {
      const value = valueOf(o);
      if (o.doc.globalDefault !== true || value === undefined || !acceptedValue(o, value)) continue;
      const list = defaultsByUnit.get(o.unit) ?? defaultsByUnit.set(o.unit, []).get(o.unit)!;
      if (!list.some((x) => x.ref === o.ref)) list.push(o);
    }
    const done = new Set<string>();
    for (const o of classes) {
      if (ctx.only && !ctx.only.has(o.ref)) continue;
      // A unit made of unrelated files can hold copies of one class: one cluster holds one object per name.
      const id = `${o.unit}\u0000${o.ref}`;
      if (done.has(id)) continue;
      done.add(id);
      const value = valueOf(o);
      if (value === undefined) continue;
      const name = quote(o.name);
      const system = Object.prototype.hasOwnProperty.call(SYSTEM_CLASSES, o.name);
      const p = policyOf(o);
      const preempts = p.policy === 'PreemptLowerPriority';

      if (!acceptedValue(o, value)) {
        ctx.report({
          key: 'high-value',
          severity: 'medium',
          message:
            `value ${formatCount(value)} of PriorityClass ${name} is above ${formatCount(HIGHEST_USER_PRIORITY)}, the highest a class other than ` +
            `system-cluster-critical and system-node-critical may have: the API server rejects it, so every apply of the manifests holding it fails ` +
            `and no pod can use it`,
          remediation: REMEDIATION_INVALID,
          at: { object: o, path: ['value'] },
        });
        continue;
      }

      if (o.doc.globalDefault === true) {
        const others = (defaultsByUnit.get(o.unit) ?? []).filter((x) => x.ref !== o.ref);
        let second = '';
        if (others.length > 0) {
          const values = [value, ...others.map((x) => valueOf(x)!)];
          const lowest = Math.min(...values);
          second =
            `; the same deployment also marks ${listing(others.map((x) => `PriorityClass ${quote(x.name)} (value ${formatCount(valueOf(x)!)})`))} as global default: ` +
            `the API server admits only one, so whichever is applied second is rejected, and if several exist the lowest value (${formatCount(lowest)}) wins`;
        }
        // Value 0 with the default policy is what such pods had anyway: worth knowing (quotas scoped to the
        // class start counting them), not a risk.
        const harmless = value === 0 && preempts && others.length === 0;
        ctx.report({
          key: 'global-default',
          severity: harmless ? 'low' : 'high',
          message:
            `globalDefault: true makes PriorityClass ${name} the global default: every pod created without a priorityClassName, in every namespace, ` +
            `gets priority ${formatCount(value)} and ${policyText(p)} — about ${PODS_PER_NODE} pods a node, every pod of a cluster of N nodes up to ${PODS_PER_NODE}·N; ` +
            `${defaultEffect(value, preempts)}; pods that exist keep their priority, so the change spreads as workloads are recreated${second}`,
          remediation: REMEDIATION_DEFAULT,
          at: { object: o, path: ['globalDefault'] },
        });
      }

      if (!system && preempts && value >= HIGH_VALUE_THRESHOLD) {
        const ceiling = value === HIGHEST_USER_PRIORITY ? ', and it sits at the ceiling of user classes, so no class can ever be put above it' : '';
        ctx.report({
          key: 'high-value',
          severity: 'medium',
          message:
            `value ${formatCount(value)} of PriorityClass ${name}, with ${policyText(p)}: its pods outrank every pod without a class (0) and every ` +
            `lower class, and on a full node the scheduler evicts those to place them, on every node of the cluster; only system-cluster-critical ` +
            `(2,000,000,000) and system-node-critical (2,000,001,000) rank above it${ceiling}`,
          remediation: REMEDIATION_HIGH,
          at: { object: o, path: ['value'] },
        });
      }
    }
  },
};
