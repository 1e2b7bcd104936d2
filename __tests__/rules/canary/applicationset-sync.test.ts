/**
 * Table tests of canary/applicationset-sync: dangerous and safe twins for each generator and strategy
 * branch, odd input, and real ApplicationSets from argoproj/argo-cd (expectations written from RULEBOOK
 * D.2 before the rule ran on them).
 */
import { describe, expect, it } from 'vitest';
import { applicationsetSync, KEY } from '../../../rules/canary/applicationset-sync.js';
import { annotate, HAS_CORPUS, readCorpus } from '../../helpers/corpus.js';
import { FLEET } from '../../helpers/fleets.js';
import { findingAt, ruleTester, type Case, type InvalidCase } from '../../helpers/rule-tester.js';

/** The test fleet, registered in Argo CD: canary-1 (env canary), prod-us and prod-eu (env prod). */
const ARGO_FLEET = `fleet:
  clusters:
    - { name: canary-1, nodes: 60, stage: canary, paths: ["clusters/canary-1/**"], argocd: { server: "https://canary-1.example.com", labels: { env: canary } } }
    - { name: prod-us, nodes: 4800, stage: prod, paths: ["clusters/prod-us/**"], argocd: { server: "https://prod-us.example.com", labels: { env: prod } } }
    - { name: prod-eu, nodes: 3200, stage: prod, paths: ["clusters/prod-eu/**"], argocd: { server: "https://prod-eu.example.com", labels: { env: prod } } }
rollout: { stages: [canary, prod] }
`;

const WHOLE_FLEET = '3 clusters, 8,060 nodes: canary-1 (60), prod-eu (3,200), prod-us (4,800)';
const PROD_ONLY = '2 clusters, 8,000 nodes: prod-eu (3,200), prod-us (4,800)';
const FILE = 'argocd/appsets/web.yaml';

interface AppSetSpec {
  apiVersion?: string;
  /** YAML of `generators:` items, indented 2 (a `- ` per generator). */
  generators?: string;
  /** YAML under `spec.strategy`, or none. */
  strategy?: string;
  /** YAML under `template.spec.syncPolicy`, or none (manual sync). */
  syncPolicy?: string;
  /** `template.metadata.labels` lines. */
  labels?: string;
  destination?: string;
  targetRevision?: string;
  annotation?: string;
}

const CLUSTERS_ALL = '  - clusters: {}';
const AUTOMATED = '        automated:\n          prune: true\n          selfHeal: true';

function appset(s: AppSetSpec = {}): string {
  const lines = [
    `apiVersion: ${s.apiVersion ?? 'argoproj.io/v1alpha1'}`,
    'kind: ApplicationSet',
    'metadata:',
    '  name: web',
    '  namespace: argocd',
  ];
  if (s.annotation) lines.push('  annotations:', `    ${s.annotation}`);
  lines.push('spec:', '  generators:', s.generators ?? CLUSTERS_ALL);
  if (s.strategy) lines.push('  strategy:', s.strategy);
  lines.push('  template:', '    metadata:', "      name: 'web-{{name}}'");
  if (s.labels) lines.push('      labels:', s.labels);
  lines.push(
    '    spec:',
    '      project: default',
    '      source:',
    '        repoURL: https://github.com/example/deploy.git',
    `        targetRevision: ${s.targetRevision ?? 'HEAD'}`,
    '        path: apps/web',
    '      destination:',
    s.destination ?? "        server: '{{server}}'",
    '        namespace: web',
  );
  if (s.syncPolicy !== undefined) lines.push('      syncPolicy:', s.syncPolicy);
  return `${lines.join('\n')}\n`;
}

const ROLLING_ORDERED = `    type: RollingSync
    rollingSync:
      steps:
        - matchExpressions:
            - {key: env, operator: In, values: [canary]}
        - matchExpressions:
            - {key: env, operator: In, values: [prod]}
          maxUpdate: 1`;
const ENV_LABEL = "        env: '{{metadata.labels.env}}'";

const LIST_TWO = `  - list:
      elements:
        - {cluster: canary-1, url: "https://canary-1.example.com"}
        - {cluster: prod-us, url: "https://prod-us.example.com/"}`;
const URL_DEST = "        server: '{{url}}'";

