/**
 * Table tests of blast-radius/admission-webhook. Each dangerous case has a safe twin next to it.
 * Expected lines are looked up in the case's own YAML (`lineOf`), so a case stays readable when edited.
 */
import { describe, expect, it } from 'vitest';
import { admissionWebhook } from '../../../rules/blast-radius/admission-webhook.js';
import { diffFindings, ruleTester, runCase, validateTests, type ExpectedFinding, lineContaining } from '../../helpers/rule-tester.js';
import { annotate, HAS_CORPUS, readCorpus } from '../../helpers/corpus.js';

const lineOf = lineContaining;

const V1 = 'admissionregistration.k8s.io/v1';
const V1BETA1 = 'admissionregistration.k8s.io/v1beta1';
const NOT_KUBE_SYSTEM = { matchExpressions: [{ key: 'kubernetes.io/metadata.name', operator: 'NotIn', values: ['kube-system', 'kube-node-lease'] }] };

interface RuleSpec {
  groups?: string[];
  versions?: string[];
  resources?: string[];
  operations?: string[];
  scope?: string;
}

interface HookSpec {
  name?: string;
  /** `null` leaves the field out. */
  failurePolicy?: string | null;
  timeoutSeconds?: number | string | null;
  namespaceSelector?: unknown;
  objectSelector?: unknown;
  rules?: RuleSpec[];
  url?: string;
  extra?: string[];
}

const PODS: RuleSpec = { groups: [''], resources: ['pods'], operations: ['CREATE', 'UPDATE'] };

function hook(h: HookSpec = {}): string {
  const lines = [`- name: ${h.name ?? 'policy.example.com'}`, '  clientConfig:'];
  if (h.url) lines.push(`    url: ${h.url}`);
  else lines.push('    service:', '      namespace: policy-system', '      name: policy-webhook');
  if (h.failurePolicy !== null) lines.push(`  failurePolicy: ${h.failurePolicy ?? 'Fail'}`);
  if (h.timeoutSeconds !== undefined && h.timeoutSeconds !== null) lines.push(`  timeoutSeconds: ${JSON.stringify(h.timeoutSeconds)}`);
  if (h.namespaceSelector !== undefined) lines.push(`  namespaceSelector: ${JSON.stringify(h.namespaceSelector)}`);
  if (h.objectSelector !== undefined) lines.push(`  objectSelector: ${JSON.stringify(h.objectSelector)}`);
  lines.push('  sideEffects: None', '  admissionReviewVersions: ["v1"]', '  rules:');
  for (const r of h.rules ?? [PODS]) {
    lines.push(`  - apiGroups: ${JSON.stringify(r.groups ?? [''])}`);
    lines.push(`    apiVersions: ${JSON.stringify(r.versions ?? ['v1'])}`);
    lines.push(`    resources: ${JSON.stringify(r.resources ?? ['pods'])}`);
    lines.push(`    operations: ${JSON.stringify(r.operations ?? ['CREATE'])}`);
    if (r.scope) lines.push(`    scope: ${r.scope}`);
  }
  lines.push(...(h.extra ?? []).map((l) => `  ${l}`));
  return lines.join('\n');
}

interface ConfigSpec {
  kind?: string;
  apiVersion?: string;
  name?: string;
  annotations?: Record<string, string>;
}

function config(hooks: string[], c: ConfigSpec = {}): string {
  const lines = [`apiVersion: ${c.apiVersion ?? V1}`, `kind: ${c.kind ?? 'ValidatingWebhookConfiguration'}`, 'metadata:', `  name: ${c.name ?? 'policy'}`];
  if (c.annotations) {
    lines.push('  annotations:');
    for (const [k, v] of Object.entries(c.annotations)) lines.push(`    ${k}: ${JSON.stringify(v)}`);
  }
  lines.push('webhooks:', ...hooks);
  return `${lines.join('\n')}\n`;
}

/** A one-file case. */
const file = (text: string) => ({ 'infra/webhooks.yaml': text });

// ---- fixtures -------------------------------------------------------------------------------------

