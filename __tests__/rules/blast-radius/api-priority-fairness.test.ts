/**
 * Table tests of blast-radius/api-priority-fairness: every branch with a dangerous case and its safe twin,
 * lines looked up in each case's own YAML. The corpus holds no FlowSchema or PriorityLevelConfiguration
 * (checked by the last suite), so the real-world cases are the upstream bootstrap objects themselves.
 */
import { describe, expect, it } from 'vitest';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { apiPriorityFairness } from '../../../rules/blast-radius/api-priority-fairness.js';
import { CORPUS_DIR, HAS_CORPUS } from '../../helpers/corpus.js';
import { lineContaining, ruleTester, runCase, findingAt, docExample as docExampleOf } from '../../helpers/rule-tester.js';

const lineOf = lineContaining;
const V1 = 'flowcontrol.apiserver.k8s.io/v1';

type SubjectSpec = { user: string } | { group: string } | { sa: string; ns: string } | { raw: string };

interface FsSpec {
  name?: string;
  apiVersion?: string;
  level?: string;
  precedence?: number | null;
  subjects?: SubjectSpec[];
  /** Replaces the resource rules (YAML lines under `resourceRules:`); default: everything. */
  resourceRules?: string[] | null;
  nonResourceURLs?: string[];
  annotation?: string | null;
  comment?: string;
}

function subjectLines(s: SubjectSpec): string[] {
  if ('user' in s) return ['    - kind: User', `      user: {name: ${JSON.stringify(s.user)}}`];
  if ('group' in s) return ['    - kind: Group', `      group: {name: ${JSON.stringify(s.group)}}`];
  if ('sa' in s) return ['    - kind: ServiceAccount', `      serviceAccount: {name: ${s.sa}, namespace: ${s.ns}}`];
  return [`    - ${s.raw}`];
}

const ALL_RESOURCES = ['    - verbs: ["*"]', '      apiGroups: ["*"]', '      resources: ["*"]', '      namespaces: ["*"]', '      clusterScope: true'];

function fs(f: FsSpec = {}): string {
  const lines = [`apiVersion: ${f.apiVersion ?? V1}`, 'kind: FlowSchema', 'metadata:', `  name: ${f.name ?? 'ci-deployer'}`];
  if (f.annotation !== undefined && f.annotation !== null) lines.push('  annotations:', `    apf.kubernetes.io/autoupdate-spec: ${JSON.stringify(f.annotation)}`);
  if (f.comment) lines.push(`# ${f.comment}`);
  lines.push('spec:', '  priorityLevelConfiguration:', `    name: ${f.level ?? 'exempt'}`);
  if (f.precedence !== null) lines.push(`  matchingPrecedence: ${f.precedence ?? 1000}`);
  lines.push('  distinguisherMethod: {type: ByUser}', '  rules:', '  - subjects:');
  for (const s of f.subjects ?? [{ group: 'system:authenticated' }]) lines.push(...subjectLines(s));
  if (f.resourceRules !== null) lines.push('    resourceRules:', ...(f.resourceRules ?? ALL_RESOURCES));
  if (f.nonResourceURLs) lines.push('    nonResourceRules:', '    - verbs: [get]', `      nonResourceURLs: ${JSON.stringify(f.nonResourceURLs)}`);
  return `${lines.join('\n')}\n`;
}

interface PlSpec {
  name?: string;
  apiVersion?: string;
  type?: string;
  shares?: number;
  sharesField?: string;
  lendable?: number;
  response?: string;
  queues?: number;
  handSize?: number;
  queueLengthLimit?: number;
  annotation?: string | null;
  comment?: string;
}

const DEFAULTS: Record<string, Required<Pick<PlSpec, 'shares' | 'lendable' | 'queues' | 'handSize'>>> = {
  system: { shares: 30, lendable: 33, queues: 64, handSize: 6 },
  'node-high': { shares: 40, lendable: 25, queues: 64, handSize: 6 },
  'leader-election': { shares: 10, lendable: 0, queues: 16, handSize: 4 },
  'workload-high': { shares: 40, lendable: 50, queues: 128, handSize: 6 },
  'workload-low': { shares: 100, lendable: 90, queues: 128, handSize: 6 },
  'global-default': { shares: 20, lendable: 50, queues: 128, handSize: 6 },
};

