/**
 * Table tests of canary/production-first: a change landing in the last stage only while no earlier stage
 * runs it. Promotions (production takes exactly what an earlier stage runs on the base) stay quiet.
 */
import { productionFirst } from '../../../rules/canary/production-first.js';
import { describe, expect, it } from 'vitest';
import { annotate } from '../../helpers/corpus.js';
import { lineContaining, ruleTester, runCase } from '../../helpers/rule-tester.js';
import { FLAGGER, FLEET, HAS_CORPUS, PROD_ONLY, metricsServer, THREE_STAGES, V1, V2, V3, kustomize, perCluster, rollout, workload } from './fixtures.js';

const KEY = 'production-first';
const NAME = 'name: web';
const SKIPPED = 'no earlier stage runs it on the base (stage "canary": canary-1 (60))';

const all = (text: string) => perCluster({ 'canary-1': text, 'prod-us': text, 'prod-eu': text });
const bumped = workload({ image: V2 });
const configMap = (name: string, value: string) => `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ${name}\n  namespace: shop\ndata: {a: "${value}"}\n`;

ruleTester(productionFirst).run({
  valid: [
    {
      name: 'a promotion: production takes exactly what the canary runs on the base',
      config: FLEET,
      base: perCluster({ 'canary-1': bumped, 'prod-us': workload(), 'prod-eu': workload() }),
      files: all(bumped),
    },
    {
      name: 'a promotion despite per-stage differences the change leaves alone (replicas, an env value)',
      config: FLEET,
      base: perCluster({ 'canary-1': workload({ image: V2, replicas: 2, env: 'canary' }), 'prod-us': workload({ replicas: 20, env: 'prod' }) }),
      files: perCluster({ 'canary-1': workload({ image: V2, replicas: 2, env: 'canary' }), 'prod-us': workload({ image: V2, replicas: 20, env: 'prod' }) }),
    },
    {
      name: 'a promotion through overlays: a production pin moves to what the canary runs',
      config: FLEET,
      base: kustomize(V1, { 'canary-1': '2.0.0', 'prod-us': '1.0.0', 'prod-eu': '1.0.0' }),
      files: kustomize(V1, { 'canary-1': '2.0.0', 'prod-us': '2.0.0', 'prod-eu': '1.0.0' }),
    },
    {
      name: 'a promotion of a new object: the canary already runs the same ConfigMap',
      config: FLEET,
      base: { 'clusters/canary-1/cm.yaml': configMap('flags', 'on') },
      files: { 'clusters/canary-1/cm.yaml': configMap('flags', 'on'), 'clusters/prod-us/cm.yaml': configMap('flags', 'on') },
    },
    {
      name: 'a promotion that adds an env entry the canary runs, production keeping its own entries (named lists matched by name)',
      config: FLEET,
      base: perCluster({
        'canary-1': workload({ env: 'canary' }).replace('        env:\n', '        env:\n        - {name: FEATURE_X, value: "on"}\n'),
        'prod-us': workload({ env: 'prod' }).replace('        env:\n', '        env:\n        - {name: REGION, value: us}\n'),
      }),
      files: perCluster({
        'canary-1': workload({ env: 'canary' }).replace('        env:\n', '        env:\n        - {name: FEATURE_X, value: "on"}\n'),
        'prod-us': workload({ env: 'prod' }).replace('        env:\n', '        env:\n        - {name: REGION, value: us}\n        - {name: FEATURE_X, value: "on"}\n'),
      }),
    },
    {
      name: 'a promotion of a new Deployment with its own replica count in production',
      config: FLEET,
      base: perCluster({ 'canary-1': workload({ replicas: 2 }) }),
      files: perCluster({ 'canary-1': workload({ replicas: 2 }), 'prod-us': workload({ replicas: 10 }) }),
    },
    { name: 'a canary-only change', config: FLEET, base: all(workload()), files: { ...all(workload()), 'clusters/canary-1/web.yaml': bumped } },
    { name: 'canary and production together are stages-in-one-pr, not production-first', config: FLEET, base: all(workload()), files: all(bumped) },
    { name: 'a staging-only change with dev untouched is no violation', config: THREE_STAGES, base: perCluster({ 'dev-1': workload(), 'staging-1': workload() }), files: perCluster({ 'dev-1': workload(), 'staging-1': bumped }) },
    { name: 'a fleet with no earlier stage has nothing to go through first', config: PROD_ONLY, base: perCluster({ 'prod-us': workload() }), files: perCluster({ 'prod-us': bumped }) },
    { name: 'a production-only deletion is left to blast-radius/deletion', config: FLEET, base: all(workload()), files: { ...perCluster({ 'canary-1': workload() }), 'clusters/prod-us/other.yaml': '# emptied\n' } },
    { name: 'a label-only edit in production rolls nothing', config: FLEET, base: all(workload()), files: { ...all(workload()), 'clusters/prod-us/web.yaml': workload({ label: 'sre' }) } },
    { name: 'a production file moved inside its folder is no change', config: FLEET, base: all(workload()), files: { ...perCluster({ 'canary-1': workload(), 'prod-eu': workload() }), 'clusters/prod-us/apps/web.yaml': workload() } },
    { name: 'odd input: a string spec does not throw (canary only)', config: FLEET, base: { 'clusters/canary-1/x.yaml': workload().replace(/spec:[\s\S]*/, 'spec: a\n') }, files: { 'clusters/canary-1/x.yaml': workload().replace(/spec:[\s\S]*/, 'spec: b\n') } },
  ],
  invalid: [
    {
      name: 'a canary image bump and an unrelated production ConfigMap hotfix in one PR: production first for the ConfigMap alone',
      config: FLEET,
      base: { ...perCluster({ 'canary-1': workload(), 'prod-us': workload() }), 'clusters/prod-us/cm.yaml': configMap('limits', '1') },
      files: { ...perCluster({ 'canary-1': bumped, 'prod-us': workload() }), 'clusters/prod-us/cm.yaml': configMap('limits', '2') },
      findings: [{ severity: 'medium', key: KEY, line: 4, messageIncludes: ['changed: ConfigMap "shop/limits"'] }],
    },
    {
      name: 'not a promotion: production adds an env entry with another value than the canary runs',
      config: FLEET,
      base: perCluster({
        'canary-1': workload({ env: 'canary' }).replace('        env:\n', '        env:\n        - {name: FEATURE_X, value: "on"}\n'),
        'prod-us': workload({ env: 'prod' }),
      }),
      files: perCluster({
        'canary-1': workload({ env: 'canary' }).replace('        env:\n', '        env:\n        - {name: FEATURE_X, value: "on"}\n'),
        'prod-us': workload({ env: 'prod' }).replace('        env:\n', '        env:\n        - {name: FEATURE_X, value: "off"}\n'),
      }),
      findings: [{ severity: 'medium', key: KEY, line: lineContaining(workload(), NAME) }],
    },
    {
      name: 'a bump in one production folder while the canary runs the old image',
      config: FLEET,
      base: all(workload()),
      files: { ...all(workload()), 'clusters/prod-us/web.yaml': bumped },
      findings: [{ severity: 'medium', key: KEY, line: lineContaining(bumped, NAME), messageIncludes: ['reaches only the last stage, "prod": prod-us (4,800), and no earlier stage', SKIPPED, 'changed: Deployment "shop/web"'] }],
    },
    {
      name: 'not a promotion: production skips past what the canary runs',
      config: FLEET,
      base: perCluster({ 'canary-1': bumped, 'prod-us': workload(), 'prod-eu': workload() }),
      files: perCluster({ 'canary-1': bumped, 'prod-us': workload({ image: V3 }), 'prod-eu': workload({ image: V3 }) }),
      findings: [{ severity: 'medium', key: KEY, line: lineContaining(bumped, NAME), messageIncludes: ['prod-eu (3,200), prod-us (4,800) (8,000 nodes in all)'] }],
    },
    {
      name: 'not a promotion: the change also touches what the canary runs differently',
      config: FLEET,
      base: perCluster({ 'canary-1': workload({ image: V2, env: 'a' }), 'prod-us': workload({ env: 'a' }) }),
      files: perCluster({ 'canary-1': workload({ image: V2, env: 'a' }), 'prod-us': workload({ image: V2, env: 'b' }) }),
      findings: [{ severity: 'medium', key: KEY, line: lineContaining(bumped, NAME) }],
    },
    {
      name: 'a production pin moved in the overlay: the finding points at the overlay',
      config: FLEET,
      base: kustomize(V1, { 'canary-1': '1.0.0', 'prod-us': '1.0.0', 'prod-eu': '1.0.0' }),
      files: kustomize(V1, { 'canary-1': '1.0.0', 'prod-us': '2.0.0', 'prod-eu': '1.0.0' }),
      findings: [{ severity: 'medium', key: KEY, line: 1, messageIncludes: ['prod-us (4,800)'] }],
    },
    {
      name: 'a new object in production that no earlier stage runs',
      config: FLEET,
      base: all(workload()),
      files: { ...all(workload()), 'clusters/prod-eu/cm.yaml': configMap('flags', 'on') },
      findings: [{ severity: 'medium', key: KEY, line: 4, messageIncludes: ['ConfigMap "shop/flags" (added)'] }],
    },
    {
      name: 'an Argo Rollouts Rollout with canary steps in production alone is at most low',
      config: FLEET,
      base: perCluster({ 'canary-1': rollout(V1), 'prod-us': rollout(V1) }),
      files: perCluster({ 'canary-1': rollout(V1), 'prod-us': rollout(V2) }),
      findings: [{ severity: 'low', key: KEY, line: lineContaining(rollout(V2), NAME), messageIncludes: ['Argo Rollouts Rollout "shop/web" (3 canary steps)', 'so this is at most low'] }],
    },
    {
      name: 'a Flagger Canary targeting the Deployment in production alone is at most low',
      config: FLEET,
      base: perCluster({ 'canary-1': workload() + FLAGGER, 'prod-us': workload() + FLAGGER }),
      files: perCluster({ 'canary-1': workload() + FLAGGER, 'prod-us': bumped + FLAGGER }),
      findings: [{ severity: 'low', key: KEY, line: lineContaining(bumped, NAME), messageIncludes: ['Flagger Canary "shop/web"'] }],
    },
    {
      name: 'a Flagger Canary for another Deployment gates nothing here',
      config: FLEET,
      base: perCluster({ 'canary-1': workload(), 'prod-us': workload() + FLAGGER.replace('name: web}', 'name: api}') }),
      files: perCluster({ 'canary-1': workload(), 'prod-us': bumped + FLAGGER.replace('name: web}', 'name: api}') }),
      findings: [{ severity: 'medium', key: KEY, line: lineContaining(bumped, NAME) }],
    },
    {
      name: 'a blue-green Rollout (no canary steps) in production alone stays medium',
      config: FLEET,
      base: perCluster({ 'canary-1': rollout(V1, 0), 'prod-us': rollout(V1, 0) }),
      files: perCluster({ 'canary-1': rollout(V1, 0), 'prod-us': rollout(V2, 0) }),
      findings: [{ severity: 'medium', key: KEY, line: lineContaining(rollout(V2, 0), NAME) }],
    },
    {
      name: 'zero-config: a change under environments/production alone, with environments/staging there',
      base: { 'environments/staging/web.yaml': workload(), 'environments/production/web.yaml': workload() },
      files: { 'environments/staging/web.yaml': workload(), 'environments/production/web.yaml': bumped },
      findings: [{ severity: 'medium', key: KEY, line: lineContaining(bumped, NAME), messageIncludes: ['production (5,000, assumed)', 'stage "staging": staging (100, assumed)'] }],
    },
  ],
});