const podsFail = config([hook({ timeoutSeconds: 3 })]);
const podsIgnore = config([hook({ failurePolicy: 'Ignore', timeoutSeconds: 3 })]);
const podsFailDefaultTimeout = config([hook()]);
const podsPolicyOmitted = config([hook({ failurePolicy: null, timeoutSeconds: 2 })]);
const podsNotKubeSystem = config([hook({ namespaceSelector: NOT_KUBE_SYSTEM })]);
const podsOptInNamespace = config([hook({ namespaceSelector: { matchLabels: { 'policy.example.com/enforce': 'true' } } })]);
const podsOptInObject = config([hook({ objectSelector: { matchLabels: { 'policy.example.com/inject': 'enabled' } } })]);
const podsOptOutObject = config([hook({ timeoutSeconds: 3, objectSelector: { matchExpressions: [{ key: 'policy.example.com/skip', operator: 'DoesNotExist' }] } })]);
const v1beta1Omitted = config([hook({ failurePolicy: null })], { apiVersion: V1BETA1 });
const v1beta1Fail = config([hook({ failurePolicy: 'Fail' })], { apiVersion: V1BETA1 });
const ingresses = config([hook({ rules: [{ groups: ['networking.k8s.io'], resources: ['ingresses'], operations: ['CREATE', 'UPDATE'] }] })]);
const ingressesIgnore = config([hook({ failurePolicy: 'Ignore', rules: [{ groups: ['networking.k8s.io'], resources: ['ingresses'], operations: ['CREATE', 'UPDATE'] }] })]);
const namespacesFail = config([hook({ timeoutSeconds: 3, rules: [{ resources: ['namespaces'], operations: ['CREATE', 'UPDATE'] }] })]);
const namespacesNotKubeSystem = config([hook({ timeoutSeconds: 3, namespaceSelector: NOT_KUBE_SYSTEM, rules: [{ resources: ['namespaces'], operations: ['CREATE', 'UPDATE'] }] })]);
const appsStar = config([hook({ timeoutSeconds: 3, rules: [{ groups: ['apps'], resources: ['*'], operations: ['CREATE', 'UPDATE'] }] })]);
const timeout10 = config([hook({ timeoutSeconds: 10 })]);
const timeoutString = config([hook({ timeoutSeconds: '10' })]);
const deleteOnly = config([hook({ timeoutSeconds: 3, rules: [{ resources: ['pods'], operations: ['DELETE'] }] })]);
const gatekeeperStyle = config([
  hook({ timeoutSeconds: 3, namespaceSelector: { matchExpressions: [{ key: 'admission.gatekeeper.sh/ignore', operator: 'DoesNotExist' }] } }),
]);
const kubeSystemNamespace = (labels: Record<string, string>) =>
  ['apiVersion: v1', 'kind: Namespace', 'metadata:', '  name: kube-system', '  labels:', ...Object.entries(labels).map(([k, v]) => `    ${k}: ${JSON.stringify(v)}`), ''].join('\n');