function one(name: string, text: string, config = ARGO_FLEET, extra: Partial<Case> = {}): Case {
  return { name, files: { [FILE]: text }, config, ...extra };
}

function bad(name: string, text: string, severity: 'high' | 'medium', needle: string, messageIncludes: string[], config = ARGO_FLEET, extra: Partial<Case> = {}): InvalidCase {
  return { ...one(name, text, config, extra), findings: [findingAt(severity, KEY, text, needle, messageIncludes)] };
}

const clustersAuto = appset({ syncPolicy: AUTOMATED });
const prodAuto = appset({ generators: '  - clusters:\n      selector:\n        matchLabels: {env: prod}', syncPolicy: AUTOMATED });
const listAuto = appset({ generators: LIST_TWO, destination: URL_DEST, syncPolicy: AUTOMATED });
const singleStep = appset({
  strategy: '    type: RollingSync\n    rollingSync:\n      steps:\n        - matchExpressions:\n            - {key: env, operator: Exists}',
  labels: ENV_LABEL,
});
const emptyFirstStep = appset({ strategy: `    type: RollingSync\n    rollingSync:\n      steps:\n        - {}\n        - matchExpressions:\n            - {key: env, operator: In, values: [prod]}`, labels: ENV_LABEL });
const matrixAuto = appset({
  generators: `  - matrix:
      generators:
        - git:
            repoURL: https://github.com/example/deploy.git
            revision: HEAD
            files:
              - path: "apps/*/config.json"
        - clusters: {}`,
  syncPolicy: AUTOMATED,
});
const mergeAuto = appset({
  generators: `  - merge:
      mergeKeys: [server]
      generators:
        - clusters: {}
        - list:
            elements:
              - {server: "https://prod-us.example.com", replicas: "5"}`,
  syncPolicy: AUTOMATED,
});
const secretTypeAuto = appset({
  generators: '  - clusters:\n      selector:\n        matchLabels:\n          argocd.argoproj.io/secret-type: cluster',
  syncPolicy: AUTOMATED,
});
const enabledTrue = appset({ syncPolicy: '        automated:\n          enabled: true' });
const unknownDest = appset({
  generators: `  - list:
      elements:
        - {url: "https://10.0.0.1"}
        - {url: "https://10.0.0.2"}`,
  destination: URL_DEST,
  syncPolicy: AUTOMATED,
});
const goTemplate = appset({ syncPolicy: AUTOMATED, destination: "        name: '{{ .name }}'" }).replace('spec:\n  generators:', 'spec:\n  goTemplate: true\n  generators:');
const postFilter = appset({
  generators: `  - list:
      elements:
        - {cluster: canary-1, url: "https://canary-1.example.com", env: canary}
        - {cluster: prod-us, url: "https://prod-us.example.com", env: prod}
        - {cluster: prod-eu, url: "https://prod-eu.example.com", env: prod}
    selector:
      matchLabels: {env: prod}`,
  destination: URL_DEST,
  syncPolicy: AUTOMATED,
});

