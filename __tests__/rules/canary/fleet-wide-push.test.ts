/**
 * Table tests of canary/fleet-wide-push: half or more of the production clusters (and two or more) in
 * one merge. Promotions stay quiet.
 */
import { fleetWidePush } from '../../../rules/canary/fleet-wide-push.js';
import { describe, expect, it } from 'vitest';
import { annotate } from '../../helpers/corpus.js';
import { lineContaining, ruleTester, runCase } from '../../helpers/rule-tester.js';
import { FLEET, FOUR_PROD, HAS_CORPUS, PROD_ONLY, SHARED, metricsServer, V1, V2, kustomize, perCluster, rollout, workload } from './fixtures.js';

const KEY = 'fleet-wide';
const NAME = 'name: web';
const SHARED_FILE = 'apps/web.yaml';
const ONE_PROD = `fleet:
  clusters:
    - { name: canary-1, nodes: 60, stage: canary, paths: ["**"] }
    - { name: prod-us, nodes: 4800, stage: prod, paths: ["**"] }
rollout: { stages: [canary, prod] }
`;

const all = (text: string) => perCluster({ 'canary-1': text, 'prod-us': text, 'prod-eu': text });
const prods = (text: string) => perCluster({ 'prod-us': text, 'prod-eu': text });
const bumped = workload({ image: V2 });
const four = (text: string, changed: string[] = []) =>
  perCluster(Object.fromEntries(['canary-1', 'prod-a', 'prod-b', 'prod-c', 'prod-d'].map((c) => [c, changed.includes(c) ? bumped : text])));

ruleTester(fleetWidePush).run({
  valid: [
    // Deletions are blast-radius/deletion's (and an object only production runs can only be removed there).
    {
      name: 'a deletion from every production cluster at once',
      config: FLEET,
      base: all(workload()),
      files: { ...perCluster({ 'canary-1': workload() }), 'clusters/prod-us/other.yaml': '# emptied\n', 'clusters/prod-eu/other.yaml': '# emptied\n' },
    },
    {
      name: 'both production overlays scaled (replicas only): nothing rolls',
      config: FLEET,
      base: all(workload({ replicas: 3 })),
      files: { ...perCluster({ 'canary-1': workload({ replicas: 3 }), 'prod-us': workload({ replicas: 8 }), 'prod-eu': workload({ replicas: 8 }) }) },
    },
    { name: 'a promotion: both production clusters take exactly what the canary runs', config: FLEET, base: perCluster({ 'canary-1': bumped, 'prod-us': workload(), 'prod-eu': workload() }), files: all(bumped) },
    { name: 'one production cluster of two is the staged way', config: FLEET, base: all(workload()), files: { ...all(workload()), 'clusters/prod-us/web.yaml': bumped } },
    { name: 'one production cluster of four', config: FOUR_PROD, base: four(workload()), files: four(workload(), ['prod-a']) },
    { name: 'a canary-only change', config: FLEET, base: all(workload()), files: { ...all(workload()), 'clusters/canary-1/web.yaml': bumped } },
    { name: 'a fleet with one production cluster', config: ONE_PROD, base: { [SHARED_FILE]: workload() }, files: { [SHARED_FILE]: bumped } },
    { name: 'a label-only edit everywhere rolls nothing', config: SHARED, base: { [SHARED_FILE]: workload() }, files: { [SHARED_FILE]: workload({ label: 'sre' }) } },
    {
      name: 'a base bump the production overlays pin reaches the canary only',
      config: FLEET,
      base: kustomize(V1, { 'canary-1': undefined, 'prod-us': '1.0.0', 'prod-eu': '1.0.0' }),
      files: kustomize(V2, { 'canary-1': undefined, 'prod-us': '1.0.0', 'prod-eu': '1.0.0' }),
    },
    { name: 'odd input: a string spec in one production cluster does not throw', config: FLEET, base: { 'clusters/prod-us/x.yaml': workload().replace(/spec:[\s\S]*/, 'spec: a\n') }, files: { 'clusters/prod-us/x.yaml': workload().replace(/spec:[\s\S]*/, 'spec: [b]\n') } },
  ],
  invalid: [
    {
      name: 'both production clusters with no canary in between',
      config: FLEET,
      base: all(workload()),
      files: { ...all(workload()), ...prods(bumped) },
      findings: [{ severity: 'medium', key: KEY, line: lineContaining(bumped, NAME), messageIncludes: ['reaches both production clusters (stage "prod") in one merge: prod-eu (3,200), prod-us (4,800) (8,000 nodes in all)', 'changed: Deployment "shop/web"'] }],
    },
    {
      name: 'a shared base every overlay includes',
      config: FLEET,
      base: kustomize(V1, { 'canary-1': undefined, 'prod-us': undefined, 'prod-eu': undefined }),
      files: kustomize(V2, { 'canary-1': undefined, 'prod-us': undefined, 'prod-eu': undefined }),
      findings: [{ severity: 'medium', key: KEY, line: lineContaining(bumped, NAME), messageIncludes: ['both production clusters'] }],
    },
    {
      name: 'two production clusters of four is half',
      config: FOUR_PROD,
      base: four(workload()),
      files: four(workload(), ['prod-a', 'prod-d']),
      findings: [{ severity: 'medium', key: KEY, line: lineContaining(bumped, NAME), messageIncludes: ['reaches 2 of the 4 production clusters', 'prod-a (1,000), prod-d (4,000) (5,000 nodes in all)', 'half of production or more'] }],
    },
    {
      name: 'an Argo Rollouts Rollout with canary steps in both production clusters is at most low',
      config: PROD_ONLY,
      base: prods(rollout(V1)),
      files: prods(rollout(V2)),
      findings: [{ severity: 'low', key: KEY, line: lineContaining(rollout(V2), NAME), messageIncludes: ['Argo Rollouts Rollout "shop/web" (3 canary steps)', 'at most low'] }],
    },
  ],
});

describe.runIf(HAS_CORPUS)('canary/fleet-wide-push on kubernetes-sigs/metrics-server (zero-config stages)', () => {
  const PROD = ['release', 'release-ha', 'release-ha-1.21+'];
  it('a new image tag in the release component reaches all three release overlays: medium', () => {
    const { base, files } = metricsServer('components/release/kustomization.yaml', (t) => t.replace('newTag: v0.9.0', 'newTag: v0.9.1'));
    const found = runCase(fleetWidePush, { name: 'ms-rel', base, files }).live;
    expect(found.map((f) => [f.severity, f.file, f.line, f.clusters])).toEqual([['medium', 'manifests/components/release/kustomization.yaml', 1, PROD]]);
    expect(found[0].message).toContain('reaches all 3 production clusters');
  });
  it('a base Deployment change reaches every overlay: medium', () => {
    const { base, files } = metricsServer('base/deployment.yaml', (t) => t.replace('--metric-resolution=15s', '--metric-resolution=30s'));
    expect(runCase(fleetWidePush, { name: 'ms', base, files }).live.map((f) => [f.severity, f.clusters])).toEqual([['medium', PROD]]);
  });
  it('an annotation-only edit of the base Deployment stays quiet', () => {
    const { base, files } = metricsServer('base/deployment.yaml', (t) => annotate(t, 'Deployment'));
    expect(runCase(fleetWidePush, { name: 'ms-ann', base, files }).live).toEqual([]);
  });
});
