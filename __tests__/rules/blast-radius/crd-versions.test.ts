/**
 * Table tests of blast-radius/crd-versions: every branch with a dangerous case and its safe twin, lines looked
 * up in each case's own YAML, plus real-world CRDs from the corpus (gatekeeper, calico, kube-prometheus,
 * cert-manager, Argo Workflows) added, annotated, and edited into a version removal, an unserved version and
 * a storage switch.
 */
import { describe, expect, it } from 'vitest';
import { crdVersions } from '../../../rules/blast-radius/crd-versions.js';
import { annotate, HAS_CORPUS, readCorpus } from '../../helpers/corpus.js';
import { lineContaining, ruleTester, runCase, findingAt, docExample as docExampleOf } from '../../helpers/rule-tester.js';

const lineOf = lineContaining;
const V1 = 'apiextensions.k8s.io/v1';
const V1BETA1 = 'apiextensions.k8s.io/v1beta1';

interface VersionSpec {
  name: string;
  /** `null` leaves the field out. */
  served?: boolean | null;
  storage?: boolean;
  description?: string;
}

interface CrdSpec {
  apiVersion?: string;
  versions?: VersionSpec[];
  /** v1beta1 only: the top-level `spec.version`. */
  version?: string;
  /** Lines under `spec:` (two-space indented), e.g. a conversion block. */
  extra?: string[];
  metadata?: string[];
  comment?: string;
}

const ALPHA: VersionSpec = { name: 'v1alpha1', served: true, storage: false };
const BETA: VersionSpec = { name: 'v1beta1', served: true, storage: false };
const STABLE: VersionSpec = { name: 'v1', served: true, storage: true };

function crd(c: CrdSpec = {}): string {
  const lines = [`apiVersion: ${c.apiVersion ?? V1}`, 'kind: CustomResourceDefinition', 'metadata:', '  name: widgets.example.com', ...(c.metadata ?? [])];
  if (c.comment) lines.push(`# ${c.comment}`);
  lines.push('spec:', '  group: example.com', '  names:', '    kind: Widget', '    plural: widgets', '  scope: Namespaced');
  if (c.version) lines.push(`  version: ${c.version}`);
  const versions = c.versions ?? [ALPHA, STABLE];
  if (versions.length > 0) {
    lines.push('  versions:');
    for (const v of versions) {
      lines.push(`  - name: ${v.name}`);
      if (v.served !== null) lines.push(`    served: ${v.served ?? true}`);
      lines.push(`    storage: ${v.storage ?? false}`);
      if ((c.apiVersion ?? V1) === V1) {
        lines.push('    schema:', '      openAPIV3Schema:', `        description: ${v.description ?? 'A widget.'}`, '        type: object', '        x-kubernetes-preserve-unknown-fields: true');
      }
    }
  }
  lines.push(...(c.extra ?? []));
  return `${lines.join('\n')}\n`;
}

function widget(name: string, version: string, namespace: string | null = 'default'): string {
  return `apiVersion: example.com/${version}\nkind: Widget\nmetadata:\n  name: ${name}\n${namespace ? `  namespace: ${namespace}\n` : ''}spec: {size: 1}\n`;
}

const WEBHOOK = (service = 'widget-conversion', caBundle = 'Q0EtMQ==') => [
  '  conversion:',
  '    strategy: Webhook',
  '    webhook:',
  '      conversionReviewVersions: [v1]',
  '      clientConfig:',
  `        caBundle: ${caBundle}`,
  '        service:',
  `          name: ${service}`,
  '          namespace: widgets',
  '          path: /convert',
];
const NONE = ['  conversion:', '    strategy: None'];
const V1BETA1_WEBHOOK = (url: string) => ['  conversion:', '    strategy: Webhook', '    webhookClientConfig:', `      url: ${url}`];

const F = 'crds/widgets.yaml';
const A = 'apps/a.yaml';
const B = 'apps/b.yaml';