ruleTester(applicationsetSync).run({
  invalid: [
    bad('clusters: {} with automated sync: every cluster of the fleet, high', clustersAuto, 'high', 'automated:', [
      'clusters: {} generator selects every cluster registered in Argo CD (all 3 clusters of the fleet)',
      'syncPolicy.automated',
      WHOLE_FLEET,
      'every cluster of the fleet, more than 1,000 nodes',
    ]),
    bad('cluster selector env=prod reaching two prod clusters: medium', prodAuto, 'medium', 'automated:', [PROD_ONLY]),
    bad('list generator with two listed clusters (server with a trailing slash): medium', listAuto, 'medium', 'automated:', [
      '2 clusters, 4,860 nodes: canary-1 (60), prod-us (4,800)',
    ]),
    bad('RollingSync with a single step selecting everything, no automated sync: medium... high on the whole fleet', singleStep, 'high', 'steps:', [
      'single step',
      WHOLE_FLEET,
    ]),
    bad('RollingSync whose first step has no matchExpressions selects everything', emptyFirstStep, 'high', 'steps:', ['first RollingSync step']),
    bad('matrix of git files (not expanded) and clusters: {}: reach of the clusters generator', matrixAuto, 'high', 'automated:', [WHOLE_FLEET]),
    bad('merge whose first child is clusters: {}', mergeAuto, 'high', 'automated:', [WHOLE_FLEET]),
    bad('selector on the secret-type label every registered cluster carries', secretTypeAuto, 'high', 'automated:', [
      'clusters generator selects every cluster registered in Argo CD',
      WHOLE_FLEET,
    ]),
    bad('automated.enabled: true', enabledTrue, 'high', 'automated:', [WHOLE_FLEET]),
    bad('two destinations the fleet does not know: medium, named', unknownDest, 'medium', 'automated:', [
      '2 destinations the fleet config does not know ("https://10.0.0.1" and "https://10.0.0.2")',
    ]),
    bad('goTemplate destination name from the clusters generator', goTemplate, 'high', 'automated:', [WHOLE_FLEET]),
    bad('generator post-filter selector keeps the two prod elements', postFilter, 'medium', 'automated:', [PROD_ONLY]),
    bad('made new by the PR: base had manual sync', clustersAuto, 'high', 'automated:', [WHOLE_FLEET], ARGO_FLEET, {
      base: { [FILE]: appset() },
    }),
    bad('made new by the PR: base had ordered RollingSync steps', clustersAuto, 'high', 'automated:', [WHOLE_FLEET], ARGO_FLEET, {
      base: { [FILE]: appset({ strategy: ROLLING_ORDERED, labels: ENV_LABEL, syncPolicy: AUTOMATED }) },
    }),
  ],
  valid: [
    // Without argocd config nothing says which clusters its Argo CD manages: only where the ApplicationSet
    // itself is deployed (here argocd/, no cluster), as the fleet map assumes.
    one('zero Argo CD config: clusters: {} cannot be expanded past the clusters the ApplicationSet is deployed to', clustersAuto, FLEET),
    one('RollingSync with ordered steps (canary, then prod)', appset({ strategy: ROLLING_ORDERED, labels: ENV_LABEL, syncPolicy: AUTOMATED })),
    one('manual sync (no syncPolicy)', appset()),
    one('manual sync (syncPolicy without automated)', appset({ syncPolicy: '        syncOptions: [CreateNamespace=true]' })),
    one('automated.enabled: false', appset({ syncPolicy: '        automated:\n          enabled: false\n          prune: true' })),
    one('automated: null (YAML key without value)', appset({ syncPolicy: '        automated:' })),
    one('single-cluster list', appset({ generators: '  - list:\n      elements:\n        - {url: "https://prod-us.example.com"}', destination: URL_DEST, syncPolicy: AUTOMATED })),
    one('selector reaching one cluster (env=canary)', appset({ generators: '  - clusters:\n      selector:\n        matchLabels: {env: canary}', syncPolicy: AUTOMATED })),
    one('selector matching no cluster', appset({ generators: '  - clusters:\n      selector:\n        matchLabels: {env: nowhere}', syncPolicy: AUTOMATED })),
    one('two list elements to one literal destination', appset({ generators: LIST_TWO, destination: '        server: https://kubernetes.default.svc', syncPolicy: AUTOMATED })),
    one('each cluster pinned to its own revision', appset({
      generators: `  - list:
      elements:
        - {url: "https://canary-1.example.com", revision: main}
        - {url: "https://prod-us.example.com", revision: v1.4.2}
        - {url: "https://prod-eu.example.com", revision: v1.4.1}`,
      destination: URL_DEST,
      targetRevision: "'{{revision}}'",
      syncPolicy: AUTOMATED,
    })),
    one('generators that cannot be expanded here (cluster decision resource, git files)', appset({
      generators: '  - clusterDecisionResource:\n      configMapRef: ocm-placement\n  - git:\n      repoURL: https://github.com/example/deploy.git\n      files:\n        - path: "clusters/*.json"',
      syncPolicy: AUTOMATED,
    })),
    one('RollingSync whose steps select nothing (every Application left to manual sync)', appset({ strategy: ROLLING_ORDERED })),
    one('RollingSync with a template label that cannot be rendered', appset({ strategy: ROLLING_ORDERED, labels: "        env: '{{missing}}'" })),
    one('not Argo CD', appset({ apiVersion: 'example.com/v1', syncPolicy: AUTOMATED })),
    one('unchanged on the base (not new)', clustersAuto, ARGO_FLEET, { base: { [FILE]: clustersAuto } }),
    one('comment-only and annotation-only edit of an existing one', appset({ syncPolicy: AUTOMATED, annotation: 'example.com/owner: platform' }).replace('kind:', '# reviewed\nkind:'), ARGO_FLEET, {
      base: { [FILE]: clustersAuto },
    }),
    one('high on the base stays quiet when the head narrows to prod (medium is not new)', prodAuto, ARGO_FLEET, { base: { [FILE]: clustersAuto } }),
    one('odd input: spec is a string', 'apiVersion: argoproj.io/v1alpha1\nkind: ApplicationSet\nmetadata: {name: odd}\nspec: nope\n'),
    one(
      'odd input: strings and lists where maps are expected',
      [
        'apiVersion: argoproj.io/v1alpha1',
        'kind: ApplicationSet',
        'metadata: {name: odd}',
        'spec:',
        '  generators: [clusters, {list: nope}, {clusters: [1]}, {matrix: {generators: x}}, {merge: {}}, {list: {elements: [a, 1, {url: [x]}]}}]',
        '  strategy: {type: RollingSync, rollingSync: {steps: nope}}',
        '  template:',
        '    metadata: {labels: [a]}',
        '    spec: {destination: [x], source: 3, syncPolicy: {automated: {}}}',
        '---',
        'apiVersion: argoproj.io/v1alpha1',
        'kind: ApplicationSet',
        'metadata: {name: odd2}',
        'spec:',
        '  generators: {clusters: {}}',
        '  template: {spec: {syncPolicy: {automated: yes}, destination: {server: 7}}}',
        '',
      ].join('\n'),
    ),
  ],
});

