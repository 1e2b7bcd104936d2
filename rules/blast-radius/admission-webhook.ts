/**
 * blast-radius/admission-webhook — fail-closed admission webhooks that can stop a cluster from healing
 * (RULEBOOK C.1, narrowed by the issue that defines this rule).
 *
 * Each `webhooks[i]` of a Validating/MutatingWebhookConfiguration (admissionregistration.k8s.io v1 or
 * v1beta1) is judged on its own:
 * - high (`<webhook>:fail-closed`): it fails closed (failurePolicy `Fail`; the v1 default), is not narrow,
 *   and blocks creation of pods (or node / namespace create and update) with kube-system in reach: while
 *   its backend is down nothing, recovery tooling included, can start pods;
 * - medium (`<webhook>:fail-closed`): fails closed and is not narrow, but only on other resources or
 *   operations, or with kube-system kept out;
 * - medium (`<webhook>:timeout`): a fail-closed, non-narrow webhook waits more than 5 s (unset means 10 s
 *   in v1, 30 s in v1beta1);
 * - quiet: fail-open (`Ignore`; the v1beta1 default) or narrow (opt-in namespaceSelector / objectSelector).
 *
 * Kubernetes semantics followed (admissionregistration/v1 types and the webhook rule matcher):
 * - a rule resource `pods/*` matches pods and all their subresources, `*` every resource but no
 *   subresource, `*\/*` everything; a subresource alone (`pods/exec`) does not match pods;
 * - `scope: Namespaced` excludes nodes and namespaces, `scope: Cluster` excludes pods, any other value is `*`;
 * - the namespaceSelector is evaluated against a Namespace object's own labels when the request is about a
 *   namespace, and never applies to other cluster-scoped objects: it cannot narrow a webhook on nodes;
 * - an empty rules list, or a rule with an empty apiGroups / apiVersions / resources / operations list,
 *   matches nothing (and the API server would reject such a rule anyway);
 * - matchConditions (CEL) are not evaluated: they can only narrow, so this rule may over-report a webhook
 *   whose matchConditions keep kube-system out (the message says so; the ignore annotation is for that).
 */
import { labelsOf } from '../../src/kube.js';
import type { StateContext, StateRule } from '../../src/rule.js';
import { isEmptySelector, matchesSelector, parseSelector } from '../../src/selector.js';
import type { KubeObject, Severity, YamlPath } from '../../src/types.js';
import { asList, asMap, asString, getIn, asStrings } from '../../src/yaml/walk.js';
import { listing, quote } from '../../src/text.js';
import { ofKindInUnit, ofKinds } from '../../src/kinds.js';

const API_GROUP = 'admissionregistration.k8s.io';
const KINDS = new Set(['ValidatingWebhookConfiguration', 'MutatingWebhookConfiguration']);

/** Defaults that differ between the API versions (webhook API reference of each version). */
const DEFAULTS: Readonly<Record<string, { failurePolicy: 'Fail' | 'Ignore'; timeoutSeconds: number }>> = {
  [`${API_GROUP}/v1`]: { failurePolicy: 'Fail', timeoutSeconds: 10 },
  [`${API_GROUP}/v1beta1`]: { failurePolicy: 'Ignore', timeoutSeconds: 30 },
};

/** Above this a fail-closed webhook holds requests too long (RULEBOOK C.1 CRIT-WH-3: "> 5"). */
export const MAX_TIMEOUT_SECONDS = 5;

/** kube-system as the API server labels it (`kubernetes.io/metadata.name` is set on every namespace since 1.21). */
const NAME_LABEL = 'kubernetes.io/metadata.name';
/** An ordinary namespace nobody labelled: a webhook that does not select it is opt-in (narrow). */
const ORDINARY_NAMESPACE: Readonly<Record<string, string>> = { [NAME_LABEL]: 'some-namespace' };
const NO_LABELS: Readonly<Record<string, string>> = {};

const OPERATIONS = new Set(['CREATE', 'UPDATE', 'DELETE', 'CONNECT', '*']);

/** The requests whose rejection stops a cluster from healing, by what they are about. */
type Critical = 'pods' | 'nodes' | 'namespaces';