const at = findingAt;

const both = crd();
const stableOnly = crd({ versions: [STABLE] });
const alphaUnserved = crd({ versions: [{ ...ALPHA, served: false }, STABLE] });
const alphaServedUnset = crd({ versions: [{ ...ALPHA, served: null }, STABLE] });
const three = crd({ versions: [ALPHA, BETA, STABLE] });
const alphaStorage = crd({ versions: [{ ...ALPHA, storage: true }, { ...STABLE, storage: false }] });
const withBeta = crd({ versions: [ALPHA, BETA, STABLE] });
const described = crd({ versions: [ALPHA, { ...STABLE, description: 'A widget, now documented.' }] });
const withWebhook = crd({ extra: WEBHOOK() });
const webhookOtherService = crd({ extra: WEBHOOK('widget-conversion-v2') });
const webhookNewCa = crd({ extra: WEBHOOK(undefined, 'Q0EtMg==') });
const withNone = crd({ extra: NONE });
const v1beta1Single = crd({ apiVersion: V1BETA1, version: 'v1alpha1', versions: [] });
const v1beta1Moved = crd({ apiVersion: V1BETA1, versions: [{ name: 'v1beta1', served: true, storage: true }] });
const v1beta1Webhook = crd({ apiVersion: V1BETA1, versions: [ALPHA, STABLE], extra: V1BETA1_WEBHOOK('https://widgets.example.com/convert') });
const v1beta1WebhookMoved = crd({ apiVersion: V1BETA1, versions: [ALPHA, STABLE], extra: V1BETA1_WEBHOOK('https://widgets-v2.example.com/convert') });
const v1beta1AsV1 = crd({ apiVersion: V1BETA1, versions: [ALPHA, STABLE], extra: [...WEBHOOK().slice(0, 2), '    webhookClientConfig:', ...WEBHOOK().slice(5).map((l) => l.slice(2))] });

const ODD = `apiVersion: ${V1}
kind: CustomResourceDefinition
metadata:
  name: odd.example.com
spec: "widgets"
---
apiVersion: ${V1}
kind: CustomResourceDefinition
metadata:
  name: odd2.example.com
spec:
  group: [example.com]
  names: "Widget"
  versions: ["v1", 3, {name: 7}, {served: true}]
  conversion: "Webhook"
`;
const ODD_HEAD = `apiVersion: ${V1}
kind: CustomResourceDefinition
metadata:
  name: odd.example.com
spec:
  versions: "v1"
---
apiVersion: ${V1}
kind: CustomResourceDefinition
metadata:
  name: odd2.example.com
spec:
  group: {a: 1}
  versions: []
  conversion: {strategy: Webhook, webhook: "x"}
`;

