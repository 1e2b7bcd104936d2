/**
 * Table tests of blast-radius/priority-class-default. Each dangerous case has a safe twin next to it; lines are
 * looked up in the case's own YAML. The corpus holds no PriorityClass object (only chart values naming one), so
 * there is no real-world table here: the Datadog chart's default `priorityClassValue: 1000000000` with
 * PreemptLowerPriority is reproduced as a synthetic case instead.
 */
import { describe, expect, it } from 'vitest';
import { priorityClassDefault } from '../../../rules/blast-radius/priority-class-default.js';
import { lineContaining, ruleTester, runCase, type ExpectedFinding } from '../../helpers/rule-tester.js';

const lineOf = lineContaining;

interface PcSpec {
  name?: string;
  apiVersion?: string;
  /** Written as given (a string stays a YAML string); `null` leaves the field out. */
  value?: number | string | null;
  globalDefault?: boolean | string | null;
  preemptionPolicy?: string | null;
  annotations?: Record<string, string>;
}

function pc(p: PcSpec = {}): string {
  const lines = [`apiVersion: ${p.apiVersion ?? 'scheduling.k8s.io/v1'}`, 'kind: PriorityClass', 'metadata:', `  name: ${p.name ?? 'batch-default'}`];
  if (p.annotations) lines.push('  annotations:', ...Object.entries(p.annotations).map(([k, v]) => `    ${k}: ${JSON.stringify(v)}`));
  if (p.value !== null) lines.push(`value: ${JSON.stringify(p.value ?? 1000)}`);
  if (p.globalDefault !== undefined && p.globalDefault !== null) lines.push(`globalDefault: ${JSON.stringify(p.globalDefault)}`);
  if (p.preemptionPolicy !== undefined && p.preemptionPolicy !== null) lines.push(`preemptionPolicy: ${p.preemptionPolicy}`);
  lines.push('description: "test class"');
  return `${lines.join('\n')}\n`;
}

const FILE = 'infra/priority-classes.yaml';
const file = (text: string) => ({ [FILE]: text });
const docs = (...texts: string[]) => texts.join('---\n');

const high = (text: string, messageIncludes?: string[], nth = 1): ExpectedFinding => ({
  severity: 'high',
  key: 'global-default',
  line: lineOf(text, 'globalDefault:', nth),
  ...(messageIncludes ? { messageIncludes } : {}),
});
const medium = (text: string, messageIncludes?: string[], nth = 1): ExpectedFinding => ({
  severity: 'medium',
  key: 'high-value',
  line: lineOf(text, 'value:', nth),
  ...(messageIncludes ? { messageIncludes } : {}),
});

const TWO_CLUSTERS = `fleet:
  clusters:
    - { name: canary-1, nodes: 60, stage: canary, paths: ["clusters/canary-1/**"] }
    - { name: prod-us, nodes: 4800, stage: prod, paths: ["clusters/prod-us/**"] }
rollout: { stages: [canary, prod] }
`;
const SHARED = `fleet:
  clusters:
    - { name: canary-1, nodes: 60, stage: canary, paths: ["**"] }
    - { name: prod-us, nodes: 4800, stage: prod, paths: ["**"] }
rollout: { stages: [canary, prod] }
`;

// ---- fixtures -------------------------------------------------------------------------------------