/** A limited level; a suggested name starts from its suggested spec, annotated "false" unless told otherwise. */
function pl(p: PlSpec = {}): string {
  const name = p.name ?? 'system';
  const d = DEFAULTS[name] ?? { shares: 10, lendable: 0, queues: 64, handSize: 6 };
  const response = p.response ?? 'Queue';
  const lines = [`apiVersion: ${p.apiVersion ?? V1}`, 'kind: PriorityLevelConfiguration', 'metadata:', `  name: ${name}`];
  const annotation = p.annotation === undefined ? 'false' : p.annotation;
  if (annotation !== null) lines.push('  annotations:', `    apf.kubernetes.io/autoupdate-spec: ${JSON.stringify(annotation)}`);
  if (p.comment) lines.push(`# ${p.comment}`);
  lines.push(
    'spec:',
    `  type: ${p.type ?? 'Limited'}`,
    '  limited:',
    `    ${p.sharesField ?? 'nominalConcurrencyShares'}: ${p.shares ?? d.shares}`,
    `    lendablePercent: ${p.lendable ?? d.lendable}`,
    '    limitResponse:',
    `      type: ${response}`,
  );
  if (response === 'Queue') {
    lines.push('      queuing:', `        queues: ${p.queues ?? d.queues}`, `        handSize: ${p.handSize ?? d.handSize}`, `        queueLengthLimit: ${p.queueLengthLimit ?? 50}`);
  }
  return `${lines.join('\n')}\n`;
}

const F = 'cluster/apf.yaml';
const F2 = 'cluster/apf-levels.yaml';
const doc = (...parts: string[]) => parts.join('---\n');

const finding = findingAt;

// --- exempt ------------------------------------------------------------------------------------------------
const exemptAuthenticated = fs();
const exemptSa = fs({ name: 'kwok-controller', subjects: [{ sa: 'kwok-controller', ns: 'kube-system' }] });
const exemptNamedUsers = fs({ name: 'break-glass', subjects: [{ user: 'sre-oncall' }, { user: 'sre-backup' }] });
const exemptUserStar = fs({ name: 'everyone', subjects: [{ user: '*' }] });
const probesLike = fs({ name: 'lb-probes', subjects: [{ group: 'system:unauthenticated' }, { group: 'system:authenticated' }], resourceRules: null, nonResourceURLs: ['/healthz', '/readyz', '/livez', '/readyz/*'] });
const mandatoryExempt = fs({ name: 'exempt', precedence: 1, subjects: [{ group: 'system:masters' }], annotation: 'true' });
const toWorkloadHigh = fs({ level: 'workload-high' });
const namedPlusGroup = fs({ name: 'break-glass', subjects: [{ user: 'sre-oncall' }, { group: 'sre' }] });
const namedOnly = fs({ name: 'break-glass', subjects: [{ user: 'sre-oncall' }] });
const twoGroups = fs({ subjects: [{ group: 'system:authenticated' }, { group: 'ci' }] });
const customAutoUpdate = fs({ name: 'ci-deployer', annotation: 'true' });
const probesEdited = fs({ name: 'probes', precedence: 2, subjects: [{ group: 'system:authenticated' }] });

// --- low-precedence ----------------------------------------------------------------------------------------
const early = fs({ name: 'batch', level: 'workload-low', precedence: 300 });
const earlySa = fs({ name: 'batch', level: 'workload-low', precedence: 850, subjects: [{ group: 'system:serviceaccounts' }] });
const late = fs({ name: 'batch', level: 'workload-low', precedence: 950 });
const lowered = fs({ name: 'batch', level: 'workload-low', precedence: 450 });
const earlyCrdOnly = fs({
  name: 'batch',
  level: 'workload-low',
  precedence: 300,
  resourceRules: ['    - verbs: ["*"]', '      apiGroups: ["batch.example.com"]', '      resources: ["*"]', '      namespaces: ["*"]'],
});
const earlyUnauthenticated = fs({ name: 'anon', level: 'workload-low', precedence: 300, subjects: [{ group: 'system:unauthenticated' }] });
const earlyNamespaceSa = fs({ name: 'batch', level: 'workload-low', precedence: 300, subjects: [{ group: 'system:serviceaccounts:team-a' }] });
const earlyNoPrecedence = fs({ name: 'batch', level: 'workload-low', precedence: null });