interface CriticalRequest {
  readonly what: Critical;
  readonly resource: string;
  readonly subresource: string;
  readonly namespaced: boolean;
  /** Operations on it that, rejected, keep pods (nodes, namespaces) from being created or started. */
  readonly blocking: readonly string[];
}

// Pod subresources: only `binding` (the scheduler's CREATE: without it no new pod is ever scheduled) and
// `status` (the kubelet's UPDATE: without it no new pod is reported running or ready) stand between a pod
// and a working replacement. exec, attach, portforward, proxy, log, eviction, ephemeralcontainers and resize
// do not keep a pod from starting: a webhook on them alone counts as "other resources" (medium).
const CRITICAL_REQUESTS: readonly CriticalRequest[] = [
  { what: 'pods', resource: 'pods', subresource: '', namespaced: true, blocking: ['CREATE', 'UPDATE'] },
  { what: 'pods', resource: 'pods', subresource: 'binding', namespaced: true, blocking: ['CREATE'] },
  { what: 'pods', resource: 'pods', subresource: 'status', namespaced: true, blocking: ['UPDATE'] },
  { what: 'nodes', resource: 'nodes', subresource: '', namespaced: false, blocking: ['CREATE', 'UPDATE'] },
  { what: 'namespaces', resource: 'namespaces', subresource: '', namespaced: false, blocking: ['CREATE', 'UPDATE'] },
];

const REMEDIATION_KUBE_SYSTEM =
  'Exclude kube-system and kube-node-lease with a namespaceSelector matchExpressions entry {key: kubernetes.io/metadata.name, operator: NotIn, values: [kube-system, kube-node-lease]}, or set failurePolicy: Ignore and validate the final state instead.';
const REMEDIATION_NODES =
  'Set failurePolicy: Ignore and validate the final state, or drop nodes from the rules (a namespaceSelector never applies to nodes).';
const REMEDIATION_MEDIUM =
  'Set failurePolicy: Ignore and validate the final state, or limit the webhook to the namespaces that need it with a namespaceSelector and run its backend with at least 2 replicas and a PodDisruptionBudget.';
const REMEDIATION_TIMEOUT = `Set timeoutSeconds to ${MAX_TIMEOUT_SECONDS} or less so a hung backend fails fast.`;

/** One `rules[]` entry, read defensively. */
interface WebhookRule {
  groups: string[];
  versions: string[];
  resources: string[];
  operations: string[];
  scope: string;
}

function readRules(webhook: Record<string, unknown>): WebhookRule[] {
  return asList(webhook.rules)
    .map(asMap)
    .filter((r): r is Record<string, unknown> => r !== undefined)
    .map((r) => ({
      groups: asStrings(r.apiGroups),
      versions: asStrings(r.apiVersions),
      resources: asStrings(r.resources),
      operations: asStrings(r.operations).filter((o) => OPERATIONS.has(o)),
      scope: asString(r.scope) ?? '*',
    }));
}

/** True when a rule's `resources` entry (`res` or `res/sub`, with `*`) covers resource/subresource. */
function resourceMatches(entry: string, resource: string, subresource: string): boolean {
  const slash = entry.indexOf('/');
  const res = slash < 0 ? entry : entry.slice(0, slash);
  const sub = slash < 0 ? '' : entry.slice(slash + 1);
  return (res === '*' || res === resource) && (sub === '*' || sub === subresource);
}

/** The blocking operations of a critical request that a rule sends to the webhook (empty when none). */
function blockingOpsMatched(rule: WebhookRule, req: CriticalRequest): string[] {
  if (!rule.groups.some((g) => g === '' || g === '*')) return [];
  if (!rule.versions.some((v) => v === 'v1' || v === '*')) return [];
  if (rule.scope === 'Namespaced' && !req.namespaced) return [];
  if (rule.scope === 'Cluster' && req.namespaced) return [];
  if (!rule.resources.some((e) => resourceMatches(e, req.resource, req.subresource))) return [];
  if (rule.operations.includes('*')) return [...req.blocking];
  return req.blocking.filter((op) => rule.operations.includes(op));
}