const defaultTrue = pc({ globalDefault: true });
const defaultFalse = pc({ globalDefault: false });
const defaultTrueNever = pc({ globalDefault: true, preemptionPolicy: 'Never' });
const defaultNegative = pc({ name: 'best-effort', value: -10, globalDefault: true });
const defaultZero = pc({ name: 'default-zero', value: 0, globalDefault: true });
const defaultZeroNever = pc({ name: 'default-zero', value: 0, globalDefault: true, preemptionPolicy: 'Never' });
const defaultBeta = pc({ apiVersion: 'scheduling.k8s.io/v1beta1', globalDefault: true });
const defaultAlpha = pc({ apiVersion: 'scheduling.k8s.io/v1alpha1', globalDefault: true });
const twoDefaults = docs(pc({ name: 'batch-default', value: 1000, globalDefault: true }), pc({ name: 'low-default', value: 10, globalDefault: true }));
const datadogLike = pc({ name: 'datadog-agent', value: 1_000_000_000, preemptionPolicy: 'PreemptLowerPriority' });
const datadogNever = pc({ name: 'datadog-agent', value: 1_000_000_000, preemptionPolicy: 'Never' });
const tenthOfMax = pc({ name: 'platform-high', value: 100_000_000 });
const justBelow = pc({ name: 'platform-medium', value: 99_999_999 });
const common = pc({ name: 'high-priority', value: 1_000_000 });
const tooHigh = pc({ name: 'almost-system', value: 2_000_000_000 });
const tooHighDefault = pc({ name: 'almost-system', value: 2_000_000_000, globalDefault: true });
const systemClass = pc({ name: 'system-cluster-critical', value: 2_000_000_000 });
const highDefault = pc({ name: 'platform-default', value: 500_000_000, globalDefault: true });
const typoPolicy = pc({ name: 'platform-high', value: 500_000_000, preemptionPolicy: 'never' });
const ignored = pc({ globalDefault: true, annotations: { 'blast-radius.dev/ignore': 'blast-radius/priority-class-default -- every workload sets priorityClassName; reviewed' } });
const listKind = `apiVersion: v1
kind: List
items:
- apiVersion: scheduling.k8s.io/v1
  kind: PriorityClass
  metadata:
    name: from-a-list
  value: 100
  globalDefault: true
`;
const oddInput = docs(
  pc({ name: 'string-value', value: '1000', globalDefault: true }),
  pc({ name: 'string-default', globalDefault: 'true' }),
  pc({ name: 'no-value', value: null, globalDefault: true }),
  'apiVersion: scheduling.k8s.io/v1\nkind: PriorityClass\nmetadata:\n  name: float\nvalue: 1.5\nglobalDefault: true\n',
  'apiVersion: scheduling.k8s.io/v1\nkind: PriorityClass\nmetadata:\n  name: map-value\nvalue: {a: 1}\nglobalDefault: [true]\npreemptionPolicy: {x: 1}\n',
  'apiVersion: scheduling.k8s.io/v1\nkind: PriorityClass\nmetadata:\n  name: out-of-range\nvalue: 99999999999\nglobalDefault: true\n',
  'apiVersion: scheduling.k8s.io/v1\nkind: PriorityClass\n',
  'apiVersion: scheduling.k8s.io/v2\nkind: PriorityClass\nmetadata:\n  name: future\nvalue: 1000\nglobalDefault: true\n',
  'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: not-a-class\ndata:\n  globalDefault: "true"\n',
);
const oddButValid = `apiVersion: scheduling.k8s.io/v1
kind: PriorityClass
metadata:
  name: odd
  labels: nope
value: 5
globalDefault: true
preemptionPolicy: 7
`;