// --- system-level ------------------------------------------------------------------------------------------
const systemDefault = pl();
const systemDefaultOwned = pl({ annotation: 'true' });
const systemLow = pl({ shares: 5 });
const systemTen = pl({ shares: 10 });
const systemLowOwned = pl({ shares: 5, annotation: null });
const systemLowOwnedTrue = pl({ shares: 5, annotation: 'true' });
const systemLowCommented = pl({ shares: 5, comment: 'reviewed' });
const systemLowAnnotated = pl({ shares: 5 }).replace('  annotations:\n', '  annotations:\n    example.com/reviewed-by: platform-team\n');
const systemQueuesDown = pl({ queues: 16 });
const systemLendNone = pl({ lendable: 0 });
const nodeHighReject = pl({ name: 'node-high', response: 'Reject' });
const leaderV1beta2 = pl({ name: 'leader-election', apiVersion: 'flowcontrol.apiserver.k8s.io/v1beta2', sharesField: 'assuredConcurrencyShares', shares: 2 });
const globalUp = pl({ name: 'global-default', shares: 100 });
const workloadHighDown = pl({ name: 'workload-high', shares: 10 });
const workloadLowDown = pl({ name: 'workload-low', shares: 10 });
const systemExempt = pl({ type: 'Exempt' });
const catchAllEdited = pl({ name: 'catch-all', shares: 1, response: 'Reject' });

// --- reject ------------------------------------------------------------------------------------------------
const batchLevelReject = pl({ name: 'batch', response: 'Reject' });
const batchLevelQueue = pl({ name: 'batch' });
const batchRoute = fs({ name: 'batch', level: 'batch', precedence: 5000, subjects: [{ sa: 'runner', ns: 'ci' }] });
const batchRouteUser = fs({ name: 'batch', level: 'batch', precedence: 5000, subjects: [{ user: 'report-bot' }] });
const batchRouteMore = fs({ name: 'batch', level: 'batch', precedence: 5000, subjects: [{ sa: 'runner', ns: 'ci' }, { group: 'system:serviceaccounts:ci' }] });
const workloadLowReject = pl({ name: 'workload-low', response: 'Reject' });
const toCatchAll = fs({ name: 'leftovers', level: 'catch-all', precedence: 5000, subjects: [{ group: 'system:serviceaccounts' }] });

const ODD = `apiVersion: ${V1}
kind: FlowSchema
metadata:
  name: odd
spec:
  priorityLevelConfiguration: exempt
  matchingPrecedence: "low"
  rules: "everything"
---
apiVersion: ${V1}
kind: FlowSchema
metadata:
  name: odd-2
spec:
  priorityLevelConfiguration: {name: exempt}
  rules:
  - subjects: ["system:authenticated", 7, null]
    resourceRules: "all"
  - "x"
---
apiVersion: ${V1}
kind: PriorityLevelConfiguration
metadata:
  name: system
  annotations: "false"
spec: "limited"
---
apiVersion: ${V1}
kind: PriorityLevelConfiguration
metadata:
  name: node-high
  annotations: {apf.kubernetes.io/autoupdate-spec: "false"}
spec:
  type: Limited
  limited: [1, 2]
`;

