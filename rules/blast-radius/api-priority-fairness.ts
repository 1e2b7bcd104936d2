/**
 * blast-radius/api-priority-fairness — API Priority and Fairness objects that starve, or lift every limit
 * from, traffic the whole cluster depends on (RULEBOOK C.2, B.3; bootstrap config [S-APF-BOOTSTRAP]).
 *
 * A change rule: "edits to" the suggested priority levels can only be judged against the base (or, for a
 * level the repository did not hold before, against the spec the API server suggests). FlowSchema and
 * PriorityLevelConfiguration of `flowcontrol.apiserver.k8s.io` v1, v1beta3, v1beta2 and v1beta1 are read;
 * findings are about what the pull request adds or changes, per deployable unit, and copies of one source
 * reaching several clusters give one finding over all of them.
 *
 * - high `exempt`: a FlowSchema newly routes a subject other than a named user (a group, a service account,
 *   `*`) to the `exempt` level: those requests skip every limit (lock-out risk, break-glass path given);
 * - high `system-level`: the shares or the limit response of `system`, `node-high`, `leader-election` or
 *   `global-default` change (medium for their other fields; any change of `workload-high` is medium);
 * - medium `low-precedence`: a FlowSchema below precedence 1000 newly matches `system:authenticated`,
 *   `system:serviceaccounts` or `*` for core API requests ahead of a suggested system FlowSchema;
 * - medium `reject`: a level that workloads' FlowSchemas route to newly answers overload with `Reject`.
 *
 * Who owns the spec decides whether an edit takes effect (ensurer `strategy.go`): the API server keeps the
 * mandatory objects (`exempt`, `catch-all`) at their fixed spec and rejects any other (those are skipped); it
 * also restores the spec of a suggested object every minute unless its `apf.kubernetes.io/autoupdate-spec`
 * annotation is "false" (absent in a manifest: the live object keeps the "true" the API server set), and it
 * deletes an object it does not know that carries the annotation as "true". An edit the API server undoes
 * still holds from each apply until its next pass, so it is reported one severity lower, saying so.
 * Deleted objects are left to `blast-radius/deletion`.
 */
import { changedPairs, type ObjectPair, sameValue, type VerdictSink, verdictSink } from '../../src/changes.js';
import type { ChangeContext, ChangeRule } from '../../src/rule.js';
import type { KubeObject, Severity, Tree, YamlPath } from '../../src/types.js';
import { listing, quote } from '../../src/text.js';
import { asList, asMap, asString, asStrings, getIn } from '../../src/yaml/walk.js';
import { ofKinds } from '../../src/kinds.js';

const GROUP = 'flowcontrol.apiserver.k8s.io';
const API_VERSIONS: ReadonlySet<string> = new Set(['v1', 'v1beta3', 'v1beta2', 'v1beta1'].map((v) => `${GROUP}/${v}`));
const FS = 'FlowSchema';
const PL = 'PriorityLevelConfiguration';
const KINDS: ReadonlySet<string> = new Set([FS, PL]);
/** `AutoUpdateAnnotationKey` of k8s.io/api flowcontrol/v1. */
export const AUTO_UPDATE = 'apf.kubernetes.io/autoupdate-spec';

/** Server concurrency limit with APF on: --max-requests-inflight 400 + --max-mutating-requests-inflight 200 (RULEBOOK B.1). */
const SERVER_SEATS = 600;

/** Values of a limited priority level that this rule compares. */
interface LevelValues {
  shares: number;
  lendable: number;
  borrowing: number | null;
  response: string;
  queues: number;
  handSize: number;
  queueLengthLimit: number;
}

const queued = (shares: number, lendable: number, queues: number, handSize: number): LevelValues => ({
  shares,
  lendable,
  borrowing: null,
  response: 'Queue',
  queues,
  handSize,
  queueLengthLimit: 50,
});

/** The suggested priority levels (bootstrap `default.go`), kept by the API server unless annotated "false". */
const SUGGESTED_LEVELS: Readonly<Record<string, LevelValues>> = {
  system: queued(30, 33, 64, 6),
  'node-high': queued(40, 25, 64, 6),
  'leader-election': queued(10, 0, 16, 4),
  'workload-high': queued(40, 50, 128, 6),
  'workload-low': queued(100, 90, 128, 6),
  'global-default': queued(20, 50, 128, 6),
};
/** The mandatory levels: the API server rejects any spec but its own (catch-all answers overload with Reject). */
const MANDATORY_LEVELS: Readonly<Record<string, LevelValues>> = {
  'catch-all': { shares: 5, lendable: 0, borrowing: null, response: 'Reject', queues: 0, handSize: 0, queueLengthLimit: 0 },
  exempt: { shares: 0, lendable: 0, borrowing: null, response: '', queues: 0, handSize: 0, queueLengthLimit: 0 },
};
/** Sum of the shares of the bootstrap limited levels (catch-all 5 + 30 + 40 + 10 + 40 + 100 + 20). */
const SHARE_SUM = 245;