describe.runIf(HAS_CORPUS)('canary/production-first on kubernetes-sigs/metrics-server (zero-config stages)', () => {
  it('a new image tag in the release component reaches the three release overlays only: medium', () => {
    const { base, files } = metricsServer('components/release/kustomization.yaml', (t) => t.replace('newTag: v0.9.0', 'newTag: v0.9.1'));
    const found = runCase(productionFirst, { name: 'ms-rel', base, files }).live;
    expect(found.map((f) => [f.severity, f.file, f.line])).toEqual([['medium', 'manifests/components/release/kustomization.yaml', 1]]);
    expect(found[0].clusters).toEqual(['release', 'release-ha', 'release-ha-1.21+']);
    expect(found[0].message).toContain('stage "test": test (100, assumed), test-ha (100, assumed)');
  });
  it('a base Deployment change reaches the test stage too: quiet here', () => {
    const { base, files } = metricsServer('base/deployment.yaml', (t) => t.replace('--metric-resolution=15s', '--metric-resolution=30s'));
    expect(runCase(productionFirst, { name: 'ms', base, files }).live).toEqual([]);
  });
  it('an annotation-only edit of the base Deployment stays quiet', () => {
    const { base, files } = metricsServer('base/deployment.yaml', (t) => annotate(t, 'Deployment'));
    expect(runCase(productionFirst, { name: 'ms-ann', base, files }).live).toEqual([]);
  });
});