ruleTester(apiPriorityFairness).run({
  valid: [
    // The mandatory `exempt` FlowSchema (precedence 1) already exempts system:masters: nothing changes.
    { name: 'exempt: group system:masters only', files: { [F]: fs({ name: 'masters-exempt', subjects: [{ group: 'system:masters' }] }) } },
    // exempt
    { name: 'exempt: a break-glass FlowSchema for named users only', files: { [F]: exemptNamedUsers } },
    { name: 'exempt: health probes only, for every group (like the suggested "probes")', files: { [F]: probesLike } },
    { name: 'exempt: a copy of the mandatory "exempt" FlowSchema (the API server keeps it fixed)', files: { [F]: mandatoryExempt } },
    { name: 'exempt: an existing broad exempt FlowSchema, comment-only edit', base: { [F]: exemptAuthenticated }, files: { [F]: fs({ comment: 'owner: platform' }) } },
    { name: 'exempt: an existing broad exempt FlowSchema, annotation-only edit', base: { [F]: exemptAuthenticated }, files: { [F]: fs({ annotation: 'false' }) } },
    { name: 'exempt: narrowing an exempt FlowSchema (a group removed)', base: { [F]: twoGroups }, files: { [F]: exemptAuthenticated } },
    { name: 'exempt: moving a broad FlowSchema off exempt', base: { [F]: exemptAuthenticated }, files: { [F]: toWorkloadHigh } },
    { name: 'exempt: a named break-glass user keeps being named', base: { [F]: namedOnly }, files: { [F]: exemptNamedUsers } },
    { name: 'exempt: a broad FlowSchema deleted (blast-radius/deletion judges it)', base: { [F]: exemptAuthenticated, [F2]: systemDefault }, files: { [F2]: systemDefault } },
    // low-precedence
    { name: 'low-precedence: system:authenticated at 950, after every suggested system FlowSchema', files: { [F]: late } },
    { name: 'low-precedence: precedence unset (1000)', files: { [F]: earlyNoPrecedence } },
    { name: 'low-precedence: at 300 but only for a CRD group', files: { [F]: earlyCrdOnly } },
    { name: 'low-precedence: system:unauthenticated at 300 (no system FlowSchema matches anonymous requests)', files: { [F]: earlyUnauthenticated } },
    { name: 'low-precedence: one namespace\'s service accounts at 300', files: { [F]: earlyNamespaceSa } },
    { name: 'low-precedence: an existing early FlowSchema, comment-only edit', base: { [F]: early }, files: { [F]: early.replace('spec:', '# reviewed\nspec:') } },
    { name: 'low-precedence: precedence raised from 300 to 950', base: { [F]: early }, files: { [F]: late } },
    // system-level
    { name: 'system-level: a copy of the suggested "system" level', files: { [F]: systemDefault } },
    { name: 'system-level: a copy of the suggested level left to the API server', files: { [F]: systemDefaultOwned } },
    { name: 'system-level: an edit back to the suggested spec', base: { [F]: systemLow }, files: { [F]: systemDefault } },
    { name: 'system-level: an existing override, comment-only edit', base: { [F]: systemLow }, files: { [F]: systemLowCommented } },
    { name: 'system-level: an existing override, annotation-only edit', base: { [F]: systemLow }, files: { [F]: systemLowAnnotated } },
    { name: 'system-level: an unchanged manifest the API server keeps undoing, comment-only edit', base: { [F]: systemLowOwned }, files: { [F]: pl({ shares: 5, annotation: null, comment: 'x' }) } },
    { name: 'system-level: an override handed back to the API server', base: { [F]: systemLow }, files: { [F]: systemLowOwnedTrue } },
    { name: 'system-level: workload-low shares (not a system level)', files: { [F]: workloadLowDown } },
    { name: 'system-level: an invalid type the API server rejects', files: { [F]: systemExempt } },
    { name: 'system-level: the mandatory catch-all level edited (the API server rejects it)', base: { [F]: pl({ name: 'catch-all', response: 'Reject' }) }, files: { [F]: catchAllEdited } },
    { name: 'system-level: a level deleted (blast-radius/deletion judges it)', base: { [F]: systemLow, [F2]: exemptNamedUsers }, files: { [F2]: exemptNamedUsers } },
    // reject
    { name: 'reject: a Queue level for a service account', files: { [F]: doc(batchLevelQueue, batchRoute) } },
    { name: 'reject: a Reject level no FlowSchema routes to', files: { [F]: batchLevelReject } },
    { name: 'reject: a Reject level only a named user is routed to', files: { [F]: doc(batchLevelReject, batchRouteUser) } },
    { name: 'reject: an existing Reject level for workloads, comment-only edit', base: { [F]: doc(batchLevelReject, batchRoute) }, files: { [F]: doc(pl({ name: 'batch', response: 'Reject', comment: 'x' }), batchRoute) } },
    { name: 'reject: an existing Reject level, shares edited', base: { [F]: doc(batchLevelReject, batchRoute) }, files: { [F]: doc(pl({ name: 'batch', response: 'Reject', shares: 20 }), batchRoute) } },
    // odd input
    { name: 'odd input: strings where maps and lists are expected', files: { [F]: ODD } },
    { name: 'odd input: an unknown API version', files: { [F]: exemptAuthenticated.replace(V1, 'flowcontrol.apiserver.k8s.io/v1alpha9') } },
    { name: 'odd input: a FlowSchema of another API group', files: { [F]: exemptAuthenticated.replace(V1, 'example.com/v1') } },
  ],
  invalid: [
    // exempt
    {
      name: 'exempt: system:authenticated routed to exempt',
      files: { [F]: exemptAuthenticated },
      findings: [
        finding('high', 'exempt', exemptAuthenticated, 'name: exempt', [
          'requests of group "system:authenticated" go to the "exempt" priority level through FlowSchema "ci-deployer"',
          'lock-out risk:',
          'kubectl delete flowschema ci-deployer',
          'system:masters',
        ]),
      ],
    },
    {
      name: 'exempt: a controller service account routed to exempt (the kwok recipe)',
      files: { [F]: exemptSa },
      findings: [finding('high', 'exempt', exemptSa, 'name: exempt', ['service account "kube-system/kwok-controller"'])],
    },
    { name: 'exempt: user "*"', files: { [F]: exemptUserStar }, findings: [finding('high', 'exempt', exemptUserStar, 'name: exempt', ['user "*"'])] },
    {
      name: 'exempt: an existing FlowSchema moved to exempt',
      base: { [F]: toWorkloadHigh },
      files: { [F]: exemptAuthenticated },
      findings: [finding('high', 'exempt', exemptAuthenticated, 'name: exempt')],
    },
    {
      name: 'exempt: a group added next to a named break-glass user: only the group is named',
      base: { [F]: namedOnly },
      files: { [F]: namedPlusGroup },
      findings: [finding('high', 'exempt', namedPlusGroup, 'name: exempt', ['requests of group "sre" go to'])],
    },
    {
      name: 'exempt: an unknown FlowSchema annotated for auto-update is deleted by the API server (one level lower)',
      files: { [F]: customAutoUpdate },
      findings: [finding('medium', 'exempt', customAutoUpdate, 'name: exempt', ['the API server deletes this object within a minute'])],
    },
    {
      name: 'exempt: the suggested "probes" FlowSchema widened without autoupdate-spec "false" (one level lower)',
      files: { [F]: probesEdited },
      findings: [finding('medium', 'exempt', probesEdited, 'name: exempt', ['restores the suggested spec within a minute', 'apf.kubernetes.io/autoupdate-spec unset'])],
    },
    // low-precedence
    {
      name: 'low-precedence: system:authenticated at 300 takes traffic ahead of the node and controller schemas',
      files: { [F]: early },
      findings: [
        finding('medium', 'low-precedence', early, 'matchingPrecedence: 300', [
          'core API requests of group "system:authenticated" match FlowSchema "batch" (matchingPrecedence 300) ahead of the suggested FlowSchemas "system-node-high" (400, node heartbeats), "system-nodes" (500, kubelets)',
          'priority level "workload-low"',
        ]),
      ],
    },
    {
      name: 'low-precedence: system:serviceaccounts at 850 takes kube-system controllers only',
      files: { [F]: earlySa },
      findings: [finding('medium', 'low-precedence', earlySa, 'matchingPrecedence: 850', ['ahead of the suggested FlowSchema "kube-system-service-accounts" (900, kube-system controllers):'])],
    },
    {
      name: 'low-precedence: precedence lowered from 950 to 450',
      base: { [F]: late },
      files: { [F]: lowered },
      findings: [finding('medium', 'low-precedence', lowered, 'matchingPrecedence: 450', ['"system-nodes" (500, kubelets)'])],
    },
    // system-level
    {
      name: 'system-level: "system" overridden with 5 shares',
      files: { [F]: systemLow },
      findings: [
        finding('high', 'system-level', systemLow, 'nominalConcurrencyShares: 5', [
          'priority level "system" departs from the suggested spec: nominalConcurrencyShares 30 → 5 (about 74 → 14 of 600 seats per API server)',
          'kubelets cannot fetch the secrets',
          'lock-out risk:',
          'kubectl annotate prioritylevelconfiguration system apf.kubernetes.io/autoupdate-spec=true --overwrite',
        ]),
      ],
    },
    {
      name: 'system-level: an existing override edited from 10 to 5 shares',
      base: { [F]: systemTen },
      files: { [F]: systemLow },
      findings: [finding('high', 'system-level', systemLow, 'nominalConcurrencyShares: 5', ['priority level "system" changes: nominalConcurrencyShares 10 → 5'])],
    },
    {
      name: 'system-level: node-high answers overload with Reject',
      files: { [F]: nodeHighReject },
      findings: [finding('high', 'system-level', nodeHighReject, 'type: Reject', ['limitResponse.type Queue → Reject', 'nodes turn NotReady', 'lock-out risk:'])],
    },
    {
      name: 'system-level: leader-election in v1beta2 (assuredConcurrencyShares)',
      files: { [F]: leaderV1beta2 },
      findings: [finding('high', 'system-level', leaderV1beta2, 'assuredConcurrencyShares: 2', ['nominalConcurrencyShares 10 → 2', 'lose leadership'])],
    },
    {
      name: 'system-level: global-default shares raised shrink every other level',
      files: { [F]: globalUp },
      findings: [finding('high', 'system-level', globalUp, 'nominalConcurrencyShares: 100', ['about 49 → 185 of 600 seats', '"workload-low", which serves every other service account, goes from about 245 to 185 seats'])],
    },
    {
      name: 'system-level: fewer queues for "system" (medium, still starving)',
      files: { [F]: systemQueuesDown },
      findings: [finding('medium', 'system-level', systemQueuesDown, 'queues: 16', ['queuing.queues 64 → 16', 'lock-out risk:'])],
    },
    {
      name: 'system-level: "system" lends nothing (medium)',
      files: { [F]: systemLendNone },
      findings: [finding('medium', 'system-level', systemLendNone, 'lendablePercent: 0', ['lendablePercent 33 → 0', 'lends, borrows or queues'])],
    },
    {
      name: 'system-level: workload-high shares lowered (medium)',
      files: { [F]: workloadHighDown },
      findings: [finding('medium', 'system-level', workloadHighDown, 'nominalConcurrencyShares: 10', ['priority level "workload-high"', 'scheduled and replaced more slowly'])],
    },
    {
      name: 'system-level: an edit the API server undoes (annotation unset) is one level lower',
      files: { [F]: systemLowOwned },
      findings: [finding('medium', 'system-level', systemLowOwned, 'nominalConcurrencyShares: 5', ['the API server owns this suggested object (apf.kubernetes.io/autoupdate-spec unset, not "false")'])],
    },
    {
      name: 'system-level: an edit the API server undoes (annotation "true")',
      base: { [F]: systemDefaultOwned },
      files: { [F]: systemLowOwnedTrue },
      findings: [finding('medium', 'system-level', systemLowOwnedTrue, 'nominalConcurrencyShares: 5', ['apf.kubernetes.io/autoupdate-spec "true"'])],
    },
    {
      name: 'system-level: only the annotation flipped to "false" makes an old edit take effect',
      base: { [F]: systemLowOwned },
      files: { [F]: systemLow },
      findings: [finding('high', 'system-level', systemLow, 'apf.kubernetes.io/autoupdate-spec', ['nominalConcurrencyShares 30 → 5'])],
    },
    // reject
    {
      name: 'reject: a new Reject level for a CI service account',
      files: { [F]: doc(batchLevelReject, batchRoute) },
      findings: [finding('medium', 'reject', doc(batchLevelReject, batchRoute), 'type: Reject', ['priority level "batch" serves workloads through FlowSchema "batch" (service account "ci/runner")', 'HTTP 429', 'about 24 seats'])],
    },
    {
      name: 'reject: an existing Queue level switched to Reject',
      base: { [F]: doc(batchLevelQueue, batchRoute) },
      files: { [F]: doc(batchLevelReject, batchRoute) },
      findings: [finding('medium', 'reject', doc(batchLevelReject, batchRoute), 'type: Reject')],
    },
    {
      name: 'reject: workload-low rejects (every service account, through the suggested FlowSchema)',
      files: { [F]: workloadLowReject },
      findings: [finding('medium', 'reject', workloadLowReject, 'type: Reject', ['the suggested FlowSchema "service-accounts" (every service account)'])],
    },
    {
      name: 'reject: a FlowSchema sends every service account to the mandatory catch-all level',
      files: { [F]: toCatchAll },
      findings: [finding('medium', 'reject', toCatchAll, 'name: catch-all', ['requests of group "system:serviceaccounts" go through FlowSchema "leftovers" to priority level "catch-all"', 'about 13 seats'])],
    },
    {
      name: 'reject: a FlowSchema widened to a namespace group on an existing Reject level',
      base: { [F]: doc(batchLevelReject, batchRoute) },
      files: { [F]: doc(batchLevelReject, batchRouteMore) },
      findings: [finding('medium', 'reject', doc(batchLevelReject, batchRouteMore), 'name: batch', ['requests of group "system:serviceaccounts:ci" go through'], 3)],
    },
  ],
});

