import Ajv from 'ajv';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { defaultConfig, parseConfig } from '../../src/config.js';

const RULES = ['blast-radius/admission-webhook'];

describe('config', () => {
  it('accepts every key DESIGN.md shows and fills defaults', () => {
    const text = `# yaml-language-server: $schema=./schema/config.schema.json
fleet:
  defaults: { podsPerNode: 30, objectBytes: 8192, objects: { replicasets: 5000, namespaces: 500 } }
  clusters:
    - { name: canary-1, nodes: 60,   stage: canary, paths: ["clusters/canary-1/**"], kubernetesVersion: "1.33" }
    - { name: prod-us,  nodes: 4800, stage: prod,   paths: ["clusters/prod-us/**"],
        argocd: { name: prod-us, server: "https://prod-us.example.com", labels: { env: prod } } }
rollout:
  stages: [canary, prod]
apiServer: { replicas: 3, egressBytesPerSecond: 1.25e9, requestsPerSecond: 2000 }
rules:
  blast-radius/admission-webhook: { severity: medium }
failOn: high
history: { maxCommits: 1000 }
acceptLabel: blast-radius-accept
locks:
  - id: telemetry-1211
    reason: "Incident 2024-12-11: telemetry agent overloaded the API servers"
    match: { kind: ConfigMap, namespace: monitoring, name: telemetry-agent-config }
`;
    const r = parseConfig(text, RULES);
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.config.fleet.clusters).toHaveLength(2);
    expect(r.config.fleet.defaults.objects).toMatchObject({ replicasets: 5000, namespaces: 500, services: 5000 });
    expect(r.config.locks[0].id).toBe('telemetry-1211');
  });

  it('defaults everything for an empty file', () => {
    const r = parseConfig('', RULES);
    expect(r).toEqual({ ok: true, config: defaultConfig() });
    expect(defaultConfig().apiServer).toEqual({ replicas: 3, egressBytesPerSecond: 1.25e9, requestsPerSecond: 2000 });
  });

  it.each([
    ['fleet:\n  clusters:\n    - { name: a, nodes: -1 }\n', 'fleet.clusters[0].nodes', 3, /must be >= 1/],
    ['fleet:\n  clusterz: []\n', 'fleet.clusterz', 2, /unknown key/],
    ['failOn: sometimes\n', 'failOn', 1, /must be one of/],
    ['rollout:\n  stages: [canary, prod]\nfleet:\n  clusters:\n    - name: a\n      stage: staging\n', 'fleet.clusters[0].stage', 6, /not in rollout\.stages/],
    ['fleet:\n  clusters:\n    - name: a\n    - name: a\n', 'fleet.clusters[1].name', 4, /duplicate cluster name/],
    ['rules:\n  watch-all/nope: off\n', 'rules.watch-all/nope', 2, /unknown rule id/],
    ['rules:\n  blast-radius/admission-webhook: { severity: huge }\n', 'rules.blast-radius/admission-webhook.severity', 2, /must be one of/],
    ['locks:\n  - id: this-lock-id-is-far-too-long-to-be-a-label\n    reason: r\n    match: { kind: ConfigMap }\n', 'locks[0].id', 2, /must match pattern/],
    ['locks:\n  - id: relay\n    reason: r\n    match: { path: [data, relay] }\n', 'locks[0].match', 4, /must name a kind, a namespace or a name/],
    ['locks:\n  - id: relay\n    reason: r\n    match: { kind: ConfigMap, path: [] }\n', 'locks[0].match.path', 4, /must NOT have fewer than 1 items|must be string/],
    ['a: [\n', '(root)', 2, /YAML parse error/],
  ])('rejects %j naming the key and line', (text, key, line, message) => {
    const r = parseConfig(text, RULES);
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.problems[0]).toMatchObject({ key, line });
    expect(r.problems[0].message).toMatch(message);
  });

  it('ships a schema that is itself valid draft-07', () => {
    const schema = JSON.parse(readFileSync(new URL('../../schema/config.schema.json', import.meta.url), 'utf8'));
    const ajv = new (Ajv as any)({ strict: true, strictTypes: false, allowUnionTypes: true });
    expect(() => ajv.compile(schema)).not.toThrow();
  });
});