ruleTester(priorityClassDefault).run({
  valid: [
    { name: 'globalDefault false (twin of the high case)', files: file(defaultFalse) },
    { name: 'globalDefault unset', files: file(pc()) },
    { name: 'a common high-priority class (1,000,000) is below the threshold', files: file(common) },
    { name: 'just below the threshold (99,999,999)', files: file(justBelow) },
    { name: 'value at the ceiling with preemptionPolicy Never (twin of the Datadog-like case)', files: file(datadogNever) },
    { name: 'the built-in system-cluster-critical written into the repository', files: file(systemClass) },
    { name: 'base already had the same global default', base: file(defaultTrue), files: file(defaultTrue) },
    {
      name: 'base already had the global default and the high value; the PR only adds an annotation',
      base: file(docs(defaultTrue, datadogLike)),
      files: file(docs(pc({ globalDefault: true, annotations: { 'example.com/owner': 'platform' } }), pc({ name: 'datadog-agent', value: 1_000_000_000, preemptionPolicy: 'PreemptLowerPriority', annotations: { 'example.com/owner': 'platform' } }))),
    },
    {
      name: 'base already had it; the PR only edits the description and a comment',
      base: file(defaultTrue),
      files: file(`# reviewed by SRE\n${defaultTrue.replace('"test class"', '"default for batch"')}`),
    },
    {
      name: 'ignore annotation suppresses the finding',
      files: file(ignored),
      suppressed: [high(ignored)],
    },
    { name: 'rule turned off in the config', files: file(defaultTrue), config: 'rules:\n  blast-radius/priority-class-default: off\n' },
    { name: 'odd input never throws and values that never decode are quiet', files: { 'odd.yaml': oddInput } },
    {
      name: 'a global default unchanged in its cluster folder',
      config: TWO_CLUSTERS,
      base: { 'clusters/canary-1/pc.yaml': defaultTrue },
      files: { 'clusters/canary-1/pc.yaml': defaultTrue },
    },
  ],
  invalid: [
    {
      name: 'globalDefault true with the default preemption policy',
      files: file(defaultTrue),
      findings: [
        high(defaultTrue, [
          'globalDefault: true makes PriorityClass "batch-default" the global default',
          'every pod created without a priorityClassName, in every namespace',
          'priority 1,000 and preemptionPolicy "PreemptLowerPriority" (unset: the default)',
          'about 30 pods a node, every pod of a cluster of N nodes up to 30·N',
          'outrank every pod created before it (priority 0) and every class valued below 1,000',
          'the scheduler evicts lower-priority pods to place them',
          'pods that exist keep their priority',
        ]),
      ],
    },
    {
      name: 'globalDefault true with preemptionPolicy Never',
      files: file(defaultTrueNever),
      findings: [high(defaultTrueNever, ['preemptionPolicy "Never"', 'in the scheduling queue, but never evict anything'])],
    },
    {
      name: 'a negative global default puts every new pod below the existing ones',
      files: file(defaultNegative),
      findings: [high(defaultNegative, ['priority -10', 'rank below every pod created before it', 'first pods evicted'])],
    },
    {
      name: 'a zero global default changes the class written into pods, not scheduling: low',
      files: file(defaultZero),
      findings: [{ ...high(defaultZero, ['priority 0', 'scheduling does not change', 'ResourceQuota scoped to the class']), severity: 'low' }],
    },
    {
      name: 'a zero global default with Never stops new pods from preempting',
      files: file(defaultZeroNever),
      findings: [high(defaultZeroNever, ['no longer preempt lower-priority pods'])],
    },
    { name: 'scheduling.k8s.io/v1beta1', files: file(defaultBeta), findings: [high(defaultBeta)] },
    { name: 'scheduling.k8s.io/v1alpha1', files: file(defaultAlpha), findings: [high(defaultAlpha)] },
    {
      name: 'two global defaults in one deployment: each names the other, the lowest wins',
      files: file(twoDefaults),
      findings: [
        high(twoDefaults, ['also marks PriorityClass "low-default" (value 10) as global default', 'the lowest value (10) wins', 'whichever is applied second is rejected'], 1),
        high(twoDefaults, ['also marks PriorityClass "batch-default" (value 1,000) as global default', 'the lowest value (10) wins'], 2),
      ],
    },
    {
      name: 'two global defaults in different clusters do not name each other',
      config: TWO_CLUSTERS,
      files: { 'clusters/canary-1/pc.yaml': pc({ name: 'canary-default', globalDefault: true }), 'clusters/prod-us/pc.yaml': pc({ name: 'prod-default', globalDefault: true }) },
      findings: [
        { severity: 'high', key: 'global-default', line: 6 },
        { severity: 'high', key: 'global-default', line: 6 },
      ],
    },
    {
      name: 'base had globalDefault false; the PR turns it on',
      base: file(defaultFalse),
      files: file(defaultTrue),
      findings: [high(defaultTrue)],
    },
    {
      name: 'a global default that reached the canary now reaches production too',
      config: TWO_CLUSTERS,
      base: { 'clusters/canary-1/pc.yaml': defaultTrue },
      files: { 'clusters/canary-1/pc.yaml': defaultTrue, 'clusters/prod-us/pc.yaml': defaultTrue },
      findings: [{ severity: 'high', key: 'global-default', line: 6 }],
    },
    {
      name: 'one shared file reaching two clusters gives one finding',
      config: SHARED,
      files: file(defaultTrue),
      findings: [high(defaultTrue)],
    },
    {
      name: 'the Datadog chart default: 1,000,000,000 with PreemptLowerPriority',
      files: file(datadogLike),
      findings: [medium(datadogLike, ['value 1,000,000,000 of PriorityClass "datadog-agent", with preemptionPolicy "PreemptLowerPriority"', 'on every node', 'only system-cluster-critical (2,000,000,000)', 'ceiling of user classes'])],
    },
    {
      name: 'a tenth of the ceiling with the policy unset',
      files: file(tenthOfMax),
      findings: [medium(tenthOfMax, ['value 100,000,000 of PriorityClass "platform-high", with preemptionPolicy "PreemptLowerPriority" (unset: the default)'])],
    },
    {
      name: 'a value above the user ceiling is rejected by the API server',
      files: file(tooHigh),
      findings: [medium(tooHigh, ['value 2,000,000,000 of PriorityClass "almost-system" is above 1,000,000,000', 'the API server rejects it'])],
    },
    {
      name: 'a rejected value makes globalDefault moot: only the invalid value is reported',
      files: file(tooHighDefault),
      findings: [medium(tooHighDefault, ['the API server rejects it'])],
    },
    {
      name: 'a high global default gets both findings',
      files: file(highDefault),
      findings: [high(highDefault, ['priority 500,000,000']), medium(highDefault, ['value 500,000,000'])],
    },
    {
      name: 'an invalid preemptionPolicy is read as the default',
      files: file(typoPolicy),
      findings: [medium(typoPolicy, ['preemptionPolicy "never" (not a valid value; read as the default "PreemptLowerPriority")'])],
    },
    {
      name: 'a List holding a PriorityClass',
      files: { 'infra/list.yaml': listKind },
      findings: [{ severity: 'high', key: 'global-default', line: lineOf(listKind, 'globalDefault'), messageIncludes: ['PriorityClass "from-a-list"', 'priority 100'] }],
    },
    {
      name: 'labels and preemptionPolicy of the wrong type',
      files: { 'odd.yaml': oddButValid },
      findings: [{ severity: 'high', key: 'global-default', line: lineOf(oddButValid, 'globalDefault'), messageIncludes: ['preemptionPolicy "7" (not a valid value'] }],
    },
    {
      name: 'config severity override applies',
      files: file(defaultTrue),
      config: { rules: { 'blast-radius/priority-class-default': { severity: 'medium' } } },
      findings: [{ ...high(defaultTrue), severity: 'medium' }],
    },
  ],
});

describe('priority-class-default: reach of findings', () => {
  it('a shared file reaching two clusters is one finding over both', () => {
    const { live } = runCase(priorityClassDefault, { name: 'x', config: SHARED, files: file(defaultTrue) });
    expect(live).toHaveLength(1);
    expect(live[0].clusters).toEqual(['canary-1', 'prod-us']);
    expect(live[0].resource).toBe('PriorityClass/batch-default');
  });
  it('promotion to production is new only for production', () => {
    const { live } = runCase(priorityClassDefault, {
      name: 'y',
      config: TWO_CLUSTERS,
      base: { 'clusters/canary-1/pc.yaml': defaultTrue },
      files: { 'clusters/canary-1/pc.yaml': defaultTrue, 'clusters/prod-us/pc.yaml': defaultTrue },
    });
    expect(live.map((f) => f.clusters)).toEqual([['prod-us']]);
  });
});