const FLEET = `fleet:
  clusters:
    - { name: canary-1, nodes: 60, stage: canary, paths: ["**"] }
    - { name: prod-us, nodes: 4800, stage: prod, paths: ["**"] }
    - { name: prod-eu, nodes: 3200, stage: prod, paths: ["**"] }
rollout: { stages: [canary, prod] }
`;

describe('blast-radius/api-priority-fairness details', () => {
  it('reports a shared file once, over every cluster it reaches', () => {
    const result = runCase(apiPriorityFairness, { name: 'x', config: FLEET, files: { 'infrastructure/apf.yaml': exemptAuthenticated } });
    expect(result.notes).toEqual([]);
    expect(result.live).toHaveLength(1);
    expect(result.live[0].clusters).toEqual(['canary-1', 'prod-eu', 'prod-us']);
    expect(result.live[0].resource).toBe('FlowSchema/ci-deployer');
    expect(result.live[0].data).toMatchObject({ subjects: ['group "system:authenticated"'], inForce: true });
  });

  it('reports each clusters\' copy where the base differs', () => {
    const per = `fleet:
  clusters:
    - { name: canary-1, nodes: 60, stage: canary, paths: ["clusters/canary-1/**"] }
    - { name: prod-us, nodes: 4800, stage: prod, paths: ["clusters/prod-us/**"] }
rollout: { stages: [canary, prod] }
`;
    const result = runCase(apiPriorityFairness, {
      name: 'x',
      config: per,
      base: { 'clusters/canary-1/apf.yaml': systemLow },
      files: { 'clusters/canary-1/apf.yaml': systemLow, 'clusters/prod-us/apf.yaml': systemLow },
    });
    expect(result.live.map((f) => [f.file, f.clusters, f.severity])).toEqual([['clusters/prod-us/apf.yaml', ['prod-us'], 'high']]);
  });

  it('keeps a finding suppressed with the ignore annotation', () => {
    const text = fs({ annotation: null }).replace('  name: ci-deployer', '  name: ci-deployer\n  annotations:\n    blast-radius.dev/ignore: "blast-radius/api-priority-fairness -- lab cluster"');
    const result = runCase(apiPriorityFairness, { name: 'x', files: { [F]: text } });
    expect(result.live).toEqual([]);
    expect(result.suppressed.map((f) => f.key)).toEqual(['exempt']);
  });

  it('accepts every served flowcontrol version', () => {
    for (const v of ['v1', 'v1beta3', 'v1beta2', 'v1beta1']) {
      const result = runCase(apiPriorityFairness, { name: v, files: { [F]: fs({ apiVersion: `flowcontrol.apiserver.k8s.io/${v}` }) } });
      expect(result.live.map((f) => f.key), v).toEqual(['exempt']);
    }
  });
});