/** True when the rule sends anything at all to the webhook. */
function matchesAnything(rule: WebhookRule): boolean {
  return rule.groups.length > 0 && rule.versions.length > 0 && rule.resources.length > 0 && rule.operations.length > 0;
}


/**
 * The label sets kube-system may carry in the webhook's unit: the API server's name label merged over the
 * labels of each `Namespace/kube-system` the unit holds (none: the name label alone). The name label always
 * wins: the API server sets it and refuses any other value.
 */
function kubeSystemLabelSets(tree: StateContext['tree'], unit: string): Array<Record<string, string>> {
  const found = ofKindInUnit(tree.objects, 'Namespace', unit).filter((o) => o.name === 'kube-system');
  if (found.length === 0) return [{ [NAME_LABEL]: 'kube-system' }];
  return found.map((o) => ({ ...labelsOf(o), [NAME_LABEL]: 'kube-system' }));
}

/** A numeric field given as a number or a numeric string; undefined otherwise. */
function numberOf(value: unknown): number | undefined {
  if (typeof value === 'number' && Number.isFinite(value)) return value;
  if (typeof value === 'string' && /^\s*\d+(\.\d+)?\s*$/.test(value)) return Number(value);
  return undefined;
}


/** Operations in API order (CREATE, UPDATE, DELETE, CONNECT), subresource operations after. */
function byOperation(a: string, b: string): number {
  const rank = (s: string) => (s.includes(' ') ? 10 : 0) + ['CREATE', 'UPDATE', 'DELETE', 'CONNECT'].indexOf(s.split(' ').pop()!);
  return rank(a) - rank(b) || (a < b ? -1 : a > b ? 1 : 0);
}


/** `service "ns/name"`, `URL "https://…"`, or a fallback. */
function backendOf(webhook: Record<string, unknown>): string {
  const service = asMap(getIn(webhook, ['clientConfig', 'service']));
  if (service) {
    const name = asString(service.name) ?? '?';
    const ns = asString(service.namespace);
    return `service ${quote(ns ? `${ns}/${name}` : name)}`;
  }
  const url = asString(getIn(webhook, ['clientConfig', 'url']));
  return url ? `URL ${quote(url)}` : 'its backend';
}

/** What the rules send to the webhook, as written: `CREATE, UPDATE of "networking.k8s.io/ingresses"`. */
function describeRules(rules: readonly WebhookRule[]): string {
  const parts: string[] = [];
  for (const r of rules.filter(matchesAnything)) {
    const targets = r.groups.flatMap((g) => r.resources.map((res) => (g === '' ? res : `${g}/${res}`)));
    const shown = targets.slice(0, 4).map(quote).join(', ');
    const more = targets.length > 4 ? ` and ${targets.length - 4} more` : '';
    parts.push(`${r.operations.includes('*') ? 'every operation' : r.operations.join(', ')} of ${shown}${more}`);
  }
  const shown = parts.slice(0, 3);
  return shown.join('; ') + (parts.length > 3 ? `; and ${parts.length - 3} more rules` : '');
}

/** Exposure of one critical kind of request: which operations reach the webhook and whether kube-system is in reach. */
interface Exposure {
  what: Critical;
  ops: Set<string>;
  /** Some requests of this kind in an ordinary namespace (or any node) reach the webhook. */
  broad: boolean;
  /** kube-system's requests of this kind reach the webhook (always true for nodes). */
  kubeSystem: boolean;
}

interface Verdict {
  severity: Severity;
  message: string;
  remediation: string;
}