const MANDATORY_SCHEMAS: ReadonlySet<string> = new Set(['exempt', 'catch-all']);
const SUGGESTED_SCHEMAS: ReadonlySet<string> = new Set([
  'probes', 'system-leader-election', 'endpoint-controller', 'workload-leader-election', 'system-node-high',
  'system-nodes', 'kube-controller-manager', 'kube-scheduler', 'kube-system-service-accounts', 'service-accounts',
  'global-default',
]);

/** The levels `system-level` judges: what they serve and what starving them does. */
interface LevelRole {
  high: boolean;
  serves: string;
  starved: string;
}
const LEVEL_ROLES: Readonly<Record<string, LevelRole>> = {
  system: {
    high: true,
    serves: 'kubelets and kube-proxy (FlowSchema "system-nodes")',
    starved: 'kubelets cannot fetch the secrets and config maps of starting pods or report pod status',
  },
  'node-high': {
    high: true,
    serves: 'node status updates and node-lease heartbeats (FlowSchema "system-node-high"; 50 % to 90 % of all API calls in large clusters, per default.go)',
    starved: 'heartbeats are late, nodes turn NotReady and their pods get evicted',
  },
  'leader-election': {
    high: true,
    serves: 'leader-election lease renewals of kube-controller-manager, kube-scheduler and kube-system controllers',
    starved: 'those controllers miss renewals, lose leadership and restart, pausing every controller loop',
  },
  'global-default': {
    high: true,
    serves: 'every authenticated request no other FlowSchema matches (FlowSchema "global-default"), operators\' own kubectl requests included unless they are in system:masters',
    starved: 'everything without a FlowSchema of its own waits or fails with HTTP 429, operators\' kubectl included',
  },
  'workload-high': {
    high: false,
    serves: 'kube-controller-manager, kube-scheduler and kube-system service accounts',
    starved: 'pods are scheduled and replaced more slowly',
  },
};

/** Suggested FlowSchemas below precedence 1000 that a broad group can take traffic from. */
interface SystemSchema {
  name: string;
  precedence: number;
  serves: string;
  /** Matched by `system:serviceaccounts` too (their subjects are kube-system service accounts). */
  serviceAccounts: boolean;
}
const SYSTEM_SCHEMAS: readonly SystemSchema[] = [
  { name: 'system-leader-election', precedence: 100, serves: 'leader election', serviceAccounts: true },
  { name: 'endpoint-controller', precedence: 150, serves: 'the endpoints controller', serviceAccounts: true },
  { name: 'workload-leader-election', precedence: 200, serves: 'controller leader election', serviceAccounts: true },
  { name: 'system-node-high', precedence: 400, serves: 'node heartbeats', serviceAccounts: false },
  { name: 'system-nodes', precedence: 500, serves: 'kubelets', serviceAccounts: false },
  { name: 'kube-controller-manager', precedence: 800, serves: 'kube-controller-manager', serviceAccounts: false },
  { name: 'kube-scheduler', precedence: 800, serves: 'kube-scheduler', serviceAccounts: false },
  { name: 'kube-system-service-accounts', precedence: 900, serves: 'kube-system controllers', serviceAccounts: true },
];

const HEALTH_URL = /^\/(healthz|readyz|livez)(\/.*)?$/;
/** API groups whose requests the suggested system FlowSchemas exist for (core, leases). */
const CORE_GROUPS: ReadonlySet<string> = new Set(['*', '', 'coordination.k8s.io']);
const BROAD_GROUPS: ReadonlySet<string> = new Set(['system:authenticated', 'system:serviceaccounts', '*']);

const REMEDIATION_EXEMPT =
  'Route the client to a limited priority level of its own (a PriorityLevelConfiguration sized for it) and keep the exempt level for named break-glass users only.';
const REMEDIATION_LEVEL =
  'Keep the suggested priority levels at their defaults and give traffic that needs more room a FlowSchema and PriorityLevelConfiguration of its own, or roll the change out to one canary cluster first.';
const REMEDIATION_OWNED =
  'Set apf.kubernetes.io/autoupdate-spec: "false" on the object if the change is intended (then roll it out to one canary cluster first), or drop the edit so the repository matches what the API server enforces.';
