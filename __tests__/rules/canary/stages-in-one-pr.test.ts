/**
 * Table tests of canary/stages-in-one-pr: one merge reaching clusters of more than one stage, plus engine
 * runs with blast-radius/fleet-fan-out for the high case. Lines are looked up in the case's own YAML.
 */
import { describe, expect, it } from 'vitest';
import { fleetFanOut } from '../../../rules/blast-radius/fleet-fan-out.js';
import { stagesInOnePr } from '../../../rules/canary/stages-in-one-pr.js';
import type { Rule } from '../../../src/rule.js';
import { annotate } from '../../helpers/corpus.js';
import { lineContaining, ruleTester, runCase, runRules } from '../../helpers/rule-tester.js';
import { FLAGGER, FLEET, HAS_CORPUS, SHARED, metricsServer, THREE_STAGES, V1, V2, V3, kustomize, perCluster, rollout, workload } from './fixtures.js';

const KEY = 'stages';
const NAME = 'name: web';
const STAGES_FLEET = 'stage "canary": canary-1 (60); stage "prod": prod-eu (3,200), prod-us (4,800)';
const SHARED_FILE = 'apps/web.yaml';

const all = (text: string) => perCluster({ 'canary-1': text, 'prod-us': text, 'prod-eu': text });

/** An Argo CD ApplicationSet deploying `clusters/<name>` to each cluster, with RollingSync steps (one per env). */
const appSet = (steps: string[]) => `apiVersion: argoproj.io/v1alpha1
kind: ApplicationSet
metadata: {name: web, namespace: argocd}
spec:
  generators:
  - list:
      elements: [{name: canary-1, env: canary}, {name: prod-us, env: prod}, {name: prod-eu, env: prod}]
  strategy:
    type: RollingSync
    rollingSync:
      steps:
${steps.map((env) => `      - matchExpressions: [{key: env, operator: In, values: [${env}]}]`).join('\n')}
  template:
    metadata: {name: 'web-{{name}}', labels: {env: '{{env}}'}}
    spec:
      project: default
      source: {repoURL: https://git.example.com/infra.git, path: 'clusters/{{name}}'}
      destination: {name: '{{name}}', namespace: shop}
      syncPolicy: {automated: {}}
`;
const bumped = workload({ image: V2 });
const WORKLOAD_REF = `apiVersion: argoproj.io/v1alpha1
kind: Rollout
metadata: { name: web-rollout, namespace: shop }
spec:
  workloadRef: { apiVersion: apps/v1, kind: Deployment, name: web }
  strategy: { canary: { steps: [{ setWeight: 20 }, { pause: {} }] } }
`;
/** A Flagger Canary, then a Rollout over the same Deployment (the file the Deployment follows). */
const GATES = `${FLAGGER.replace('---\n', '')}---\n${WORKLOAD_REF}---\n`;