function judge(
  object: KubeObject,
  webhook: Record<string, unknown>,
  kubeSystem: ReadonlyArray<Record<string, string>>,
): { failClosed?: Verdict; timeout?: Verdict } {
  const defaults = DEFAULTS[object.apiVersion];
  const explicitPolicy = asString(webhook.failurePolicy);
  // Anything but an explicit `Ignore` fails closed: an unset value takes the version's default, and an
  // unknown value (a typo the API server would reject) is judged as the riskier `Fail`.
  const policy = explicitPolicy ?? defaults.failurePolicy;
  if (policy === 'Ignore') return {};

  const rules = readRules(webhook);
  if (!rules.some(matchesAnything)) return {};
  const nsSel = webhook.namespaceSelector;
  const objSel = webhook.objectSelector;
  // A malformed selector makes the API server reject the whole configuration: it never takes effect.
  if (!parseSelector(nsSel).ok || !parseSelector(objSel).ok) return {};
  const nsSelEmpty = isEmptySelector(nsSel);

  const selects = (nsLabels: Readonly<Record<string, string>> | null, objLabels: Readonly<Record<string, string>>) =>
    (nsLabels === null || matchesSelector(nsSel, nsLabels)) && matchesSelector(objSel, objLabels);

  // "Narrow": opt-in, so an ordinary unlabelled namespace (or object) never reaches the webhook.
  const narrow = !selects(ORDINARY_NAMESPACE, NO_LABELS);

  const exposures = new Map<Critical, Exposure>();
  for (const req of CRITICAL_REQUESTS) {
    const ops = rules.flatMap((r) => blockingOpsMatched(r, req));
    if (ops.length === 0) continue;
    let broad: boolean;
    let inKubeSystem: boolean;
    if (req.what === 'pods') {
      broad = selects(ORDINARY_NAMESPACE, NO_LABELS);
      inKubeSystem = kubeSystem.some((labels) => selects(labels, NO_LABELS));
    } else if (req.what === 'namespaces') {
      // For a Namespace, both selectors are evaluated against the namespace's own labels.
      broad = selects(ORDINARY_NAMESPACE, ORDINARY_NAMESPACE);
      inKubeSystem = kubeSystem.some((labels) => selects(labels, labels));
    } else {
      // Nodes are cluster-scoped: the namespaceSelector never applies to them.
      broad = selects(null, NO_LABELS);
      inKubeSystem = broad;
    }
    const e = exposures.get(req.what) ?? { what: req.what, ops: new Set<string>(), broad, kubeSystem: inKubeSystem };
    ops.forEach((op) => e.ops.add(req.subresource ? `${req.subresource} ${op}` : op));
    exposures.set(req.what, e);
  }

  const high = [...exposures.values()].filter((e) => e.broad && e.kubeSystem);
  const exposedElsewhere = [...exposures.values()].some((e) => e.broad);
  if (high.length === 0 && narrow && !exposedElsewhere) return {};

  const cfg = `${object.kind} ${quote(object.name)}`;
  const name = asString(webhook.name) ?? '(unnamed)';
  const subject = `webhook ${quote(name)} of ${cfg}`;
  const backend = backendOf(webhook);
  const explicitTimeout = numberOf(webhook.timeoutSeconds);
  const timeout = explicitTimeout ?? defaults.timeoutSeconds;
  const version = object.apiVersion;
  const policyText =
    explicitPolicy === undefined
      ? `failurePolicy unset: ${quote(defaults.failurePolicy)} is the ${version} default`
      : `failurePolicy ${quote(explicitPolicy)}`;
  const conditions = asList(webhook.matchConditions).length > 0 ? '; its matchConditions were not evaluated and may narrow this' : '';
  const everywhere = nsSelEmpty ? 'in every namespace' : 'in every namespace its namespaceSelector selects';
  const after = `after up to the ${timeout} s timeout`;

  let failClosed: Verdict;
  if (high.length > 0) {
    const whatText: string[] = [];
    const consequences: string[] = [];
    let lockOut = false;
    for (const e of high) {
      const ops = listing([...e.ops].sort(byOperation));
      if (e.what === 'pods') {
        whatText.push(`pod ${ops}`);
        const effects: string[] = [];
        if (e.ops.has('CREATE') || e.ops.has('binding CREATE')) {
          effects.push('controllers cannot replace pods and operators cannot start recovery pods');
          lockOut = true;
        }
        if (e.ops.has('status UPDATE')) effects.push('kubelets cannot report pod status, so no new pod becomes ready');
        if (e.ops.has('UPDATE')) effects.push('pods cannot be relabelled or have finalizers removed');
        consequences.push(`every pod ${ops} ${everywhere}, kube-system included, is rejected ${after}: ${effects.join(', ')}`);
      } else if (e.what === 'namespaces') {
        whatText.push(`namespace ${ops}`);
        consequences.push(`every namespace ${ops}, kube-system included, is rejected ${after}: no namespace can be created or relabelled`);
      } else {
        whatText.push(`node ${ops} (a namespaceSelector never applies to nodes)`);
        consequences.push(`every node ${ops} is rejected ${after}: new nodes cannot register and controllers cannot taint or label nodes`);
        lockOut = true;
      }
    }
    const kind = object.kind.toLowerCase();
    failClosed = {
      severity: 'high',
      message:
        `${subject} fails closed (${policyText}) on ${listing(whatText)}; while ${backend} is down ${consequences.join('; ')}; ` +
        `${lockOut ? 'lock-out risk: recovery through the API is blocked, and the break-glass path' : 'the break-glass path'} ` +
        `is to delete or patch the webhook configuration with an admin credential (kubectl delete ${kind} ${object.name}), ` +
        `which works while the backend is down because webhooks are never called for webhook configurations${conditions}`,
      remediation: high.some((e) => e.what === 'nodes') ? REMEDIATION_NODES : REMEDIATION_KUBE_SYSTEM,
    };
  } else {
    const keptOut = [...exposures.values()].filter((e) => e.broad && !e.kubeSystem).map((e) => e.what);
    const outside = keptOut.length > 0 ? ` (kube-system is kept out for ${listing(keptOut)})` : '';
    failClosed = {
      severity: 'medium',
      message:
        `${subject} fails closed (${policyText}) on ${describeRules(rules)}${outside}; ` +
        `while ${backend} is down every matching request ${everywhere} is rejected ${after}${conditions}`,
      remediation: REMEDIATION_MEDIUM,
    };
  }

  const out: { failClosed?: Verdict; timeout?: Verdict } = { failClosed };
  if (timeout > MAX_TIMEOUT_SECONDS) {
    const timeoutText =
      explicitTimeout === undefined ? `timeoutSeconds unset: ${timeout} s is the ${version} default` : `timeoutSeconds ${timeout}`;
    out.timeout = {
      severity: 'medium',
      message:
        `${subject} fails closed and waits up to ${timeout} s for ${backend} (${timeoutText}), above the ${MAX_TIMEOUT_SECONDS} s limit: ` +
        `while the backend hangs every matching request is held ${timeout} s before it is rejected, and clients retrying pile up on the API servers`,
      remediation: REMEDIATION_TIMEOUT,
    };
  }
  return out;
}