const REMEDIATION_PRECEDENCE =
  'Give the FlowSchema a matchingPrecedence of 1000 or more (after the suggested system FlowSchemas), or match only the users or service accounts it is meant for.';
const REMEDIATION_REJECT =
  'Use limitResponse.type: Queue on priority levels that serve workloads, so bursts wait in a queue instead of failing.';

// ---------------------------------------------------------------------------------------------------------
// Reading the objects

function numberOf(value: unknown): number | undefined {
  if (typeof value === 'number' && Number.isFinite(value)) return value;
  if (typeof value === 'string' && /^\s*-?\d+(\.\d+)?\s*$/.test(value)) return Number(value);
  return undefined;
}

/** Go's strconv.ParseBool, which the API server applies to the annotation. */
function parseBool(value: string): boolean | undefined {
  if (['1', 't', 'T', 'TRUE', 'true', 'True'].includes(value)) return true;
  if (['0', 'f', 'F', 'FALSE', 'false', 'False'].includes(value)) return false;
  return undefined;
}

function annotationOf(o: KubeObject): string | undefined {
  return asString(asMap(getIn(o.doc, ['metadata', 'annotations']))?.[AUTO_UPDATE]);
}

/**
 * Who decides the live spec: `user` (the manifest takes effect), `api-server` (it restores the suggested
 * spec, or deletes an unknown object annotated "true", within a minute), or `mandatory` (any other spec
 * than the fixed one is rejected).
 */
type Control = 'user' | 'api-server' | 'mandatory';

function controlOf(o: KubeObject): Control {
  const mandatory = o.kind === FS ? MANDATORY_SCHEMAS.has(o.name) : Object.hasOwn(MANDATORY_LEVELS, o.name);
  if (mandatory) return 'mandatory';
  const suggested = o.kind === FS ? SUGGESTED_SCHEMAS.has(o.name) : Object.hasOwn(SUGGESTED_LEVELS, o.name);
  const raw = annotationOf(o);
  const value = raw === undefined ? undefined : parseBool(raw);
  if (suggested) {
    // Absent from the manifest: `kubectl apply` and server-side apply leave the "true" the API server set.
    // Present but not a boolean: the API server falls back to metadata.generation, > 1 after this edit.
    if (value === false || (raw !== undefined && value === undefined)) return 'user';
    return 'api-server';
  }
  return value === true ? 'api-server' : 'user';
}

function ownedText(o: KubeObject): string {
  const raw = annotationOf(o);
  const annotation = raw === undefined ? `${AUTO_UPDATE} unset` : `${AUTO_UPDATE} ${quote(raw)}`;
  const suggested = o.kind === FS ? SUGGESTED_SCHEMAS.has(o.name) : Object.hasOwn(SUGGESTED_LEVELS, o.name);
  return suggested
    ? `the API server owns this suggested object (${annotation}, not "false"): it restores the suggested spec within a minute, and each re-apply puts this spec back until then`
    : `the API server deletes this object within a minute (${annotation} on an object it does not know), and each re-apply creates it again until then`;
}

/** A valid limited level: type Limited with a Queue or Reject limit response (the API server refuses anything else). */
function isLimited(o: KubeObject): boolean {
  const response = asString(getIn(o.doc, ['spec', 'limited', 'limitResponse', 'type']));
  return asString(getIn(o.doc, ['spec', 'type'])) === 'Limited' && (response === 'Queue' || response === 'Reject');
}

/** The values of a limited level as written, with the API defaults for what is left out. */
function valuesOf(o: KubeObject): LevelValues {
  const limited = asMap(getIn(o.doc, ['spec', 'limited'])) ?? {};
  const response = asMap(limited.limitResponse);
  const queuing = asMap(response?.queuing);
  return {
    // v1beta1 and v1beta2 name it assuredConcurrencyShares; unset means 30.
    shares: numberOf(limited.nominalConcurrencyShares) ?? numberOf(limited.assuredConcurrencyShares) ?? 30,
    lendable: numberOf(limited.lendablePercent) ?? 0,
    borrowing: numberOf(limited.borrowingLimitPercent) ?? null,
    response: asString(response?.type) ?? '',
    queues: numberOf(queuing?.queues) ?? 64,
    handSize: numberOf(queuing?.handSize) ?? 8,
    queueLengthLimit: numberOf(queuing?.queueLengthLimit) ?? 50,
  };
}

