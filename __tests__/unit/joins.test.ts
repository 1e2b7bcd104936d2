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

describe('closest', () => {
  it('prefers the same file, then the most shared directories, and keeps ties', async () => {
    const { closest } = await import('../../src/joins.js');
    const files = ['a/x/cm.yaml', 'a/y/templates/cm.yaml', 'b/y/templates/cm.yaml', 'a/y/templates/controllers/ds.yaml'];
    const id = (f: string) => f;
    expect(closest('a/y/templates/controllers/ds.yaml', files, id)).toEqual(['a/y/templates/controllers/ds.yaml']);
    expect(closest('a/y/templates/controllers/other.yaml', files.slice(0, 3), id)).toEqual(['a/y/templates/cm.yaml']);
    expect(closest('c/z.yaml', files.slice(0, 3), id)).toEqual(files.slice(0, 3));
  });

  it('joins each of two same-named renderings in one unit to its own ConfigMap', () => {
    const render = (dir: string, key: string) => ({
      [`${dir}/templates/controllers/ds.yaml`]: `apiVersion: apps/v1\nkind: DaemonSet\nmetadata: { name: alloy, namespace: default }\nspec:\n  template:\n    spec:\n      containers: [{ name: a, image: x }]\n      volumes: [{ name: c, configMap: { name: alloy } }]\n`,
      [`${dir}/templates/configmap.yaml`]: `apiVersion: v1\nkind: ConfigMap\nmetadata: { name: alloy, namespace: default }\ndata: { ${key}: "x" }\n`,
    });
    const t = treeFromFiles('head', Object.entries({ ...render('tests/one', 'one'), ...render('tests/two', 'two') }).map(([path, text]) => ({ path, text })));
    const { head } = buildFleet(defaultConfig(), t, t);
    const keys = head.objects.filter((o) => o.kind === 'DaemonSet').map((ds) => Object.keys((configMapsOf(ds, head.objects)[0].configMap.doc as any).data)[0]);
    expect(keys).toEqual(['one', 'two']);
  });
});

describe('configMapsOf: Secrets mounted as volumes', () => {
  /** A DaemonSet in `mon` with the given pod-spec lines (under `spec.template.spec`), and the objects after it. */
  const unitOf = (podSpec: string, others: string) => {
    const text = `apiVersion: apps/v1\nkind: DaemonSet\nmetadata: { name: agent, namespace: mon }\nspec:\n  template:\n    spec:\n${podSpec}---\n${others}`;
    const t = treeFromFiles('head', [{ path: 'agent.yaml', text }]);
    const { head } = buildFleet(defaultConfig(), t, t);
    return head.objects;
  };
  const SECRET = 'apiVersion: v1\nkind: Secret\nmetadata: { name: agent-config, namespace: mon }\nstringData: { config.yaml: "a: 1" }\n';
  const SECRET_ELSEWHERE = 'apiVersion: v1\nkind: Secret\nmetadata: { name: agent-config, namespace: elsewhere }\nstringData: { config.yaml: "a: 1" }\n';
  const CONFIGMAP = 'apiVersion: v1\nkind: ConfigMap\nmetadata: { name: agent-config, namespace: mon }\ndata: { config.yaml: "a: 1" }\n';
  const CONTAINER = '      containers: [{ name: agent, image: x }]\n';

  it.each<[string, string, string, Array<[string, string, string, string]>]>([
    [
      'a secret volume, with its items',
      `${CONTAINER}      volumes: [{ name: cfg, secret: { secretName: agent-config, items: [{ key: config.yaml, path: c.yaml }] } }]\n`,
      SECRET,
      [['Secret/mon/agent-config', 'volume', 'config.yaml', 'volumes.0.secret.secretName']],
    ],
    [
      'a projected volume source',
      `${CONTAINER}      volumes: [{ name: cfg, projected: { sources: [{ configMap: { name: missing } }, { secret: { name: agent-config } }] } }]\n`,
      SECRET,
      [['Secret/mon/agent-config', 'projected', '', 'volumes.0.projected.sources.1.secret.name']],
    ],
    [
      'a Secret read only through envFrom secretRef / secretKeyRef: not joined',
      '      containers:\n        - name: agent\n          envFrom: [{ secretRef: { name: agent-config } }]\n          env: [{ name: A, valueFrom: { secretKeyRef: { name: agent-config, key: config.yaml } } }]\n',
      SECRET,
      [],
    ],
    [
      'a Secret of another namespace: not joined',
      `${CONTAINER}      volumes: [{ name: cfg, secret: { secretName: agent-config } }]\n`,
      SECRET_ELSEWHERE,
      [],
    ],
    [
      'a secret volume never joins the ConfigMap of the same name, nor a configMap volume the Secret',
      `${CONTAINER}      volumes:\n        - { name: a, secret: { secretName: agent-config } }\n        - { name: b, configMap: { name: agent-config } }\n`,
      `${SECRET}---\n${CONFIGMAP}`,
      [
        ['Secret/mon/agent-config', 'volume', '', 'volumes.0.secret.secretName'],
        ['ConfigMap/mon/agent-config', 'volume', '', 'volumes.1.configMap.name'],
      ],
    ],
  ])('%s', (_name, podSpec, others, expected) => {
    const objects = unitOf(podSpec, others);
    const ds = objects.find((o) => o.kind === 'DaemonSet')!;
    expect(configMapsOf(ds, objects).map((u) => [u.configMap.ref, u.via, u.keys.join(), u.path.slice(3).join('.')])).toEqual(expected);
  });
});