describe('canary/applicationset-sync: message', () => {
  it('says what to do with an example of RollingSync steps', () => {
    expect(applicationsetSync.meta.remediation).toContain('RollingSync');
    expect(applicationsetSync.meta.remediation).toContain('matchExpressions');
    expect(applicationsetSync.meta.remediation.endsWith('.')).toBe(true);
  });
});

// Real ApplicationSets from argoproj/argo-cd. Expectations (written before running the rule):
// - the Progressive Syncs doc example (RollingSync, steps dev → qa → prod on envLabel): quiet;
// - docs/operator-manual/applicationset.yaml (automated + RollingSync with three steps; the template has
//   no envLabel, so no step selects anything and every Application is left to manual sync): quiet;
// - the cluster decision resource example (automated sync, but its clusters come from a Placement): quiet;
// - design-doc/clusters.yaml (secret-type selector = every registered cluster, manual sync): quiet; the
//   same with automated sync added: high on the test fleet (every cluster, 8,060 nodes); and an
//   annotation-only edit of that automated version: quiet (not new).
const PS = 'argoproj+argo-cd/docs/operator-manual/applicationset/Progressive-Syncs.md.extracted/guestbook-rollingsync-applicationset.yaml';
const MANUAL = 'argoproj+argo-cd/docs/operator-manual/applicationset.yaml';
const DUCK = 'argoproj+argo-cd/applicationset/examples/clusterDecisionResource/ducktype-example.yaml';
const CLUSTERS = 'argoproj+argo-cd/applicationset/examples/design-doc/clusters.yaml';

if (HAS_CORPUS) {
  const clusters = readCorpus(CLUSTERS);
  const clustersAutomated = clusters.replace('      destination:', '      syncPolicy:\n        automated: {}\n      destination:');
  describe('real-world manifests', () => {
    it('the automated variant really adds automated sync', () => {
      expect(clustersAutomated).not.toBe(clusters);
      expect(annotate(clustersAutomated, 'ApplicationSet')).not.toBe(clustersAutomated);
    });
  });
  ruleTester(applicationsetSync).run({
    valid: [
      one('argo-cd Progressive Syncs example', readCorpus(PS)),
      one('argo-cd operator-manual applicationset.yaml', readCorpus(MANUAL)),
      one('argo-cd cluster decision resource example', readCorpus(DUCK)),
      one('argo-cd design-doc clusters.yaml (manual sync)', clusters),
      one('argo-cd clusters.yaml with automated sync, annotation-only edit', annotate(clustersAutomated, 'ApplicationSet'), ARGO_FLEET, {
        base: { [FILE]: clustersAutomated },
      }),
    ],
    invalid: [bad('argo-cd clusters.yaml with automated sync added', clustersAutomated, 'high', 'automated:', [WHOLE_FLEET])],
  });
}