const ignored = config([hook({ timeoutSeconds: 3 })], { annotations: { 'blast-radius.dev/ignore': 'blast-radius/admission-webhook -- backend runs 3 replicas behind a PDB; kube-system pods are exempt via matchConditions' } });
const ignoredOther = config([hook({ timeoutSeconds: 3 })], { annotations: { 'blast-radius.dev/ignore': 'blast-radius/other-rule -- not this one' } });
const listsKubeSystem = config([
  hook({ timeoutSeconds: 3, namespaceSelector: { matchExpressions: [{ key: 'kubernetes.io/metadata.name', operator: 'In', values: ['kube-system', 'some-namespace'] }] } }),
]);
const listKind = `apiVersion: v1
kind: List
items:
- apiVersion: ${V1}
  kind: MutatingWebhookConfiguration
  metadata:
    name: sidecar-injector
  webhooks:
  - name: inject.sidecar.example.com
    clientConfig:
      service: {namespace: mesh-system, name: injector}
    failurePolicy: Fail
    timeoutSeconds: 5
    sideEffects: None
    admissionReviewVersions: [v1]
    rules:
    - apiGroups: [""]
      apiVersions: [v1]
      resources: [pods]
      operations: [CREATE]
`;
const starOptIn = config([
  hook({ timeoutSeconds: 3, namespaceSelector: { matchLabels: { 'policy.example.com/enforce': 'true' } }, rules: [{ groups: ['*'], versions: ['*'], resources: ['*'], operations: ['CREATE', 'UPDATE'] }] }),
]);
const starNotKubeSystemNamespaced = config([
  hook({ timeoutSeconds: 3, namespaceSelector: NOT_KUBE_SYSTEM, rules: [{ groups: ['*'], versions: ['*'], resources: ['*'], operations: ['*'], scope: 'Namespaced' }] }),
]);
const starNotKubeSystem = config([
  hook({ timeoutSeconds: 3, namespaceSelector: NOT_KUBE_SYSTEM, rules: [{ groups: ['*'], versions: ['*'], resources: ['*'], operations: ['*'] }] }),
]);
const clusterScopePods = config([hook({ timeoutSeconds: 3, rules: [{ groups: ['*'], versions: ['*'], resources: ['*'], operations: ['CREATE'], scope: 'Cluster' }] })]);
const podsExec = config([hook({ timeoutSeconds: 3, rules: [{ resources: ['pods/exec', 'pods/attach'], operations: ['CONNECT'] }] })]);
const podsBinding = config([hook({ timeoutSeconds: 3, rules: [{ resources: ['pods/binding'], operations: ['CREATE'] }] })]);
const podsSubAll = config([hook({ timeoutSeconds: 3, rules: [{ resources: ['pods/*'], operations: ['CREATE'] }] })]);
const mutating = config([hook({ timeoutSeconds: 1 })], { kind: 'MutatingWebhookConfiguration', name: 'defaults' });
const urlBackend = config([hook({ timeoutSeconds: 3, url: 'https://policy.example.com/validate' })]);
const withConditions = config([hook({ timeoutSeconds: 3, extra: ['matchConditions:', '- name: not-kube-system', '  expression: request.namespace != "kube-system"'] })]);
const typoPolicy = config([hook({ failurePolicy: 'fail', timeoutSeconds: 3 })]);
const malformedSelector = config([hook({ namespaceSelector: { matchExpressions: [{ key: 'kubernetes.io/metadata.name', operator: 'NotEquals', values: ['kube-system'] }] } })]);
const twoHooks = config([
  hook({ name: 'open.example.com', failurePolicy: 'Ignore' }),
  hook({ name: 'closed.example.com', timeoutSeconds: 3 }),
]);
const oddInput = [
  `apiVersion: ${V1}\nkind: ValidatingWebhookConfiguration\nmetadata:\n  name: no-webhooks\n`,
  `apiVersion: ${V1}\nkind: ValidatingWebhookConfiguration\nmetadata:\n  name: webhooks-string\nwebhooks: nope\n`,
  `apiVersion: ${V1}\nkind: ValidatingWebhookConfiguration\nmetadata:\n  name: odd\nwebhooks:\n- just a string\n- null\n- name: rules-map\n  rules: {apiGroups: [""], resources: [pods], operations: [CREATE]}\n- name: rules-strings\n  rules: [pods, 42]\n- name: empty-lists\n  rules:\n  - {apiGroups: [], apiVersions: [v1], resources: [pods], operations: [CREATE]}\n- name: lowercase-ops\n  rules:\n  - {apiGroups: [""], apiVersions: [v1], resources: [pods], operations: [create]}\n- name: missing-versions\n  rules:\n  - {apiGroups: [""], resources: [pods], operations: [CREATE]}\n`,
  `apiVersion: admissionregistration.k8s.io/v2\nkind: ValidatingWebhookConfiguration\nmetadata:\n  name: future\nwebhooks:\n- name: x\n  rules:\n  - {apiGroups: ["*"], apiVersions: ["*"], resources: ["*"], operations: ["*"]}\n`,
  `apiVersion: ${V1}\nkind: ValidatingWebhookConfiguration\n`,
].join('---\n');
const oddButBroad = `apiVersion: ${V1}
kind: ValidatingWebhookConfiguration
metadata:
  name: odd-broad
webhooks:
- name: numbers.example.com
  timeoutSeconds: "3"
  namespaceSelector: null
  objectSelector: {}
  rules:
  - apiGroups: [""]
    apiVersions: [v1]
    resources: [pods, 7]
    operations: [CREATE, 7]
`;