/** Every YAML file under a folder. */
function yamlFiles(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...yamlFiles(p));
    else if (/\.ya?ml$/.test(name)) out.push(p);
  }
  return out;
}

describe.skipIf(!HAS_CORPUS)('real-world manifests', () => {
  it('the corpus holds no FlowSchema or PriorityLevelConfiguration (kube-prometheus included)', () => {
    const hits = yamlFiles(CORPUS_DIR).filter((p) => /^kind:\s*(FlowSchema|PriorityLevelConfiguration)\s*$/m.test(readFileSync(p, 'utf8')));
    expect(hits).toEqual([]);
  });
});

// The bootstrap objects exactly as the API server creates them (default.go, annotated "true"), as a repository
// exporting them from a cluster holds them: copies are quiet; an edit the API server undoes is one level lower.
const BOOTSTRAP = doc(
  pl({ name: 'system', annotation: 'true' }),
  pl({ name: 'node-high', annotation: 'true' }),
  pl({ name: 'leader-election', annotation: 'true' }),
  pl({ name: 'workload-high', annotation: 'true' }),
  pl({ name: 'workload-low', annotation: 'true' }),
  pl({ name: 'global-default', annotation: 'true' }),
  fs({ name: 'probes', precedence: 2, annotation: 'true', subjects: [{ group: 'system:unauthenticated' }, { group: 'system:authenticated' }], resourceRules: null, nonResourceURLs: ['/healthz', '/readyz', '/livez'] }),
  fs({ name: 'system-nodes', level: 'system', precedence: 500, annotation: 'true', subjects: [{ group: 'system:nodes' }] }),
  fs({ name: 'kube-system-service-accounts', level: 'workload-high', precedence: 900, annotation: 'true', subjects: [{ sa: '"*"', ns: 'kube-system' }] }),
  fs({ name: 'service-accounts', level: 'workload-low', precedence: 9000, annotation: 'true', subjects: [{ group: 'system:serviceaccounts' }] }),
  fs({ name: 'global-default', level: 'global-default', precedence: 9900, annotation: 'true', subjects: [{ group: 'system:unauthenticated' }, { group: 'system:authenticated' }] }),
);