function sharesKey(o: KubeObject): string {
  const limited = asMap(getIn(o.doc, ['spec', 'limited'])) ?? {};
  return Object.hasOwn(limited, 'assuredConcurrencyShares') && !Object.hasOwn(limited, 'nominalConcurrencyShares')
    ? 'assuredConcurrencyShares'
    : 'nominalConcurrencyShares';
}

interface Subject {
  kind: 'User' | 'Group' | 'ServiceAccount';
  name: string;
  text: string;
}

function subjectsOf(value: unknown): Subject[] {
  const out: Subject[] = [];
  for (const raw of asList(value)) {
    const s = asMap(raw);
    const kind = asString(s?.kind);
    if (kind === 'User') {
      const name = asString(getIn(s, ['user', 'name'])) ?? '';
      out.push({ kind, name, text: `user ${quote(name)}` });
    } else if (kind === 'Group') {
      const name = asString(getIn(s, ['group', 'name'])) ?? '';
      out.push({ kind, name, text: `group ${quote(name)}` });
    } else if (kind === 'ServiceAccount') {
      const ns = asString(getIn(s, ['serviceAccount', 'namespace'])) ?? '';
      const name = asString(getIn(s, ['serviceAccount', 'name'])) ?? '';
      out.push({ kind, name: `${ns}/${name}`, text: `service account ${quote(`${ns}/${name}`)}` });
    }
  }
  return out;
}

interface SchemaRule {
  subjects: Subject[];
  /** Only GETs of /healthz, /readyz, /livez (what the suggested `probes` schema exempts). */
  healthOnly: boolean;
  /** Matches core or coordination.k8s.io resources, or every non-resource URL. */
  coreTraffic: boolean;
}

function rulesOf(fs: KubeObject): SchemaRule[] {
  return asList(getIn(fs.doc, ['spec', 'rules'])).flatMap((raw) => {
    const r = asMap(raw);
    if (!r) return [];
    const resourceRules = asList(r.resourceRules).map(asMap).filter((x): x is Record<string, unknown> => x !== undefined);
    const nonResourceRules = asList(r.nonResourceRules).map(asMap).filter((x): x is Record<string, unknown> => x !== undefined);
    const healthOnly =
      resourceRules.length === 0 &&
      nonResourceRules.length > 0 &&
      nonResourceRules.every((n) => {
        const urls = asStrings(n.nonResourceURLs);
        return urls.length > 0 && urls.every((u) => HEALTH_URL.test(u));
      });
    const coreTraffic =
      resourceRules.some((rr) => asStrings(rr.apiGroups).some((g) => CORE_GROUPS.has(g)) && asStrings(rr.resources).length > 0) ||
      nonResourceRules.some((n) => asStrings(n.nonResourceURLs).includes('*'));
    return [{ subjects: subjectsOf(r.subjects), healthOnly, coreTraffic }];
  });
}

const levelOf = (fs: KubeObject): string => asString(getIn(fs.doc, ['spec', 'priorityLevelConfiguration', 'name'])) ?? '';
/** matchingPrecedence, 1000 when unset (the API default). */
const precedenceOf = (fs: KubeObject): number => numberOf(getIn(fs.doc, ['spec', 'matchingPrecedence'])) ?? 1000;

/**
 * A narrowly named identity: a User by name, or the group `system:masters`, which the mandatory `exempt`
 * FlowSchema (precedence 1) already exempts, so routing it there again changes nothing.
 */
const isNamedUser = (s: Subject) => (s.kind === 'User' && s.name !== '' && s.name !== '*') || (s.kind === 'Group' && s.name === 'system:masters');
const isWorkload = (s: Subject) =>
  s.kind === 'ServiceAccount' ||
  (s.kind === 'Group' && (s.name === 'system:authenticated' || s.name === '*' || s.name === 'system:serviceaccounts' || s.name.startsWith('system:serviceaccounts:'))) ||
  (s.kind === 'User' && s.name === '*');

/** Subjects a FlowSchema sends to `exempt` that are not named users (health-probe-only rules aside). */
function exemptExposure(fs: KubeObject): Set<string> {
  const out = new Set<string>();
  if (levelOf(fs) !== 'exempt') return out;
  for (const r of rulesOf(fs)) {
    if (r.healthOnly) continue;
    for (const s of r.subjects) if (!isNamedUser(s)) out.add(s.text);
  }
  return out;
}

function preempts(fs: KubeObject, schema: SystemSchema): boolean {
  const p = precedenceOf(fs);
  return schema.name !== fs.name && (p < schema.precedence || (p === schema.precedence && fs.name < schema.name));
}

