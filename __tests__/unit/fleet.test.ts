import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config.js';
import { buildFleet, inferStage, layoutClusters } from '../../src/fleet.js';
import { treeFromFiles } from '../../src/tree.js';

const tree = (paths: string[]) => treeFromFiles('head', paths.map((path) => ({ path, text: 'a: 1\n' })));

describe('fleet map', () => {
  it.each([
    ['dev-1', 'dev'], ['sandbox', 'dev'], ['qa', 'test'], ['staging-eu', 'staging'], ['eu.stg', 'staging'], ['uat', 'staging'],
    ['canary-1', 'canary'], ['ring0', 'canary'], ['prod-us', 'prod'], ['live', 'prod'], ['us-east-1', 'prod'], ['prestaging', 'prod'],
  ])('infers the stage of %s as %s, token by token', (name, stage) => {
    expect(inferStage(name).stage).toBe(stage);
  });

  it('infers clusters from the layout at any depth', () => {
    const t = tree(['clusters/prod-us/a.yaml', 'apps/web/overlays/staging/k.yaml', 'apps/api/overlays/staging/k.yaml', 'clusters/README.md', 'envs/dev/x.yaml']);
    expect(layoutClusters([t])).toEqual([
      { name: 'dev', dirs: ['envs/dev'] },
      { name: 'prod-us', dirs: ['clusters/prod-us'] },
      { name: 'staging', dirs: ['apps/api/overlays/staging', 'apps/web/overlays/staging'] },
    ]);
  });

  it('maps files by config globs, assumes node counts by stage, and sends the rest to unmapped', () => {
    const r = parseConfig('fleet:\n  clusters:\n    - { name: canary-1, stage: canary, paths: ["clusters/canary-1/**", "shared/**"] }\n    - { name: prod-us, nodes: 4800, paths: ["clusters/prod-us/**", "shared/**"] }\nrollout: { stages: [canary, prod] }\n', []);
    if (!r.ok) throw new Error('config');
    const t = tree([]);
    const { fleet } = buildFleet(r.config, t, t);
    expect(fleet.clusters.map((c) => [c.name, c.stage, c.nodes, c.nodesAssumed])).toEqual([
      ['canary-1', 'canary', 100, true],
      ['prod-us', 'prod', 4800, false],
    ]);
    expect(fleet.clustersOfFile('shared/x.yaml')).toEqual(['canary-1', 'prod-us']);
    expect(fleet.clustersOfFile('clusters/prod-us/.hidden/x.yaml')).toEqual(['prod-us']);
    expect(fleet.clustersOfFile('platform/x.yaml')).toEqual(['unmapped']);
    expect(fleet.cluster('unmapped')).toMatchObject({ nodes: 5000, nodesAssumed: true, stage: 'prod' });
    expect(fleet.totalNodes).toBe(4900);
  });
});