ruleTester(apiPriorityFairness).run({
  valid: [
    { name: 'bootstrap objects exported from a cluster, added', files: { [F]: BOOTSTRAP } },
    { name: 'bootstrap objects, an annotation added to each level', base: { [F]: BOOTSTRAP }, files: { [F]: BOOTSTRAP.replaceAll('  annotations:\n', '  annotations:\n    example.com/reviewed-by: platform-team\n') } },
  ],
  invalid: [
    {
      name: 'bootstrap objects, node-high shares halved in the export (the API server undoes it)',
      base: { [F]: BOOTSTRAP },
      files: { [F]: BOOTSTRAP.replace('  name: node-high\n', '  name: node-high\n').replace('nominalConcurrencyShares: 40\n    lendablePercent: 25', 'nominalConcurrencyShares: 20\n    lendablePercent: 25') },
      findings: [
        {
          severity: 'medium',
          key: 'system-level',
          line: lineOf(BOOTSTRAP.replace('nominalConcurrencyShares: 40\n    lendablePercent: 25', 'nominalConcurrencyShares: 20\n    lendablePercent: 25'), 'nominalConcurrencyShares: 20'),
          messageIncludes: ['priority level "node-high" changes: nominalConcurrencyShares 40 → 20', 'restores the suggested spec'],
        },
      ],
    },
  ],
});

const docExample = (heading: string) => docExampleOf('blast-radius/api-priority-fairness', heading);

const DOC_INCORRECT = docExample('Incorrect');
ruleTester(apiPriorityFairness).run({
  valid: [{ name: 'doc: the Correct example', files: { [F]: docExample('Correct') } }],
  invalid: [
    {
      name: 'doc: the Incorrect example',
      files: { [F]: DOC_INCORRECT },
      findings: [
        { severity: 'high', key: 'exempt', line: lineOf(DOC_INCORRECT, 'name: exempt') },
        { severity: 'high', key: 'system-level', line: lineOf(DOC_INCORRECT, 'nominalConcurrencyShares: 10'), messageIncludes: ['about 98 → 28 of 600 seats'] },
      ],
    },
  ],
});