ruleTester(stagesInOnePr).run({
  valid: [
    {
      name: 'a canary image bump and an unrelated production ConfigMap hotfix: no object reaches two stages',
      config: FLEET,
      base: { ...perCluster({ 'canary-1': workload(), 'prod-us': workload() }), 'clusters/prod-us/cm.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: limits, namespace: shop}\ndata: {a: "1"}\n' },
      files: { ...perCluster({ 'canary-1': bumped, 'prod-us': workload() }), 'clusters/prod-us/cm.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: limits, namespace: shop}\ndata: {a: "2"}\n' },
    },
    { name: 'the same bump in the canary overlay alone', config: FLEET, base: kustomize(V1, { 'canary-1': undefined, 'prod-us': '1.0.0', 'prod-eu': '1.0.0' }), files: kustomize(V2, { 'canary-1': undefined, 'prod-us': '1.0.0', 'prod-eu': '1.0.0' }) },
    { name: 'a bump in the canary cluster folder alone', config: FLEET, base: all(workload()), files: { ...all(workload()), 'clusters/canary-1/web.yaml': bumped } },
    { name: 'a bump in one production folder is one stage (production-first judges it)', config: FLEET, base: all(workload()), files: { ...all(workload()), 'clusters/prod-us/web.yaml': bumped } },
    { name: 'a label-only edit in a file every cluster receives rolls nothing', config: SHARED, base: { [SHARED_FILE]: workload() }, files: { [SHARED_FILE]: workload({ label: 'platform' }) } },
    { name: 'an apiVersion-only edit rolls nothing', config: SHARED, base: { [SHARED_FILE]: workload({ kind: 'CronJob', apiVersion: 'batch/v1beta1' }) }, files: { [SHARED_FILE]: workload({ kind: 'CronJob', apiVersion: 'batch/v1' }) } },
    { name: 'a comment-only edit is no change', config: SHARED, base: { [SHARED_FILE]: workload() }, files: { [SHARED_FILE]: `# reviewed\n${workload()}` } },
    {
      name: 'a promotion: both production folders take exactly what the canary runs on the base',
      config: FLEET,
      base: perCluster({ 'canary-1': bumped, 'prod-us': workload(), 'prod-eu': workload() }),
      files: all(bumped),
    },
    {
      name: 'a release train: production takes what the canary ran while the canary moves on',
      config: FLEET,
      base: perCluster({ 'canary-1': bumped, 'prod-us': workload(), 'prod-eu': workload() }),
      files: perCluster({ 'canary-1': workload({ image: V3 }), 'prod-us': bumped, 'prod-eu': bumped }),
    },
    {
      name: 'a promotion through overlays: the production pins are dropped after the canary ran the base image',
      config: FLEET,
      base: kustomize(V2, { 'canary-1': undefined, 'prod-us': '1.0.0', 'prod-eu': '1.0.0' }),
      files: kustomize(V2, { 'canary-1': undefined, 'prod-us': undefined, 'prod-eu': undefined }),
    },
    { name: 'a file no cluster receives (unmapped) is no evidence of a stage', config: FLEET, base: { 'platform/web.yaml': workload(), ...perCluster({ 'canary-1': workload() }) }, files: { 'platform/web.yaml': bumped, ...perCluster({ 'canary-1': bumped }) } },
    { name: 'a staging-only change with dev untouched', config: THREE_STAGES, base: perCluster({ 'dev-1': workload(), 'staging-1': workload() }), files: perCluster({ 'dev-1': workload(), 'staging-1': bumped }) },
    {
      name: 'odd input: aliases shared across the document, changed in the canary only',
      config: FLEET,
      base: { 'clusters/canary-1/x.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x, namespace: shop}\ndata: &d {a: "1"}\nextra: [*d, *d]\n' },
      files: { 'clusters/canary-1/x.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x, namespace: shop}\ndata: &d {a: "2"}\nextra: [*d, *d]\n' },
    },
    { name: 'odd input: a string spec in the canary only does not throw', config: FLEET, base: { 'clusters/canary-1/x.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x, namespace: shop}\ndata: nope\n' }, files: { 'clusters/canary-1/x.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x, namespace: shop}\ndata: [1, {a: 2}]\n' } },
  ],
  invalid: [
    {
      name: 'dev and staging together, production untouched: low (no production cluster is left unprotected)',
      config: THREE_STAGES,
      base: perCluster({ 'dev-1': workload(), 'staging-1': workload(), 'prod-us': workload() }),
      files: perCluster({ 'dev-1': bumped, 'staging-1': bumped, 'prod-us': workload() }),
      findings: [{ severity: 'low', key: KEY, line: lineContaining(bumped, NAME) }],
    },
    {
      name: 'an ApplicationSet with ordered RollingSync steps (canary, then prod) deploys every stage: low, the ApplicationSet named',
      config: FLEET,
      base: { 'argocd/web.yaml': appSet(['canary', 'prod']), ...all(workload()) },
      files: { 'argocd/web.yaml': appSet(['canary', 'prod']), ...all(bumped) },
      findings: [{ severity: 'low', key: KEY, line: lineContaining(bumped, NAME), messageIncludes: ['Argo CD ApplicationSet "argocd/web" (RollingSync, 2 steps)'] }],
    },
    {
      name: 'the same ApplicationSet with a single RollingSync step syncs everything at once: medium',
      config: FLEET,
      base: { 'argocd/web.yaml': appSet(['canary']), ...all(workload()) },
      files: { 'argocd/web.yaml': appSet(['canary']), ...all(bumped) },
      findings: [{ severity: 'medium', key: KEY, line: lineContaining(bumped, NAME) }],
    },
    {
      name: 'one pull request bumps the image in the canary and both production overlays',
      config: FLEET,
      base: kustomize(V1, { 'canary-1': '1.0.0', 'prod-us': '1.0.0', 'prod-eu': '1.0.0' }),
      files: kustomize(V1, { 'canary-1': '2.0.0', 'prod-us': '2.0.0', 'prod-eu': '2.0.0' }),
      // The object's file is unchanged: the finding points at the first edited overlay.
      findings: [{ severity: 'medium', key: KEY, line: 1, messageIncludes: ['reaches 2 stages in one merge (3 clusters, 8,060 nodes)', STAGES_FLEET, 'stage "canary" gets it at the same time as "prod"', 'changed: Deployment "shop/web"'] }],
    },
    {
      name: 'a base change that every overlay includes names all stages',
      config: THREE_STAGES,
      base: kustomize(V1, { 'dev-1': undefined, 'staging-1': undefined, 'prod-us': undefined, 'prod-eu': undefined }),
      files: kustomize(V2, { 'dev-1': undefined, 'staging-1': undefined, 'prod-us': undefined, 'prod-eu': undefined }),
      findings: [
        {
          severity: 'medium',
          key: KEY,
          line: lineContaining(bumped, NAME),
          messageIncludes: ['reaches 3 stages in one merge (4 clusters, 8,120 nodes)', 'stage "dev": dev-1 (20); stage "staging": staging-1 (100); stage "prod": prod-eu (3,200), prod-us (4,800)', 'stages "dev" and "staging" get it at the same time as "prod"'],
        },
      ],
    },
    {
      name: 'zero-config: environments/staging and environments/production infer the stages',
      base: { 'environments/staging/web.yaml': workload(), 'environments/production/web.yaml': workload() },
      files: { 'environments/staging/web.yaml': bumped, 'environments/production/web.yaml': bumped },
      findings: [{ severity: 'medium', key: KEY, line: lineContaining(bumped, NAME), messageIncludes: ['stage "staging": staging (100, assumed); stage "prod": production (5,000, assumed)', '5,100 nodes (assumed)'] }],
    },
    {
      name: 'the same bump in the canary folder and one production folder',
      config: FLEET,
      base: all(workload()),
      files: { ...all(workload()), 'clusters/canary-1/web.yaml': bumped, 'clusters/prod-us/web.yaml': bumped },
      findings: [{ severity: 'medium', key: KEY, line: lineContaining(bumped, NAME), messageIncludes: ['stage "canary": canary-1 (60); stage "prod": prod-us (4,800)'] }],
    },
    {
      name: 'not a promotion: production takes a different version than the canary runs',
      config: FLEET,
      base: perCluster({ 'canary-1': workload(), 'prod-us': workload(), 'prod-eu': workload() }),
      files: perCluster({ 'canary-1': bumped, 'prod-us': workload({ image: V3 }), 'prod-eu': workload() }),
      findings: [{ severity: 'medium', key: KEY, line: lineContaining(bumped, NAME) }],
    },
    {
      name: 'a ConfigMap every cluster receives',
      config: SHARED,
      base: { [SHARED_FILE]: 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: web\n  namespace: shop\ndata: {a: "1"}\n' },
      files: { [SHARED_FILE]: 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: web\n  namespace: shop\ndata: {a: "2"}\n' },
      findings: [{ severity: 'medium', key: KEY, line: 4, messageIncludes: [STAGES_FLEET, 'ConfigMap "shop/web"'] }],
    },
    {
      name: 'a deletion from the canary and production at once',
      config: FLEET,
      base: all(workload()),
      files: perCluster({ 'canary-1': workload({ name: 'other' }), 'prod-us': workload({ name: 'other' }), 'prod-eu': workload({ name: 'other' }) }),
      findings: [{ severity: 'medium', key: KEY, line: lineContaining(workload({ name: 'other' }), 'name: other'), messageIncludes: ['Deployment "shop/web" (deleted)', 'Deployment "shop/other" (added)'] }],
    },
    {
      name: 'an Argo Rollouts Rollout with canary steps in every stage: low',
      config: SHARED,
      base: { [SHARED_FILE]: rollout(V1) },
      files: { [SHARED_FILE]: rollout(V2) },
      findings: [{ severity: 'low', key: KEY, line: lineContaining(rollout(V2), NAME), messageIncludes: ['progressive delivery gates it inside each cluster (Argo Rollouts Rollout "shop/web" (3 canary steps))'] }],
    },
    {
      name: 'a Flagger Canary targeting the Deployment in every stage: low',
      config: SHARED,
      base: { [SHARED_FILE]: workload() + FLAGGER },
      files: { [SHARED_FILE]: bumped + FLAGGER },
      findings: [{ severity: 'low', key: KEY, line: lineContaining(bumped, NAME), messageIncludes: ['Flagger Canary "shop/web"'] }],
    },
    {
      // Found in review: the gate named is the last in the file's order (a cluster's last write), not
      // the last by kind.
      name: 'a Flagger Canary and then an Argo Rollouts workloadRef Rollout for one Deployment: the Rollout, later in the file, names the gate',
      config: SHARED,
      base: { [SHARED_FILE]: `${GATES}${workload()}` },
      files: { [SHARED_FILE]: `${GATES}${bumped}` },
      findings: [{ severity: 'low', key: KEY, line: GATES.split('\n').length - 1 + lineContaining(bumped, NAME), messageIncludes: ['(Argo Rollouts Rollout "shop/web-rollout" (2 canary steps))'] }],
    },
    {
      name: 'a blue-green Rollout (no canary steps) is not progressive delivery across stages',
      config: SHARED,
      base: { [SHARED_FILE]: rollout(V1, 0) },
      files: { [SHARED_FILE]: rollout(V2, 0) },
      findings: [{ severity: 'medium', key: KEY, line: lineContaining(rollout(V2, 0), NAME) }],
    },
  ],
});

function run(base: Record<string, string>, head: Record<string, string>, rules: Rule[]) {
  return runRules(SHARED, base, head, rules).filter((f) => f.ruleId === stagesInOnePr.meta.id);
}

describe('canary/stages-in-one-pr with a blast-radius finding', () => {
  const ds = (image: string) => workload({ kind: 'DaemonSet', image });
  it('is high when blast-radius/fleet-fan-out flags a changed DaemonSet at high, and names that rule', () => {
    const found = run({ [SHARED_FILE]: ds(V1) }, { [SHARED_FILE]: ds(V2) }, [stagesInOnePr, fleetFanOut]);
    expect(found).toHaveLength(1);
    expect(found[0].severity).toBe('high');
    expect(found[0].resource).toBeNull();
    expect(found[0].clusters).toEqual(['canary-1', 'prod-eu', 'prod-us']);
    expect(found[0].message).toContain('blast-radius/fleet-fan-out also flags it at high or above');
  });
  it('stays medium for a Deployment that fleet-fan-out rates low', () => {
    const found = run({ [SHARED_FILE]: workload() }, { [SHARED_FILE]: bumped }, [stagesInOnePr, fleetFanOut]);
    expect(found.map((f) => f.severity)).toEqual(['medium']);
  });
});

describe.runIf(HAS_CORPUS)('canary/stages-in-one-pr on kubernetes-sigs/metrics-server (zero-config stages)', () => {
  it('a base Deployment change reaches the test overlays and the release overlays: medium, both stages named', () => {
    const { base, files } = metricsServer('base/deployment.yaml', (t) => t.replace('--metric-resolution=15s', '--metric-resolution=30s'));
    const found = runCase(stagesInOnePr, { name: 'ms', base, files }).live;
    expect(found.map((f) => [f.severity, f.file, f.line])).toEqual([['medium', 'manifests/base/deployment.yaml', lineContaining(files['manifests/base/deployment.yaml'], 'name: metrics-server')]]);
    expect(found[0].message).toContain('stage "test": test (100, assumed), test-ha (100, assumed); stage "prod":');
    expect(found[0].message).toContain('Deployment "kube-system/metrics-server"');
  });
  it('an annotation-only edit of the base Deployment stays quiet', () => {
    const { base, files } = metricsServer('base/deployment.yaml', (t) => annotate(t, 'Deployment'));
    expect(runCase(stagesInOnePr, { name: 'ms-ann', base, files }).live).toEqual([]);
  });
  it('a new image tag in the release component alone is one stage', () => {
    const { base, files } = metricsServer('components/release/kustomization.yaml', (t) => t.replace('newTag: v0.9.0', 'newTag: v0.9.1'));
    expect(runCase(stagesInOnePr, { name: 'ms-rel', base, files }).live).toEqual([]);
  });
});