/** `subject\0schema` for every suggested system schema a broad group of this FlowSchema is matched ahead of. */
function precedenceExposure(fs: KubeObject): Set<string> {
  const out = new Set<string>();
  if (levelOf(fs) === 'exempt' || precedenceOf(fs) >= 1000) return out;
  for (const r of rulesOf(fs)) {
    if (!r.coreTraffic) continue;
    for (const s of r.subjects) {
      const broad = (s.kind === 'Group' && BROAD_GROUPS.has(s.name)) || (s.kind === 'User' && s.name === '*');
      if (!broad) continue;
      const serviceAccountsOnly = s.kind === 'Group' && s.name === 'system:serviceaccounts';
      for (const schema of SYSTEM_SCHEMAS) {
        if ((serviceAccountsOnly && !schema.serviceAccounts) || !preempts(fs, schema)) continue;
        out.add(`${s.text}\u0000${schema.name}`);
      }
    }
  }
  return out;
}

function workloadSubjects(fs: KubeObject): string[] {
  const out = new Set<string>();
  for (const r of rulesOf(fs)) for (const s of r.subjects) if (isWorkload(s)) out.add(s.text);
  return [...out];
}

// ---------------------------------------------------------------------------------------------------------
// Per-tree index: FlowSchemas and levels of each unit

interface UnitIndex {
  schemas: KubeObject[];
  levels: Map<string, KubeObject>;
}

const indexCache = new WeakMap<Tree, Map<string, UnitIndex>>();

function indexOf(tree: Tree): Map<string, UnitIndex> {
  const cached = indexCache.get(tree);
  if (cached) return cached;
  const out = new Map<string, UnitIndex>();
  for (const o of ofKinds(tree.objects, KINDS)) {
    if (!API_VERSIONS.has(o.apiVersion)) continue;
    const unit = out.get(o.unit) ?? out.set(o.unit, { schemas: [], levels: new Map() }).get(o.unit)!;
    if (o.kind === FS) unit.schemas.push(o);
    else unit.levels.set(o.name, o); // the last one wins, as kubectl apply would leave it
  }
  indexCache.set(tree, out);
  return out;
}

/** The values a level has live in a unit of a tree (null: unknown, or deleted by the API server). */
function liveLevel(tree: Tree, unit: string, name: string): LevelValues | null {
  const o = indexOf(tree).get(unit)?.levels.get(name);
  const fallback = SUGGESTED_LEVELS[name] ?? MANDATORY_LEVELS[name] ?? null;
  if (!o) return fallback;
  const control = controlOf(o);
  if (control !== 'user') return control === 'mandatory' || Object.hasOwn(SUGGESTED_LEVELS, name) ? fallback : null;
  return isLimited(o) ? valuesOf(o) : null;
}

/** FlowSchemas of a unit (in force) that send workloads to a level, described; plus the suggested one for workload-low. */
function workloadRoutes(tree: Tree, unit: string, level: string): string[] {
  const out: string[] = [];
  for (const fs of indexOf(tree).get(unit)?.schemas ?? []) {
    if (levelOf(fs) !== level || controlOf(fs) !== 'user') continue;
    const subjects = workloadSubjects(fs);
    if (subjects.length > 0) out.push(`FlowSchema ${quote(fs.name)} (${shortList(subjects)})`);
  }
  if (level === 'workload-low') out.push('the suggested FlowSchema "service-accounts" (every service account)');
  return out;
}

// ---------------------------------------------------------------------------------------------------------
// Text

function shortList(items: readonly string[], max = 4): string {
  if (items.length <= max) return listing(items);
  return `${items.slice(0, max).join(', ')} and ${items.length - max} more`;
}

/** Seats (NominalCL) of a level per API server, the other levels at their suggested shares. */
function seats(name: string, shares: number): number {
  const own = SUGGESTED_LEVELS[name]?.shares ?? MANDATORY_LEVELS[name]?.shares ?? 0;
  const sum = SHARE_SUM - own + shares;
  return sum <= 0 ? 0 : Math.ceil((SERVER_SEATS * shares) / sum);
}

const FIELD_NAMES: Readonly<Record<keyof LevelValues, string>> = {
  shares: 'nominalConcurrencyShares',
  lendable: 'lendablePercent',
  borrowing: 'borrowingLimitPercent',
  response: 'limitResponse.type',
  queues: 'queuing.queues',
  handSize: 'queuing.handSize',
  queueLengthLimit: 'queuing.queueLengthLimit',
};
const FIELDS = Object.keys(FIELD_NAMES) as Array<keyof LevelValues>;