const FINDING = 'policy.example.com:fail-closed';
const TIMEOUT = 'policy.example.com:timeout';
const at = (text: string, needle: string, nth = 1) => lineOf(text, needle, nth);
const high = (text: string, needle = 'failurePolicy', messageIncludes?: string[]): ExpectedFinding => ({
  severity: 'high',
  key: FINDING,
  line: at(text, needle),
  ...(messageIncludes ? { messageIncludes } : {}),
});
const medium = (text: string, key = FINDING, needle = 'failurePolicy', messageIncludes?: string[]): ExpectedFinding => ({
  severity: 'medium',
  key,
  line: at(text, needle),
  ...(messageIncludes ? { messageIncludes } : {}),
});

ruleTester(admissionWebhook).run({
  valid: [
    { name: 'pods, failurePolicy Ignore (twin of the high case)', files: file(podsIgnore) },
    // v1beta1 defaults to failurePolicy Ignore: omitting it there fails open.
    { name: 'v1beta1 with failurePolicy omitted', files: file(v1beta1Omitted) },
    { name: 'ingresses, failurePolicy Ignore (twin of the ingress case)', files: file(ingressesIgnore) },
    // Opt-in: an ordinary unlabelled namespace never reaches the webhook, so it is narrow and quiet,
    // however it fails (and its default 10 s timeout does not matter either).
    { name: 'opt-in namespaceSelector matchLabels', files: file(podsOptInNamespace) },
    { name: 'opt-in objectSelector matchLabels', files: file(podsOptInObject) },
    { name: 'base already had the same high webhook', base: file(podsFail), files: file(podsFail) },
    {
      name: 'base already had it; the PR only adds an annotation',
      base: file(podsFail),
      files: file(config([hook({ timeoutSeconds: 3 })], { annotations: { 'example.com/owner': 'platform' } })),
    },
    {
      name: 'ignore annotation suppresses the finding',
      files: file(ignored),
      suppressed: [high(ignored)],
    },
    { name: 'rule turned off in the config', files: file(podsFail), config: 'rules:\n  blast-radius/admission-webhook: off\n' },
    // An unknown operator makes the API server reject the configuration: it never takes effect.
    { name: 'malformed namespaceSelector', files: file(malformedSelector) },
    { name: 'odd input never throws', files: { 'odd.yaml': oddInput } },
    { name: 'a Namespace alone is not a webhook', files: file(kubeSystemNamespace({ team: 'platform' })) },
  ],
  invalid: [
    {
      name: 'fail-closed v1 webhook on pods with no selectors',
      files: file(podsFail),
      findings: [
        high(podsFail, 'failurePolicy', [
          'webhook "policy.example.com" of ValidatingWebhookConfiguration "policy"',
          'failurePolicy "Fail"',
          'pod CREATE and UPDATE',
          'service "policy-system/policy-webhook"',
          'every pod CREATE and UPDATE in every namespace, kube-system included, is rejected after up to the 3 s timeout',
          'operators cannot start recovery pods',
          'lock-out risk',
          'kubectl delete validatingwebhookconfiguration policy',
          'webhooks are never called for webhook configurations',
        ]),
      ],
    },
    {
      name: 'same with the default timeout: high plus timeout medium at the name',
      files: file(podsFailDefaultTimeout),
      findings: [
        high(podsFailDefaultTimeout, 'failurePolicy', ['after up to the 10 s timeout']),
        medium(podsFailDefaultTimeout, TIMEOUT, '- name:', ['waits up to 10 s', 'timeoutSeconds unset: 10 s is the admissionregistration.k8s.io/v1 default']),
      ],
    },
    {
      name: 'failurePolicy omitted on v1 (defaults to Fail): high at the name',
      files: file(podsPolicyOmitted),
      findings: [high(podsPolicyOmitted, '- name:', ['failurePolicy unset: "Fail" is the admissionregistration.k8s.io/v1 default'])],
    },
    // Fail-closed, not narrow (an ordinary namespace is selected), matches pods, but kube-system is out:
    // controllers in other namespaces stall while the backend is down, yet recovery pods in kube-system
    // still start — medium, not high. The unset timeout (10 s > 5) is a medium of its own.
    {
      name: 'pods with kube-system excluded by kubernetes.io/metadata.name NotIn',
      files: file(podsNotKubeSystem),
      findings: [
        medium(podsNotKubeSystem, FINDING, 'failurePolicy', ['kube-system is kept out for pods', 'in every namespace its namespaceSelector selects']),
        medium(podsNotKubeSystem, TIMEOUT, '- name:'),
      ],
    },
    {
      name: 'opt-out objectSelector still selects unlabelled pods',
      files: file(podsOptOutObject),
      findings: [high(podsOptOutObject)],
    },
    {
      name: 'v1beta1 with failurePolicy Fail and the 30 s default timeout',
      files: file(v1beta1Fail),
      findings: [high(v1beta1Fail), medium(v1beta1Fail, TIMEOUT, '- name:', ['waits up to 30 s', 'admissionregistration.k8s.io/v1beta1 default'])],
    },
    {
      name: 'fail-closed on ingresses only',
      files: file(ingresses),
      findings: [medium(ingresses, FINDING, 'failurePolicy', ['CREATE, UPDATE of "networking.k8s.io/ingresses"']), medium(ingresses, TIMEOUT, '- name:')],
    },
    {
      name: 'fail-closed on namespaces without a kube-system exclusion',
      files: file(namespacesFail),
      findings: [high(namespacesFail, 'failurePolicy', ['namespace CREATE and UPDATE', 'no namespace can be created or relabelled', 'break-glass path'])],
    },
    {
      name: 'fail-closed on namespaces with kube-system excluded',
      files: file(namespacesNotKubeSystem),
      findings: [medium(namespacesNotKubeSystem, FINDING, 'failurePolicy', ['kube-system is kept out for namespaces'])],
    },
    {
      name: 'apiGroups apps, resources * does not match pods',
      files: file(appsStar),
      findings: [medium(appsStar, FINDING, 'failurePolicy', ['"apps/*"'])],
    },
    {
      name: 'timeoutSeconds 10 on a broad fail-closed webhook (3 gives none: see the first case)',
      files: file(timeout10),
      findings: [high(timeout10), medium(timeout10, TIMEOUT, 'timeoutSeconds', ['timeoutSeconds 10'])],
    },
    {
      name: 'timeoutSeconds written as a string',
      files: file(timeoutString),
      findings: [high(timeoutString), medium(timeoutString, TIMEOUT, 'timeoutSeconds')],
    },
    {
      name: 'DELETE-only on pods',
      files: file(deleteOnly),
      findings: [medium(deleteOnly, FINDING, 'failurePolicy', ['DELETE of "pods"'])],
    },
    {
      name: 'gatekeeper-style opt-out label, kube-system not labelled in the repo',
      files: file(gatekeeperStyle),
      findings: [high(gatekeeperStyle, 'failurePolicy', ['in every namespace its namespaceSelector selects, kube-system included'])],
    },
    {
      name: 'gatekeeper-style opt-out label carried by the kube-system Namespace in the tree',
      files: { ...file(gatekeeperStyle), 'infra/kube-system.yaml': kubeSystemNamespace({ 'admission.gatekeeper.sh/ignore': 'no-self-managing' }) },
      findings: [medium(gatekeeperStyle, FINDING, 'failurePolicy', ['kube-system is kept out for pods'])],
    },
    {
      name: 'a kube-system Namespace without the opt-out label keeps kube-system in',
      files: { ...file(gatekeeperStyle), 'infra/kube-system.yaml': kubeSystemNamespace({ team: 'platform' }) },
      findings: [high(gatekeeperStyle)],
    },
    {
      name: 'a kube-system Namespace cannot override its kubernetes.io/metadata.name label',
      files: { ...file(listsKubeSystem), 'infra/kube-system.yaml': kubeSystemNamespace({ 'kubernetes.io/metadata.name': 'renamed' }) },
      findings: [high(listsKubeSystem)],
    },
    {
      name: 'ignore annotation naming another rule does not suppress',
      files: file(ignoredOther),
      findings: [high(ignoredOther)],
    },
    {
      name: 'base had it fail-open; the PR makes it fail closed',
      base: file(podsIgnore),
      files: file(podsFail),
      findings: [high(podsFail)],
    },
    {
      name: 'base had it with kube-system excluded (medium); the PR drops the exclusion',
      base: file(config([hook({ timeoutSeconds: 3, namespaceSelector: NOT_KUBE_SYSTEM })])),
      files: file(podsFail),
      findings: [high(podsFail)],
    },
    {
      name: 'a List holding a MutatingWebhookConfiguration',
      files: { 'infra/list.yaml': listKind },
      findings: [{ severity: 'high', key: 'inject.sidecar.example.com:fail-closed', line: at(listKind, 'failurePolicy'), messageIncludes: ['MutatingWebhookConfiguration "sidecar-injector"', 'service "mesh-system/injector"', 'kubectl delete mutatingwebhookconfiguration sidecar-injector'] }],
    },
    {
      name: 'MutatingWebhookConfiguration on pods',
      files: file(mutating),
      findings: [high(mutating, 'failurePolicy', ['MutatingWebhookConfiguration "defaults"', '1 s timeout'])],
    },
    // The namespaceSelector never applies to cluster-scoped objects other than namespaces: an opt-in
    // selector narrows pods and namespaces, but every node CREATE / UPDATE still reaches the webhook.
    {
      name: 'everything with an opt-in namespaceSelector still blocks nodes',
      files: file(starOptIn),
      findings: [high(starOptIn, 'failurePolicy', ['node CREATE and UPDATE (a namespaceSelector never applies to nodes)', 'new nodes cannot register', 'lock-out risk'])],
    },
    {
      name: 'everything, kube-system excluded, scope Namespaced',
      files: file(starNotKubeSystemNamespaced),
      findings: [medium(starNotKubeSystemNamespaced, FINDING, 'failurePolicy', ['every operation of "*/*"', 'kube-system is kept out for pods'])],
    },
    {
      name: 'everything, kube-system excluded, any scope: nodes are still in reach',
      files: file(starNotKubeSystem),
      findings: [high(starNotKubeSystem, 'failurePolicy', ['node CREATE and UPDATE'])],
    },
    {
      name: 'scope Cluster excludes pods but not nodes and namespaces',
      files: file(clusterScopePods),
      findings: [high(clusterScopePods, 'failurePolicy', ['node CREATE', 'namespace CREATE'])],
    },
    {
      name: 'pods/exec and pods/attach only do not block pod creation',
      files: file(podsExec),
      findings: [medium(podsExec, FINDING, 'failurePolicy', ['CONNECT of "pods/exec", "pods/attach"'])],
    },
    {
      name: 'pods/binding CREATE blocks scheduling of every new pod',
      files: file(podsBinding),
      findings: [high(podsBinding, 'failurePolicy', ['pod binding CREATE'])],
    },
    {
      name: 'pods/* covers pods themselves',
      files: file(podsSubAll),
      findings: [high(podsSubAll, 'failurePolicy', ['pod CREATE'])],
    },
    {
      name: 'URL backend is named',
      files: file(urlBackend),
      findings: [high(urlBackend, 'failurePolicy', ['URL "https://policy.example.com/validate" is down'])],
    },
    {
      name: 'matchConditions are not evaluated, and the message says so',
      files: file(withConditions),
      findings: [high(withConditions, 'failurePolicy', ['matchConditions were not evaluated'])],
    },
    {
      name: 'an unknown failurePolicy value is judged as Fail',
      files: file(typoPolicy),
      findings: [high(typoPolicy, 'failurePolicy', ['failurePolicy "fail"'])],
    },
    {
      name: 'each webhook is judged on its own',
      files: file(twoHooks),
      findings: [{ severity: 'high', key: 'closed.example.com:fail-closed', line: at(twoHooks, 'failurePolicy: Fail') }],
    },
    {
      name: 'numbers and nulls where strings and maps are expected',
      files: { 'odd.yaml': oddButBroad },
      findings: [{ severity: 'high', key: 'numbers.example.com:fail-closed', line: at(oddButBroad, '- name:') }],
    },
    {
      name: 'config severity override applies',
      files: file(podsFail),
      config: { rules: { 'blast-radius/admission-webhook': { severity: 'medium' } } },
      findings: [{ ...high(podsFail), severity: 'medium' }],
    },
  ],
});