ruleTester(crdVersions).run({
  valid: [
    { name: 'a multi-version CRD added', files: { [F]: three } },
    { name: 'a CRD with a conversion webhook added', files: { [F]: withWebhook } },
    { name: 'comment-only edit', base: { [F]: both }, files: { [F]: crd({ comment: 'owner: platform' }) } },
    { name: 'annotation-only edit', base: { [F]: both }, files: { [F]: crd({ metadata: ['  annotations:', '    example.com/reviewed-by: platform-team'] }) } },
    { name: 'label-only edit', base: { [F]: both }, files: { [F]: crd({ metadata: ['  labels:', '    team: platform'] }) } },
    { name: 'schema description edited', base: { [F]: both }, files: { [F]: described } },
    { name: 'a version added', base: { [F]: both }, files: { [F]: withBeta } },
    { name: 'storage moved while the old version stays served', base: { [F]: alphaStorage }, files: { [F]: both } },
    { name: 'an unserved version served again', base: { [F]: alphaUnserved }, files: { [F]: both } },
    { name: 'an unserved version stays unserved', base: { [F]: alphaUnserved }, files: { [F]: crd({ versions: [{ ...ALPHA, served: false }, STABLE], comment: 'x' }) } },
    { name: 'a CRD deleted (blast-radius/deletion judges it)', base: { [F]: both, [A]: widget('a', 'v1') }, files: { [A]: widget('a', 'v1') } },
    { name: 'a CRD moved to another file', base: { [F]: both }, files: { 'crds/moved.yaml': both } },
    { name: 'conversion webhook unchanged, schema edited', base: { [F]: withWebhook }, files: { [F]: crd({ versions: [ALPHA, { ...STABLE, description: 'x' }], extra: WEBHOOK() }) } },
    { name: 'conversion webhook dropped (strategy None)', base: { [F]: withWebhook }, files: { [F]: withNone } },
    { name: 'conversion strategy None written out', base: { [F]: both }, files: { [F]: withNone } },
    { name: 'v1beta1 single version rewritten as a versions list', base: { [F]: v1beta1Single }, files: { [F]: crd({ apiVersion: V1BETA1, versions: [{ name: 'v1alpha1', served: true, storage: true }] }) } },
    { name: 'v1beta1 manifest moved to v1 with the same versions and webhook', base: { [F]: v1beta1AsV1 }, files: { [F]: withWebhook } },
    { name: 'a custom resource edited, CRD unchanged', base: { [F]: both, [A]: widget('a', 'v1alpha1') }, files: { [F]: both, [A]: widget('a', 'v1') } },
    { name: 'odd input: strings where maps and lists are expected', base: { [F]: ODD }, files: { [F]: ODD_HEAD } },
    { name: 'invalid head: no storage version left (the API server refuses it)', base: { [F]: both }, files: { [F]: crd({ versions: [ALPHA] }) } },
    { name: 'odd input: another apiextensions version', base: { [F]: both.replace(V1, 'apiextensions.k8s.io/v2') }, files: { [F]: stableOnly.replace(V1, 'apiextensions.k8s.io/v2') } },
  ],
  invalid: [
    {
      name: 'a served version removed while two manifests still use it',
      base: { [F]: both, [A]: widget('a', 'v1alpha1'), [B]: widget('b', 'v1alpha1', null) },
      files: { [F]: stableOnly, [A]: widget('a', 'v1alpha1'), [B]: widget('b', 'v1alpha1', null) },
      findings: [
        at('high', 'version-removed:v1alpha1', stableOnly, '  versions:', [
          'version "v1alpha1" is removed from CustomResourceDefinition "widgets.example.com": every client, controller and manifest still using "example.com/v1alpha1" gets 404',
          'refuses this update while "v1alpha1" is listed in status.storedVersions',
          '2 Widget manifests in this repository are still written as "example.com/v1alpha1": apps/a.yaml (default/a), apps/b.yaml (b)',
        ]),
      ],
    },
    {
      name: 'a served version removed, no manifest uses it',
      base: { [F]: both, [A]: widget('a', 'v1') },
      files: { [F]: stableOnly, [A]: widget('a', 'v1') },
      findings: [at('high', 'version-removed:v1alpha1', stableOnly, '  versions:', ['no Widget manifest in this repository is written as "example.com/v1alpha1"'])],
    },
    {
      name: 'an already unserved version removed (medium)',
      base: { [F]: alphaUnserved },
      files: { [F]: stableOnly },
      findings: [at('medium', 'version-removed:v1alpha1', stableOnly, '  versions:', ['version "v1alpha1", already unserved, is removed'])],
    },
    {
      name: 'two versions removed: one finding each',
      base: { [F]: three },
      files: { [F]: stableOnly },
      findings: [at('high', 'version-removed:v1alpha1', stableOnly, '  versions:'), at('high', 'version-removed:v1beta1', stableOnly, '  versions:')],
    },
    {
      name: 'a version no longer served while a manifest uses it',
      base: { [F]: both, [A]: widget('a', 'v1alpha1') },
      files: { [F]: alphaUnserved, [A]: widget('a', 'v1alpha1') },
      findings: [
        at('high', 'version-unserved:v1alpha1', alphaUnserved, 'served: false', [
          'version "v1alpha1" of CustomResourceDefinition "widgets.example.com" is no longer served (served true → false)',
          '1 Widget manifest in this repository is still written as "example.com/v1alpha1": apps/a.yaml (default/a)',
        ]),
      ],
    },
    {
      name: 'served removed from a version (unset is false)',
      base: { [F]: both },
      files: { [F]: alphaServedUnset },
      findings: [at('high', 'version-unserved:v1alpha1', alphaServedUnset, 'name: v1alpha1', ['served true → unset, which is false'])],
    },
    {
      name: 'storage moved and the old storage version removed in one change',
      base: { [F]: alphaStorage },
      files: { [F]: stableOnly },
      findings: [
        at('high', 'storage-switch', stableOnly, 'storage: true', [
          'the storage version of CustomResourceDefinition "widgets.example.com" moves from "v1alpha1" to "v1" and "v1alpha1" is removed in the same change',
          'status.storedVersions',
        ]),
      ],
    },
    {
      name: 'v1beta1: the single spec.version replaced by another storage version',
      base: { [F]: v1beta1Single },
      files: { [F]: v1beta1Moved },
      findings: [at('high', 'storage-switch', v1beta1Moved, 'storage: true', ['moves from "v1alpha1" to "v1beta1"'])],
    },
    {
      name: 'conversion strategy None → Webhook',
      base: { [F]: withNone },
      files: { [F]: withWebhook },
      findings: [at('medium', 'conversion-webhook', withWebhook, 'strategy: Webhook', ['conversion between the versions of CustomResourceDefinition "widgets.example.com" now goes through a webhook (conversion.strategy "None" → "Webhook", service "widgets/widget-conversion")', 'every read, write and watch of "Widget"'])],
    },
    {
      name: 'conversion webhook added where no strategy was written',
      base: { [F]: both },
      files: { [F]: withWebhook },
      findings: [at('medium', 'conversion-webhook', withWebhook, 'strategy: Webhook')],
    },
    {
      name: 'conversion webhook moved to another service',
      base: { [F]: withWebhook },
      files: { [F]: webhookOtherService },
      findings: [at('medium', 'conversion-webhook', webhookOtherService, '        service:', ['changes its client config (service; now service "widgets/widget-conversion-v2")'])],
    },
    {
      name: 'conversion webhook CA bundle replaced',
      base: { [F]: withWebhook },
      files: { [F]: webhookNewCa },
      findings: [at('medium', 'conversion-webhook', webhookNewCa, 'caBundle:', ['(caBundle; now service "widgets/widget-conversion")'])],
    },
    {
      name: 'v1beta1: conversion webhook URL changed',
      base: { [F]: v1beta1Webhook },
      files: { [F]: v1beta1WebhookMoved },
      findings: [at('medium', 'conversion-webhook', v1beta1WebhookMoved, 'url:', ['URL "https://widgets-v2.example.com/convert"'])],
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

describe('blast-radius/crd-versions details', () => {
  it('reports a shared CRD once over every cluster it reaches', () => {
    const result = runCase(crdVersions, { name: 'x', config: FLEET, base: { [F]: both }, files: { [F]: stableOnly } });
    expect(result.notes).toEqual([]);
    expect(result.live).toHaveLength(1);
    expect(result.live[0].clusters).toEqual(['canary-1', 'prod-eu', 'prod-us']);
    expect(result.live[0].resource).toBe('CustomResourceDefinition/widgets.example.com');
    expect(result.live[0].data).toMatchObject({ version: 'v1alpha1', served: true, manifests: 0 });
  });

  it('counts a custom resource shared by several units once', () => {
    const result = runCase(crdVersions, { name: 'x', config: FLEET, base: { [F]: both, [A]: widget('a', 'v1alpha1') }, files: { [F]: alphaUnserved, [A]: widget('a', 'v1alpha1') } });
    expect(result.live.map((f) => f.data)).toEqual([{ version: 'v1alpha1', manifests: 1 }]);
  });

  it('keeps a finding suppressed with the ignore annotation', () => {
    const ignored = crd({ versions: [STABLE], metadata: ['  annotations:', '    blast-radius.dev/ignore: "blast-radius/crd-versions -- migrated, storedVersions trimmed"'] });
    const result = runCase(crdVersions, { name: 'x', base: { [F]: both }, files: { [F]: ignored } });
    expect(result.live).toEqual([]);
    expect(result.suppressed.map((f) => f.key)).toEqual(['version-removed:v1alpha1']);
  });
});

// ---------------------------------------------------------------------------------------------------------
// Real-world CRDs

const GATEKEEPER = 'open-policy-agent+gatekeeper/deploy/gatekeeper.yaml';
const CALICO = 'projectcalico+calico/manifests/calico.yaml';
const CERT_MANAGER = 'cert-manager+cert-manager/deploy/crds/cert-manager.io_certificates.yaml';
const ARGO_WORKFLOWS = 'argoproj+argo-cd/applicationset/examples/matrix/cluster-addons/argo-workflows/namespace-install.yaml';
const KP_SETUP = 'prometheus-operator+kube-prometheus/manifests/setup/';
const KP_FILES = [
  '0alertmanagerConfigCustomResourceDefinition.yaml',
  '0alertmanagerCustomResourceDefinition.yaml',
  '0podmonitorCustomResourceDefinition.yaml',
  '0probeCustomResourceDefinition.yaml',
  '0prometheusCustomResourceDefinition.yaml',
  '0prometheusagentCustomResourceDefinition.yaml',
  '0prometheusruleCustomResourceDefinition.yaml',
  '0scrapeconfigCustomResourceDefinition.yaml',
  '0servicemonitorCustomResourceDefinition.yaml',
  '0thanosrulerCustomResourceDefinition.yaml',
];
const TEMPLATE_DEMO = 'open-policy-agent+gatekeeper/demo/k8s-validating-admission-policy/k8srequiredlabels_template.yaml';

/** The line range [start, end) of the document holding `  name: <crd>` (documents split on `---`). */
function docRange(lines: readonly string[], crdName: string): [number, number] {
  const at = lines.indexOf(`  name: ${crdName}`);
  if (at < 0) throw new Error(`test fixture: CRD ${crdName} not found`);
  let start = at;
  while (start > 0 && lines[start - 1] !== '---') start--;
  let end = at;
  while (end < lines.length && lines[end] !== '---') end++;
  return [start, end];
}

/** The line range [start, end) of the `  - name: <version>` entry of a CRD's versions (top-level list, two-space indent). */
function versionRange(lines: readonly string[], crdName: string, version: string): [number, number] {
  const [start, end] = docRange(lines, crdName);
  const from = lines.indexOf(`  - name: ${version}`, start);
  if (from < 0 || from >= end) throw new Error(`test fixture: version ${version} of ${crdName} not found`);
  let to = from + 1;
  while (to < end && !lines[to].startsWith('  - ') && /^(\s{3,}|$)/.test(lines[to])) to++;
  return [from, to];
}

/** The manifest without one version entry of one CRD. */
function removeVersion(text: string, crdName: string, version: string): string {
  const lines = text.split('\n');
  const [from, to] = versionRange(lines, crdName, version);
  return [...lines.slice(0, from), ...lines.slice(to)].join('\n');
}

/** The manifest with `    <field>: <old>` replaced by `<new>` inside one version entry of one CRD. */
function setInVersion(text: string, crdName: string, version: string, field: string, value: boolean): string {
  const lines = text.split('\n');
  const [from, to] = versionRange(lines, crdName, version);
  const i = lines.findIndex((l, n) => n >= from && n < to && l.startsWith(`    ${field}: `));
  if (i < 0) throw new Error(`test fixture: ${field} of ${version} not found`);
  return [...lines.slice(0, i), `    ${field}: ${value}`, ...lines.slice(i + 1)].join('\n');
}

/** 1-based line of the first line equal to `needle` after the line `  name: <crd>`. */
function lineInCrd(text: string, crdName: string, needle: string, after = ''): number {
  const lines = text.split('\n');
  const [start, end] = docRange(lines, crdName);
  const from = after ? lines.indexOf(after, start) : start;
  const i = lines.indexOf(needle, from);
  if (i < 0 || i >= end) throw new Error(`test fixture: ${JSON.stringify(needle)} not found in ${crdName}`);
  return i + 1;
}

describe.skipIf(!HAS_CORPUS)('real-world CRDs: fixtures', () => {
  it('the edits below change what they claim', () => {
    const gk = readCorpus(GATEKEEPER);
    expect(gk.split('\n').length - removeVersion(gk, 'constrainttemplates.templates.gatekeeper.sh', 'v1alpha1').split('\n').length).toBeGreaterThan(100);
    expect(setInVersion(gk, 'constrainttemplates.templates.gatekeeper.sh', 'v1beta1', 'served', false)).not.toBe(gk);
    expect(annotate(gk, 'CustomResourceDefinition').split('\n').length).toBe(gk.split('\n').length + 2 * 17);
  });
});

if (HAS_CORPUS) {
  const gatekeeper = readCorpus(GATEKEEPER);
  const calico = readCorpus(CALICO);
  const template = readCorpus(TEMPLATE_DEMO);
  const kp = Object.fromEntries(KP_FILES.map((f) => [`setup/${f}`, readCorpus(KP_SETUP + f)]));

  const CT = 'constrainttemplates.templates.gatekeeper.sh';
  const ET = 'expansiontemplate.expansion.gatekeeper.sh';
  // ConstraintTemplate v1alpha1 removed (v1 stays the storage version).
  const ctAlphaRemoved = removeVersion(gatekeeper, CT, 'v1alpha1');
  // ConstraintTemplate v1beta1 no longer served, while a template of the repository is written as v1beta1.
  const ctBetaUnserved = setInVersion(gatekeeper, CT, 'v1beta1', 'served', false);
  const templateBeta = template.replace('apiVersion: templates.gatekeeper.sh/v1\n', 'apiVersion: templates.gatekeeper.sh/v1beta1\n');
  // ExpansionTemplate: storage moved from v1alpha1 to v1beta1 and v1alpha1 removed in the same change.
  const etSwitched = setInVersion(removeVersion(gatekeeper, ET, 'v1alpha1'), ET, 'v1beta1', 'storage', true);

  // Expected before the rule ever ran on these files (RULEBOOK C.5 and the issue):
  // - every CRD added in a PR is new: no finding (gatekeeper 17, calico 23, kube-prometheus 10, cert-manager 1,
  //   Argo Workflows 5 v1beta1 CRDs);
  // - an annotation added to every CRD: quiet;
  // - ConstraintTemplate v1alpha1 (served) removed: high version-removed:v1alpha1 at its `  versions:` line, no
  //   manifest written as templates.gatekeeper.sh/v1alpha1 (the demo template is v1);
  // - ConstraintTemplate v1beta1 unserved with the demo template rewritten as v1beta1: high
  //   version-unserved:v1beta1 at `served: false`, 1 manifest;
  // - ExpansionTemplate storage v1alpha1 → v1beta1 with v1alpha1 removed: high storage-switch at v1beta1's
  //   `storage: true` line (no separate version-removed).
  ruleTester(crdVersions).run({
    valid: [
      { name: 'gatekeeper: 17 CRDs added', files: { 'gatekeeper.yaml': gatekeeper } },
      { name: 'calico: 23 CRDs added', files: { 'calico.yaml': calico } },
      { name: 'kube-prometheus: setup CRDs added', files: kp },
      { name: 'cert-manager: Certificate CRD added', files: { 'certificates.yaml': readCorpus(CERT_MANAGER) } },
      { name: 'Argo Workflows: v1beta1 CRDs added', files: { 'argo-workflows.yaml': readCorpus(ARGO_WORKFLOWS) } },
      { name: 'gatekeeper: an annotation added to every CRD', base: { 'gatekeeper.yaml': gatekeeper }, files: { 'gatekeeper.yaml': annotate(gatekeeper, 'CustomResourceDefinition') } },
      { name: 'calico: an annotation added to every CRD', base: { 'calico.yaml': calico }, files: { 'calico.yaml': annotate(calico, 'CustomResourceDefinition') } },
      {
        name: 'kube-prometheus: an annotation added to every CRD',
        base: kp,
        files: Object.fromEntries(Object.entries(kp).map(([k, v]) => [k, annotate(v, 'CustomResourceDefinition')])),
      },
    ],
    invalid: [
      {
        name: 'gatekeeper: ConstraintTemplate v1alpha1 removed',
        base: { 'gatekeeper.yaml': gatekeeper, 'template.yaml': template },
        files: { 'gatekeeper.yaml': ctAlphaRemoved, 'template.yaml': template },
        findings: [
          {
            severity: 'high',
            key: 'version-removed:v1alpha1',
            line: lineInCrd(ctAlphaRemoved, CT, '  versions:'),
            messageIncludes: ['"templates.gatekeeper.sh/v1alpha1" gets 404', 'no ConstraintTemplate manifest in this repository is written as "templates.gatekeeper.sh/v1alpha1"'],
          },
        ],
      },
      {
        name: 'gatekeeper: ConstraintTemplate v1beta1 unserved while a template uses it',
        base: { 'gatekeeper.yaml': gatekeeper, 'template.yaml': templateBeta },
        files: { 'gatekeeper.yaml': ctBetaUnserved, 'template.yaml': templateBeta },
        findings: [
          {
            severity: 'high',
            key: 'version-unserved:v1beta1',
            line: lineInCrd(ctBetaUnserved, CT, '    served: false'),
            messageIncludes: ['1 ConstraintTemplate manifest in this repository is still written as "templates.gatekeeper.sh/v1beta1": template.yaml (k8srequiredlabels)'],
          },
        ],
      },
      {
        name: 'gatekeeper: ExpansionTemplate storage moved to v1beta1 and v1alpha1 removed',
        base: { 'gatekeeper.yaml': gatekeeper },
        files: { 'gatekeeper.yaml': etSwitched },
        findings: [
          {
            severity: 'high',
            key: 'storage-switch',
            line: lineInCrd(etSwitched, ET, '    storage: true', '  - name: v1beta1'),
            messageIncludes: ['moves from "v1alpha1" to "v1beta1" and "v1alpha1" is removed in the same change'],
          },
        ],
      },
    ],
  });
}

const docExample = (heading: string) => docExampleOf('blast-radius/crd-versions', heading);

const DOC_HEAD = docExample('Incorrect');
// The base the doc describes: v1alpha1 the storage version, v1 served next to it.
const DOC_BASE = DOC_HEAD.replace('  versions:', '  versions:\n  - name: v1alpha1\n    served: true\n    storage: true').replace('    storage: true            #', '    storage: false           #');
ruleTester(crdVersions).run({
  valid: [{ name: 'doc: the base of the Incorrect example, added', files: { [F]: DOC_BASE } }],
  invalid: [
    {
      name: 'doc: the Incorrect example',
      base: { [F]: DOC_BASE },
      files: { [F]: DOC_HEAD },
      findings: [{ severity: 'high', key: 'storage-switch', line: lineOf(DOC_HEAD, 'storage: true'), messageIncludes: ['moves from "v1alpha1" to "v1"'] }],
    },
  ],
});