function fieldPath(o: KubeObject, field: keyof LevelValues): YamlPath {
  switch (field) {
    case 'shares':
      return ['spec', 'limited', sharesKey(o)];
    case 'lendable':
      return ['spec', 'limited', 'lendablePercent'];
    case 'borrowing':
      return ['spec', 'limited', 'borrowingLimitPercent'];
    case 'response':
      return ['spec', 'limited', 'limitResponse', 'type'];
    default:
      return ['spec', 'limited', 'limitResponse', 'queuing', field];
  }
}

const show = (v: number | string | null) => (v === null ? 'unset' : v === '' ? 'unset' : String(v));

// ---------------------------------------------------------------------------------------------------------
// Findings, grouped across units


const lower = (s: Severity): Severity => (s === 'critical' ? 'high' : s === 'high' ? 'medium' : 'low');


// ---------------------------------------------------------------------------------------------------------
// The checks

const BREAK_GLASS_EXEMPT = (name: string) =>
  `lock-out risk: operators' own requests time out with everyone else's; the break-glass path is to delete the FlowSchema ` +
  `(kubectl delete flowschema ${name}) with a system:masters credential, whose requests the mandatory "exempt" FlowSchema ` +
  '(precedence 1) serves without limits, after stopping the client at the network or revoking its credentials if the API servers are already saturated';

function checkExempt(pair: ObjectPair, out: VerdictSink): void {
  const head = pair.head!;
  const headExposure = exemptExposure(head);
  if (headExposure.size === 0) return;
  const inForce = controlOf(head) === 'user';
  // In force: compared with what was live (an API-server-owned base was at the suggested spec, which never
  // exempts anything but health probes). Not in force: compared with what was written, to stay quiet on an
  // unchanged manifest.
  const base = pair.base && API_VERSIONS.has(pair.base.apiVersion) && (!inForce || controlOf(pair.base) === 'user') ? exemptExposure(pair.base) : new Set<string>();
  const fresh = [...headExposure].filter((s) => !base.has(s));
  if (fresh.length === 0) return;
  const message =
    `requests of ${shortList(fresh)} go to the "exempt" priority level through FlowSchema ${quote(head.name)}: exempt requests skip every ` +
    'concurrency limit and queue of API Priority and Fairness, so one noisy or looping client can saturate the API servers of every cluster this reaches; ' +
    BREAK_GLASS_EXEMPT(head.name) +
    (inForce ? '' : `; ${ownedText(head)}`);
  out.add({
    object: head,
    path: ['spec', 'priorityLevelConfiguration', 'name'],
    key: 'exempt',
    severity: inForce ? 'high' : lower('high'),
    message,
    remediation: REMEDIATION_EXEMPT,
    data: { subjects: fresh, inForce },
  });
}

function checkPrecedence(pair: ObjectPair, out: VerdictSink): void {
  const head = pair.head!;
  const headExposure = precedenceExposure(head);
  if (headExposure.size === 0) return;
  const inForce = controlOf(head) === 'user';
  const base = pair.base && API_VERSIONS.has(pair.base.apiVersion) && (!inForce || controlOf(pair.base) === 'user') ? precedenceExposure(pair.base) : new Set<string>();
  const fresh = [...headExposure].filter((s) => !base.has(s));
  if (fresh.length === 0) return;
  const subjects = [...new Set(fresh.map((s) => s.split('\u0000')[0]))];
  const names = new Set(fresh.map((s) => s.split('\u0000')[1]));
  const schemas = SYSTEM_SCHEMAS.filter((s) => names.has(s.name));
  const level = levelOf(head);
  const message =
    `core API requests of ${listing(subjects)} match FlowSchema ${quote(head.name)} (matchingPrecedence ${precedenceOf(head)}) ahead of the suggested ` +
    `FlowSchema${schemas.length === 1 ? '' : 's'} ${listing(schemas.map((s) => `${quote(s.name)} (${s.precedence}, ${s.serves})`))}: ` +
    `those requests now go to priority level ${quote(level)} instead of the levels reserved for them, where they compete with everything else this FlowSchema catches` +
    (inForce ? '' : `; ${ownedText(head)}`);
  out.add({
    object: head,
    path: ['spec', 'matchingPrecedence'],
    key: 'low-precedence',
    severity: inForce ? 'medium' : lower('medium'),
    message,
    remediation: REMEDIATION_PRECEDENCE,
    data: { subjects, schemas: schemas.map((s) => s.name), inForce },
  });
}