export const admissionWebhook: StateRule = {
  meta: {
    id: 'blast-radius/admission-webhook',
    family: 'blast-radius',
    type: 'state',
    severity: 'high',
    description:
      'Flag fail-closed admission webhooks that can block pod, node or namespace creation cluster-wide, kube-system included, and fail-closed webhooks with long timeouts.',
    docs: 'docs/rules/blast-radius/admission-webhook.md',
    remediation: REMEDIATION_KUBE_SYSTEM,
  },
  check(ctx) {
    const kubeSystemByUnit = new Map<string, Array<Record<string, string>>>();
    for (const object of ofKinds(ctx.tree.objects, KINDS)) {
      if (!DEFAULTS[object.apiVersion]) continue;
      let kubeSystem = kubeSystemByUnit.get(object.unit);
      if (!kubeSystem) kubeSystemByUnit.set(object.unit, (kubeSystem = kubeSystemLabelSets(ctx.tree, object.unit)));
      asList(object.doc.webhooks).forEach((raw, i) => {
        const webhook = asMap(raw);
        if (!webhook) return;
        const { failClosed, timeout } = judge(object, webhook, kubeSystem);
        const name = asString(webhook.name) ?? '(unnamed)';
        const has = (field: string) => Object.prototype.hasOwnProperty.call(webhook, field);
        if (failClosed) {
          const path: YamlPath = ['webhooks', i, has('failurePolicy') ? 'failurePolicy' : 'name'];
          ctx.report({ key: `${name}:fail-closed`, ...failClosed, at: { object, path } });
        }
        if (timeout) {
          const path: YamlPath = ['webhooks', i, has('timeoutSeconds') ? 'timeoutSeconds' : 'name'];
          ctx.report({ key: `${name}:timeout`, ...timeout, at: { object, path } });
        }
      });
    }
  },
};
