import { describe, expect, it } from 'vitest';
import { defaultConfig } from '../../src/config.js';
import { buildFleet } from '../../src/fleet.js';
import { configMapsOf } from '../../src/joins.js';
import { treeFromFiles } from '../../src/tree.js';

const files = {
  'base/kustomization.yaml': 'resources: [agent.yaml]\n',
  'base/agent.yaml': `apiVersion: apps/v1
kind: DaemonSet
metadata: { name: agent, namespace: mon }
spec:
  template:
    spec:
      containers:
        - name: agent
          envFrom: [{ configMapRef: { name: agent-env } }]
          env: [{ name: LEVEL, valueFrom: { configMapKeyRef: { name: agent-env, key: level } } }]
      volumes:
        - { name: cfg, configMap: { name: agent-config, items: [{ key: config.yaml, path: config.yaml }] } }
        - { name: other, configMap: { name: missing } }
        - name: proj
          projected: { sources: [{ configMap: { name: agent-config } }] }
---
apiVersion: v1
kind: ConfigMap
metadata: { name: agent-config, namespace: mon }
data: { config.yaml: "a: 1" }
---
apiVersion: v1
kind: ConfigMap
metadata: { name: agent-env, namespace: mon }
data: { level: info }
---
apiVersion: v1
kind: ConfigMap
metadata: { name: agent-config, namespace: elsewhere }
`,
  'clusters/a/kustomization.yaml': 'namePrefix: a-\nresources: [../../base]\n',
};

describe('configMapsOf', () => {
  it('joins a workload to the ConfigMaps it mounts or reads in its unit and namespace, through a name prefix', () => {
    const t = treeFromFiles('head', Object.entries(files).map(([path, text]) => ({ path, text })));
    const { head } = buildFleet(defaultConfig(), t, t);
    const unit = head.objects.filter((o) => o.unit === 'clusters/a');
    const ds = unit.find((o) => o.kind === 'DaemonSet')!;
    const uses = configMapsOf(ds, unit).map((u) => [u.configMap.ref, u.via, u.keys.join(), u.path.slice(3).join('.')]);
    expect(uses).toEqual([
      ['ConfigMap/mon/a-agent-config', 'volume', 'config.yaml', 'volumes.0.configMap.name'],
      ['ConfigMap/mon/a-agent-config', 'projected', '', 'volumes.2.projected.sources.0.configMap.name'],
      ['ConfigMap/mon/a-agent-env', 'envFrom', '', 'containers.0.envFrom.0.configMapRef.name'],
      ['ConfigMap/mon/a-agent-env', 'env', 'level', 'containers.0.env.0.valueFrom.configMapKeyRef.name'],
    ]);
  });
});