function checkSystemLevel(pair: ObjectPair, out: VerdictSink): void {
  const head = pair.head!;
  const role = LEVEL_ROLES[head.name];
  // A non-Limited type is rejected by the API server for these names ("Exempt" iff the name is "exempt").
  if (!role || !isLimited(head)) return;
  const suggested = SUGGESTED_LEVELS[head.name];
  const written = valuesOf(head);
  if (FIELDS.every((f) => written[f] === suggested[f])) return; // the suggested spec, restored or copied
  const inForce = controlOf(head) === 'user';
  const base = pair.base && API_VERSIONS.has(pair.base.apiVersion) && isLimited(pair.base) ? pair.base : undefined;
  const before = base && (!inForce || controlOf(base) === 'user') ? valuesOf(base) : suggested;
  const changed = FIELDS.filter((f) => before[f] !== written[f]);
  if (changed.length === 0) return;

  const changes = changed.map((f) => {
    const text = `${FIELD_NAMES[f]} ${show(before[f])} → ${show(written[f])}`;
    return f === 'shares' ? `${text} (about ${seats(head.name, before.shares)} → ${seats(head.name, written.shares)} of ${SERVER_SEATS} seats per API server)` : text;
  });
  const sharesDown = written.shares < before.shares;
  const sharesUp = written.shares > before.shares;
  const toReject = written.response === 'Reject' && before.response !== 'Reject';
  const queueDown = (['queues', 'handSize', 'queueLengthLimit'] as const).some((f) => written[f] < before[f]);
  const lendsMore = written.lendable > before.lendable;
  const starves = sharesDown || toReject || queueDown || lendsMore;

  const verb = before === suggested ? 'departs from the suggested spec' : 'changes';
  const parts = [`priority level ${quote(head.name)} ${verb}: ${listing(changes)}; it serves ${role.serves}`];
  if (starves) {
    parts.push(`with less room, once it is saturated ${role.starved}`);
  }
  if (sharesUp) {
    const lowBefore = Math.ceil((SERVER_SEATS * 100) / (SHARE_SUM - suggested.shares + before.shares));
    const lowAfter = Math.ceil((SERVER_SEATS * 100) / (SHARE_SUM - suggested.shares + written.shares));
    parts.push(`raising its shares shrinks every other level: "workload-low", which serves every other service account, goes from about ${lowBefore} to ${lowAfter} seats per API server`);
  }
  if (!starves && !sharesUp) parts.push('this changes how the level lends, borrows or queues its seats in every cluster this reaches');
  if (starves && role.high) {
    parts.push(
      `lock-out risk: recovery through the API slows or stalls with it; the break-glass path is a system:masters credential (served by the "exempt" level, which this does not limit): ` +
        `kubectl annotate prioritylevelconfiguration ${head.name} ${AUTO_UPDATE}=true --overwrite makes the API server restore the suggested spec within a minute; pause the GitOps sync first or it re-applies the change`,
    );
  }
  if (!inForce) parts.push(ownedText(head));

  const severity: Severity = role.high && (sharesDown || sharesUp || toReject) ? 'high' : 'medium';
  // An edit that only made the manifest take effect (the annotation) points at the annotation.
  const onlyOwnership = base !== undefined && FIELDS.every((f) => valuesOf(base)[f] === written[f]);
  const path: YamlPath = onlyOwnership ? ['metadata', 'annotations', AUTO_UPDATE] : fieldPath(head, changed[0]);
  out.add({
    object: head,
    path,
    key: 'system-level',
    severity: inForce ? severity : lower(severity),
    message: parts.join('; '),
    remediation: inForce ? REMEDIATION_LEVEL : REMEDIATION_OWNED,
    data: { level: head.name, changed: changed.map((f) => FIELD_NAMES[f]), inForce },
  });
}

const REJECT_TEXT =
  'answers overload with HTTP 429 at once (limitResponse.type Reject) where a Queue level holds up to handSize × queueLengthLimit requests per flow ' +
  '(6 × 50 = 300 at the suggested settings): any burst beyond its seats (a rollout, a controller restarting and relisting its informers) fails, and clients that retry add load';

/**
 * A level that newly rejects while workloads are routed to it; adds `unit\0level` to `covered` when it reports,
 * so FlowSchemas routing to that level are not reported again.
 */
