/**
 * The test fleet most rule tests share: a 60-node canary and two production clusters (4,800 and 3,200
 * nodes; 8,060 in all), as `.blast-radius.yml` text.
 */

/** Three clusters, one folder each (`clusters/<name>/**`). */
export const FLEET = `fleet:
  clusters:
    - { name: canary-1, nodes: 60, stage: canary, paths: ["clusters/canary-1/**"] }
    - { name: prod-us, nodes: 4800, stage: prod, paths: ["clusters/prod-us/**"] }
    - { name: prod-eu, nodes: 3200, stage: prod, paths: ["clusters/prod-eu/**"] }
rollout: { stages: [canary, prod] }
`;

/** The same three clusters receiving every file. */
export const SHARED = FLEET.replace(/"clusters\/[a-z0-9-]+\/\*\*"/g, '"**"');