describe('rule-tester self-checks', () => {
  const one = { name: 'x', files: file(podsIgnore) };
  it('rejects empty valid or invalid arrays', () => {
    expect(() => validateTests({ valid: [], invalid: [{ ...one, findings: [high(podsFail)] }] })).toThrow(/valid/);
    expect(() => validateTests({ valid: [one], invalid: [] })).toThrow(/invalid/);
  });
  it('rejects duplicate case names and invalid cases without findings', () => {
    expect(() => validateTests({ valid: [one], invalid: [{ ...one, findings: [high(podsFail)] }] })).toThrow(/duplicate/);
    expect(() => validateTests({ valid: [one], invalid: [{ ...one, name: 'y', findings: [] }] })).toThrow(/valid case/);
  });
  it('reports missing and extra findings', () => {
    const { live } = runCase(admissionWebhook, { name: 'z', files: file(podsFailDefaultTimeout) });
    expect(live).toHaveLength(2);
    expect(diffFindings([high(podsFailDefaultTimeout)], live)).toEqual([expect.stringMatching(/^extra: medium "policy.example.com:timeout"/)]);
    expect(diffFindings([high(podsFailDefaultTimeout), medium(podsFailDefaultTimeout, TIMEOUT, '- name:'), medium(podsFailDefaultTimeout, 'other:key')], live)).toEqual([
      expect.stringMatching(/^missing: medium "other:key"/),
    ]);
    expect(diffFindings([{ ...high(podsFailDefaultTimeout), line: 1 }, medium(podsFailDefaultTimeout, TIMEOUT, '- name:')], live)).toHaveLength(2);
  });
});