function checkRejectLevel(ctx: ChangeContext, pair: ObjectPair, out: VerdictSink, covered: Set<string>): void {
  const head = pair.head!;
  // The levels system-level judges and the mandatory ones are not this check's.
  if (Object.hasOwn(LEVEL_ROLES, head.name) || controlOf(head) === 'mandatory' || !isLimited(head)) return;
  const written = valuesOf(head);
  if (written.response !== 'Reject') return;
  const routes = workloadRoutes(ctx.head, head.unit, head.name);
  if (routes.length === 0) return;
  const inForce = controlOf(head) === 'user';
  const base = pair.base && API_VERSIONS.has(pair.base.apiVersion) ? pair.base : undefined;
  const baseValues = base ? (isLimited(base) && (!inForce || controlOf(base) === 'user') ? valuesOf(base) : null) : (SUGGESTED_LEVELS[head.name] ?? null);
  const wasRejecting = baseValues?.response === 'Reject' && workloadRoutes(ctx.base, head.unit, head.name).length > 0;
  if (wasRejecting) return;
  covered.add(`${head.unit}\u0000${head.name}`);
  out.add({
    object: head,
    path: ['spec', 'limited', 'limitResponse', 'type'],
    key: 'reject',
    severity: inForce ? 'medium' : lower('medium'),
    message:
      `priority level ${quote(head.name)} serves workloads through ${shortList(routes, 3)} and ${REJECT_TEXT.replace('its seats', `its about ${seats(head.name, written.shares)} seats per API server`)}` +
      (inForce ? '' : `; ${ownedText(head)}`),
    remediation: REMEDIATION_REJECT,
    data: { level: head.name, inForce },
  });
}

/** A FlowSchema that newly sends workloads to a level that already rejects (the mandatory catch-all, say). */
function checkRejectRoute(ctx: ChangeContext, pair: ObjectPair, out: VerdictSink, covered: ReadonlySet<string>): void {
  const head = pair.head!;
  const level = levelOf(head);
  if (!level || level === 'exempt' || covered.has(`${head.unit}\u0000${level}`)) return;
  const subjects = workloadSubjects(head);
  if (subjects.length === 0 || liveLevel(ctx.head, head.unit, level)?.response !== 'Reject') return;
  const inForce = controlOf(head) === 'user';
  const base = pair.base && API_VERSIONS.has(pair.base.apiVersion) && (!inForce || controlOf(pair.base) === 'user') ? pair.base : undefined;
  const before = base && levelOf(base) === level && liveLevel(ctx.base, head.unit, level)?.response === 'Reject' ? new Set(workloadSubjects(base)) : new Set<string>();
  const fresh = subjects.filter((s) => !before.has(s));
  if (fresh.length === 0) return;
  const shares = liveLevel(ctx.head, head.unit, level)?.shares ?? 0;
  out.add({
    object: head,
    path: ['spec', 'priorityLevelConfiguration', 'name'],
    key: 'reject',
    severity: inForce ? 'medium' : lower('medium'),
    message:
      `requests of ${shortList(fresh)} go through FlowSchema ${quote(head.name)} to priority level ${quote(level)}, which ` +
      REJECT_TEXT.replace('its seats', `its about ${seats(level, shares)} seats per API server`) +
      (inForce ? '' : `; ${ownedText(head)}`),
    remediation: REMEDIATION_REJECT,
    data: { level, inForce },
  });
}

export const apiPriorityFairness: ChangeRule = {
  meta: {
    id: 'blast-radius/api-priority-fairness',
    family: 'blast-radius',
    type: 'change',
    severity: 'high',
    description:
      'Flag API Priority and Fairness changes that lift every limit from broad traffic (FlowSchemas routing groups or service accounts to exempt), change the suggested system, node-high, leader-election, global-default or workload-high levels, take system traffic ahead of the system FlowSchemas, or make a workload level reject instead of queue.',
    docs: 'docs/rules/blast-radius/api-priority-fairness.md',
    remediation: REMEDIATION_LEVEL,
  },
  check(ctx) {
    const out = verdictSink(ctx);
    const pairs = changedPairs(ctx.base, ctx.head, KINDS).filter(
      (p): p is ObjectPair & { head: KubeObject } => p.head !== undefined && API_VERSIONS.has(p.head.apiVersion) && controlOf(p.head) !== 'mandatory',
    );
    // Unchanged objects say nothing new; comment-only edits parse to equal documents.
    const changed = pairs.filter((p) => !p.base || !sameValue(p.base.doc, p.head.doc) || p.base.apiVersion !== p.head.apiVersion);
    const covered = new Set<string>();
    for (const p of changed) {
      if (p.head.kind === PL) {
        checkSystemLevel(p, out);
        checkRejectLevel(ctx, p, out, covered);
      }
    }
    for (const p of changed) {
      if (p.head.kind !== FS) continue;
      checkExempt(p, out);
      checkPrecedence(p, out);
      checkRejectRoute(ctx, p, out, covered);
    }
  },
};