// ---- real-world manifests -------------------------------------------------------------------------

const INGRESS_NGINX = 'kubernetes+ingress-nginx/deploy/static/provider/cloud/deploy.yaml';
const GATEKEEPER = 'open-policy-agent+gatekeeper/deploy/gatekeeper.yaml';

if (HAS_CORPUS) {
  const nginx = readCorpus(INGRESS_NGINX);
  const gatekeeper = readCorpus(GATEKEEPER);
  const nginxAnnotated = annotate(nginx, 'ValidatingWebhookConfiguration');
  const gatekeeperAnnotated = annotate(annotate(gatekeeper, 'ValidatingWebhookConfiguration'), 'MutatingWebhookConfiguration');

  describe('real-world manifests: the annotation-only PRs really change the webhook objects', () => {
    it('annotates the webhook configurations', () => {
      expect(nginxAnnotated).not.toBe(nginx);
      expect(nginxAnnotated.split('\n').length).toBe(nginx.split('\n').length + 2);
      expect(gatekeeperAnnotated.split('\n').length).toBe(gatekeeper.split('\n').length + 4);
    });
  });

  // Expected from RULEBOOK C.1 and the issue before the rule ever ran on these files:
  // - ingress-nginx: `Fail` on networking.k8s.io ingresses only, no selectors, timeoutSeconds unset (10 s)
  //   → medium fail-closed (at failurePolicy) and medium timeout (at the name).
  // - gatekeeper: mutation.gatekeeper.sh and validation.gatekeeper.sh fail open (`Ignore`): quiet.
  //   check-ignore-label.gatekeeper.sh is `Fail` on core namespaces CREATE/UPDATE and its namespaceSelector
  //   only keeps gatekeeper-system out, so kube-system's namespace is in reach → high; 3 s timeout → no timeout.
  ruleTester(admissionWebhook).run({
    valid: [
      { name: 'ingress-nginx: only an annotation added to the webhook configuration', base: { [INGRESS_NGINX]: nginx }, files: { [INGRESS_NGINX]: nginxAnnotated } },
      { name: 'gatekeeper: only an annotation added to the webhook configurations', base: { [GATEKEEPER]: gatekeeper }, files: { [GATEKEEPER]: gatekeeperAnnotated } },
    ],
    invalid: [
      {
        name: 'ingress-nginx cloud deploy.yaml',
        files: { [INGRESS_NGINX]: nginx },
        findings: [
          { severity: 'medium', key: 'validate.nginx.ingress.kubernetes.io:fail-closed', line: 657, messageIncludes: ['service "ingress-nginx/ingress-nginx-controller-admission"', '"networking.k8s.io/ingresses"'] },
          { severity: 'medium', key: 'validate.nginx.ingress.kubernetes.io:timeout', line: 659 },
        ],
      },
      {
        name: 'gatekeeper deploy/gatekeeper.yaml',
        files: { [GATEKEEPER]: gatekeeper },
        findings: [{ severity: 'high', key: 'check-ignore-label.gatekeeper.sh:fail-closed', line: 6085, messageIncludes: ['namespace CREATE and UPDATE', 'service "gatekeeper-system/gatekeeper-webhook-service"'] }],
      },
    ],
  });
} else {
  describe.skip('real-world manifests (../shared/corpus is absent)', () => {
    it('skipped', () => {});
  });
}
