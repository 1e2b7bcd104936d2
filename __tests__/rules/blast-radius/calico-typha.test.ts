/**
 * Table tests of blast-radius/calico-typha (SCALE-CNI-1): calico-node on the Kubernetes API datastore
 * without Typha, on clusters of more than 50 nodes; real-world Calico manifests (calico.yaml, the
 * calico-typha.yaml variant, etcd and operator installs). Lines are looked up in the case's own YAML.
 */
import { describe, expect, it } from 'vitest';
import { calicoTypha } from '../../../rules/blast-radius/calico-typha.js';
import { annotate, HAS_CORPUS, readCorpus } from '../../helpers/corpus.js';
import { lineContaining, ruleTester, runCase, type ExpectedFinding } from '../../helpers/rule-tester.js';

const lineOf = lineContaining;
const KEY = 'no-typha';

/** canary-1 has exactly 50 nodes (quiet), the prod clusters more. */
const FLEET = `fleet:
  clusters:
    - { name: canary-1, nodes: 50, stage: canary, paths: ["clusters/canary-1/**"] }
    - { name: prod-us, nodes: 4800, stage: prod, paths: ["clusters/prod-us/**"] }
    - { name: prod-eu, nodes: 3200, stage: prod, paths: ["clusters/prod-eu/**"] }
    - { name: edge, nodes: 51, stage: prod, paths: ["clusters/edge/**"] }
rollout: { stages: [canary, prod] }
`;
/** The same clusters receiving every file. */
const SHARED = `fleet:
  clusters:
    - { name: canary-1, nodes: 50, stage: canary, paths: ["**"] }
    - { name: prod-us, nodes: 4800, stage: prod, paths: ["**"] }
    - { name: prod-eu, nodes: 3200, stage: prod, paths: ["**"] }
rollout: { stages: [canary, prod] }
`;

const value = (name: string, v: string) => [`            - name: ${name}`, `              value: "${v}"`];
const fromConfig = (name: string, key: string, cm = 'calico-config') => [
  `            - name: ${name}`,
  '              valueFrom:',
  '                configMapKeyRef:',
  `                  name: ${cm}`,
  `                  key: ${key}`,
];
const KDD = value('DATASTORE_TYPE', 'kubernetes');

interface CalicoSpec {
  name?: string;
  container?: string;
  image?: string;
  env?: string[];
  envFrom?: string[];
  annotations?: Record<string, string>;
}

/** A calico-node DaemonSet in kube-system (env lines go under the calico-node container's `env:`). */
function calicoNode(c: CalicoSpec = {}): string {
  const lines = ['kind: DaemonSet', 'apiVersion: apps/v1', 'metadata:', `  name: ${c.name ?? 'calico-node'}`, '  namespace: kube-system'];
  if (c.annotations) lines.push('  annotations:', ...Object.entries(c.annotations).map(([k, v]) => `    ${k}: ${JSON.stringify(v)}`));
  lines.push(
    'spec:',
    '  selector:',
    '    matchLabels: {k8s-app: calico-node}',
    '  template:',
    '    metadata:',
    '      labels: {k8s-app: calico-node}',
    '    spec:',
    '      hostNetwork: true',
    '      containers:',
    `        - name: ${c.container ?? 'calico-node'}`,
    `          image: ${c.image ?? 'quay.io/calico/node:v3.28.0'}`,
  );
  if (c.envFrom) lines.push('          envFrom:', ...c.envFrom);
  lines.push('          env:', ...(c.env ?? KDD), ...value('WAIT_FOR_DATASTORE', 'true'));
  return `${lines.join('\n')}\n`;
}

function calicoConfig(typha = 'none', name = 'calico-config', extra: string[] = []): string {
  return ['kind: ConfigMap', 'apiVersion: v1', 'metadata:', `  name: ${name}`, '  namespace: kube-system', 'data:', `  typha_service_name: "${typha}"`, '  calico_backend: "bird"', ...extra, ''].join('\n');
}

const INSTALLATION = 'apiVersion: operator.tigera.io/v1\nkind: Installation\nmetadata:\n  name: default\nspec:\n  calicoNetwork: {}\n';

const PROD_US = 'clusters/prod-us/calico.yaml';
const CANARY = 'clusters/canary-1/calico.yaml';
const EDGE = 'clusters/edge/calico.yaml';
const SHARED_FILE = 'infrastructure/calico.yaml';

const noTypha = calicoNode();
const doc = (...parts: string[]) => parts.join('---\n');

const at = (text: string, needle: string, messageIncludes?: string[], nth = 1): ExpectedFinding => ({
  severity: 'high',
  key: KEY,
  line: lineOf(text, needle, nth),
  ...(messageIncludes ? { messageIncludes } : {}),
});

const typhaFromConfig = calicoNode({ env: [...KDD, ...fromConfig('FELIX_TYPHAK8SSERVICENAME', 'typha_service_name')] });
const withTypha = doc(typhaFromConfig, calicoConfig('calico-typha'));
const typhaOff = doc(typhaFromConfig, calicoConfig('none'));
const kddFromConfig = doc(calicoNode({ env: fromConfig('DATASTORE_TYPE', 'datastore') }), calicoConfig('none', 'calico-config', ['  datastore: "kubernetes"']));
const literalNone = calicoNode({ env: [...KDD, ...value('FELIX_TYPHAK8SSERVICENAME', 'none')] });
const felixStore = calicoNode({ env: value('FELIX_DATASTORETYPE', 'kubernetes') });
const calicoFirst = calicoNode({ env: [...value('CALICO_DATASTORE_TYPE', 'kubernetes'), ...value('DATASTORE_TYPE', 'etcdv3')] });
const envFromKdd = doc(
  calicoNode({ env: value('NODENAME_FILE', '/var/lib/calico/nodename'), envFrom: ['            - configMapRef:', '                name: calico-env'] }),
  'kind: ConfigMap\napiVersion: v1\nmetadata:\n  name: calico-env\n  namespace: kube-system\ndata:\n  DATASTORE_TYPE: kubernetes\n',
);
const canal = calicoNode({ name: 'canal' });

ruleTester(calicoTypha).run({
  valid: [
    { name: 'etcd datastore (no DATASTORE_TYPE: the default etcdv3)', config: FLEET, files: { [PROD_US]: calicoNode({ env: value('ETCD_ENDPOINTS', 'https://etcd:2379') }) } },
    { name: 'KDD with FELIX_TYPHAK8SSERVICENAME from calico-config "calico-typha"', config: FLEET, files: { [PROD_US]: withTypha } },
    { name: 'KDD with FELIX_TYPHAK8SSERVICENAME set literally', config: FLEET, files: { [PROD_US]: calicoNode({ env: [...KDD, ...value('FELIX_TYPHAK8SSERVICENAME', 'calico-typha')] }) } },
    { name: 'KDD with FELIX_TYPHAADDR', config: FLEET, files: { [PROD_US]: calicoNode({ env: [...KDD, ...value('FELIX_TYPHAADDR', '10.0.0.5:5473')] }) } },
    { name: 'Typha service name from a ConfigMap the unit does not hold (unknown)', config: FLEET, files: { [PROD_US]: typhaFromConfig } },
    { name: 'DATASTORE_TYPE from a ConfigMap the unit does not hold (unknown)', config: FLEET, files: { [PROD_US]: calicoNode({ env: fromConfig('DATASTORE_TYPE', 'datastore') }) } },
    { name: 'CALICO_DATASTORE_TYPE etcdv3 wins over DATASTORE_TYPE kubernetes', config: FLEET, files: { [PROD_US]: calicoNode({ env: [...value('CALICO_DATASTORE_TYPE', 'etcdv3'), ...KDD] }) } },
    { name: 'KDD without Typha on a 50-node cluster', config: FLEET, files: { [CANARY]: noTypha } },
    { name: 'KDD without Typha next to a Tigera operator Installation', config: FLEET, files: { [PROD_US]: doc(noTypha, INSTALLATION) } },
    { name: 'an operator Installation alone', config: FLEET, files: { [PROD_US]: INSTALLATION } },
    {
      name: 'a DaemonSet that is not calico-node with DATASTORE_TYPE kubernetes',
      config: FLEET,
      files: { [PROD_US]: calicoNode({ name: 'node-agent', container: 'agent', image: 'example.com/agent:1.0' }) },
    },
    {
      name: 'the base already runs calico-node without Typha there; the PR bumps its image',
      config: FLEET,
      base: { [PROD_US]: noTypha },
      files: { [PROD_US]: calicoNode({ image: 'quay.io/calico/node:v3.29.0' }) },
    },
    {
      name: 'odd input: containers a string, env a map',
      config: FLEET,
      files: {
        [PROD_US]: 'kind: DaemonSet\napiVersion: apps/v1\nmetadata: {name: calico-node, namespace: kube-system}\nspec: {template: {spec: {containers: "calico-node"}}}\n',
        [EDGE]: 'kind: DaemonSet\napiVersion: apps/v1\nmetadata: {name: calico-node, namespace: kube-system}\nspec: {template: {spec: {containers: [{name: calico-node, env: {DATASTORE_TYPE: kubernetes}, envFrom: "x"}]}}}\n',
      },
    },
  ],
  invalid: [
    {
      name: 'calico.yaml shape: KDD, no FELIX_TYPHAK8SSERVICENAME, typha_service_name "none", 4,800 nodes',
      config: FLEET,
      files: { [PROD_US]: doc(calicoConfig('none'), noTypha) },
      findings: [
        at(doc(calicoConfig('none'), noTypha), '- name: DATASTORE_TYPE', [
          'calico-node DaemonSet "kube-system/calico-node" uses the Kubernetes API datastore (DATASTORE_TYPE "kubernetes") without Typha (no FELIX_TYPHAK8SSERVICENAME; ConfigMap "calico-config" has typha_service_name "none") on cluster "prod-us" (4,800 nodes)',
          '30 pod changes per second become 144,000 watch events per second at "prod-us" (4,800 nodes)',
          'Calico requires it above 50 nodes, RULEBOOK A.13 SCALE-CNI-1',
        ]),
      ],
    },
    { name: 'a 51-node cluster', config: FLEET, files: { [EDGE]: noTypha }, findings: [at(noTypha, '- name: DATASTORE_TYPE', ['cluster "edge" (51 nodes)', '1,530 watch events per second'])] },
    {
      name: 'FELIX_TYPHAK8SSERVICENAME from calico-config "none": at the ConfigMap key',
      config: FLEET,
      files: { [PROD_US]: typhaOff },
      findings: [at(typhaOff, 'typha_service_name: "none"', ['FELIX_TYPHAK8SSERVICENAME "none" (from ConfigMap "calico-config" key "typha_service_name")'])],
    },
    {
      name: 'the PR turns calico-config typha_service_name from "calico-typha" to "none"',
      config: FLEET,
      base: { [PROD_US]: withTypha },
      files: { [PROD_US]: typhaOff },
      findings: [at(typhaOff, 'typha_service_name: "none"')],
    },
    {
      name: 'FELIX_TYPHAK8SSERVICENAME "none" written in the DaemonSet',
      config: FLEET,
      files: { [PROD_US]: literalNone },
      findings: [at(literalNone, '- name: FELIX_TYPHAK8SSERVICENAME', ['without Typha (FELIX_TYPHAK8SSERVICENAME "none")'])],
    },
    {
      name: 'DATASTORE_TYPE from calico-config resolves to kubernetes',
      config: FLEET,
      files: { [PROD_US]: kddFromConfig },
      findings: [at(kddFromConfig, '- name: DATASTORE_TYPE', ['(DATASTORE_TYPE "kubernetes" (from ConfigMap "calico-config" key "datastore"))'])],
    },
    { name: 'FELIX_DATASTORETYPE kubernetes', config: FLEET, files: { [PROD_US]: felixStore }, findings: [at(felixStore, '- name: FELIX_DATASTORETYPE')] },
    { name: 'CALICO_DATASTORE_TYPE kubernetes wins over DATASTORE_TYPE etcdv3', config: FLEET, files: { [PROD_US]: calicoFirst }, findings: [at(calicoFirst, '- name: CALICO_DATASTORE_TYPE')] },
    {
      name: 'DATASTORE_TYPE from an envFrom ConfigMap: at the envFrom entry',
      config: FLEET,
      files: { [PROD_US]: envFromKdd },
      findings: [at(envFromKdd, '- configMapRef:', ['(DATASTORE_TYPE "kubernetes" (from ConfigMap "calico-env"))'])],
    },
    { name: 'Canal (DaemonSet canal, container calico-node) on KDD', config: FLEET, files: { [PROD_US]: canal }, findings: [at(canal, '- name: DATASTORE_TYPE', ['"kube-system/canal"'])] },
    {
      name: 'recognised by the calico/node image under another container name',
      config: FLEET,
      files: { [PROD_US]: calicoNode({ container: 'felix' }) },
      findings: [at(calicoNode({ container: 'felix' }), '- name: DATASTORE_TYPE')],
    },
    {
      name: 'a shared file over 50-, 3,200- and 4,800-node clusters: the two large ones',
      config: SHARED,
      files: { [SHARED_FILE]: noTypha },
      findings: [at(noTypha, '- name: DATASTORE_TYPE', ['on 2 clusters, 8,000 nodes: prod-eu (3,200), prod-us (4,800)', 'at "prod-us"'])],
    },
    {
      name: 'on the base in the 50-node canary, added to prod-us by the PR',
      config: FLEET,
      base: { [CANARY]: noTypha },
      files: { [CANARY]: noTypha, [PROD_US]: noTypha },
      findings: [at(noTypha, '- name: DATASTORE_TYPE', ['cluster "prod-us"'])],
    },
    {
      name: 'no fleet config: the implicit unmapped cluster (5,000 nodes assumed)',
      files: { 'calico.yaml': noTypha },
      findings: [at(noTypha, '- name: DATASTORE_TYPE', ['cluster "unmapped" (5,000 nodes (assumed))', 'at "unmapped" (5,000 nodes, assumed)'])],
    },
  ],
});

describe('blast-radius/calico-typha details', () => {
  it('passes only the clusters above 50 nodes, with their figures', () => {
    const result = runCase(calicoTypha, { name: 'x', config: SHARED, files: { [SHARED_FILE]: noTypha } });
    expect(result.live).toHaveLength(1);
    expect(result.live[0].clusters).toEqual(['prod-eu', 'prod-us']);
    expect(result.live[0].resource).toBe('DaemonSet/kube-system/calico-node');
    expect(result.live[0].data).toMatchObject({ largestNodes: 4800, watchEventsPerSecond: 144000 });
  });

  it('reports copies of a Kustomize base under cluster overlays once, with the clusters above 50 nodes', () => {
    const files = {
      'base/kustomization.yaml': 'resources: [calico.yaml]\n',
      'base/calico.yaml': doc(calicoConfig('none'), noTypha),
      'clusters/canary-1/kustomization.yaml': 'resources: [../../base]\n',
      'clusters/prod-us/kustomization.yaml': 'resources: [../../base]\n',
      'clusters/edge/kustomization.yaml': 'resources: [../../base]\n',
    };
    const result = runCase(calicoTypha, { name: 'x', config: FLEET, files });
    expect(result.live.map((f) => [f.file, f.line, f.clusters])).toEqual([['base/calico.yaml', lineOf(files['base/calico.yaml'], '- name: DATASTORE_TYPE'), ['edge', 'prod-us']]]);
    expect(result.live[0].message).toContain('2 clusters, 4,851 nodes');
  });

  it('is about the DaemonSet when it points at the ConfigMap', () => {
    const result = runCase(calicoTypha, { name: 'x', config: FLEET, files: { [PROD_US]: typhaOff } });
    expect(result.live.map((f) => [f.resource, f.file])).toEqual([['DaemonSet/kube-system/calico-node', PROD_US]]);
  });

  it('keeps the finding suppressed with the ignore annotation on the DaemonSet', () => {
    const text = calicoNode({ annotations: { 'blast-radius.dev/ignore': 'blast-radius/calico-typha -- Typha rolled out separately' } });
    const result = runCase(calicoTypha, { name: 'x', config: FLEET, files: { [PROD_US]: text } });
    expect(result.live).toEqual([]);
    expect(result.suppressed.map((f) => f.key)).toEqual([KEY]);
  });
});

// ---- real-world Calico manifests ---------------------------------------------------------------------------

const CALICO = 'projectcalico+calico/manifests/calico.yaml';
const CALICO_TYPHA = 'projectcalico+calico/manifests/calico-typha.yaml';
const CALICO_ETCD = 'projectcalico+calico/manifests/calico-etcd.yaml';
const CANAL_ETCD = 'projectcalico+calico/manifests/canal-etcd.yaml';
const OPERATOR = 'projectcalico+calico/manifests/tigera-operator.yaml';
const CUSTOM_RESOURCES = 'projectcalico+calico/manifests/custom-resources.yaml';

/** The calico-typha Service and Deployment as charts/calico/templates/calico-typha.yaml renders them (trimmed to what matters). */
const TYPHA_OBJECTS = `---
apiVersion: v1
kind: Service
metadata:
  name: calico-typha
  namespace: kube-system
  labels:
    k8s-app: calico-typha
spec:
  ports:
    - port: 5473
      protocol: TCP
      targetPort: calico-typha
      name: calico-typha
  selector:
    k8s-app: calico-typha
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: calico-typha
  namespace: kube-system
  labels:
    k8s-app: calico-typha
spec:
  replicas: 3
  selector:
    matchLabels:
      k8s-app: calico-typha
  template:
    metadata:
      labels:
        k8s-app: calico-typha
    spec:
      hostNetwork: true
      serviceAccountName: calico-node
      containers:
        - image: quay.io/calico/calico:master
          name: calico-typha
          args: ["component", "typha"]
          ports:
            - containerPort: 5473
              name: calico-typha
              protocol: TCP
`;

/**
 * The corpus holds calico.yaml but not calico-typha.yaml; the upstream chart renders the latter from the same
 * templates with `typha.enabled: true` (charts/values/calico-typha.yaml), which changes exactly three things:
 * calico-config `typha_service_name: "calico-typha"`, calico-node's FELIX_TYPHAK8SSERVICENAME from that key,
 * and the calico-typha Service / Deployment / PodDisruptionBudget.
 */
function typhaVariant(calico: string): string {
  const typhaEnv = [
    '            # Typha support: controlled by the ConfigMap.',
    '            - name: FELIX_TYPHAK8SSERVICENAME',
    '              valueFrom:',
    '                configMapKeyRef:',
    '                  name: calico-config',
    '                  key: typha_service_name',
  ].join('\n');
  const out = calico
    .replace('  # Typha is disabled.\n  typha_service_name: "none"', '  # You must set a non-zero value for Typha replicas below.\n  typha_service_name: "calico-typha"')
    .replace('              value: "kubernetes"\n            # Wait for the datastore.', `              value: "kubernetes"\n${typhaEnv}\n            # Wait for the datastore.`);
  return out + TYPHA_OBJECTS;
}

if (HAS_CORPUS) {
  const calico = readCorpus(CALICO);
  const calicoTyphaYaml = typhaVariant(calico);
  const calicoAnnotated = annotate(annotate(calico, 'DaemonSet'), 'ConfigMap');

  describe('real-world Calico manifests: the variants really differ as intended', () => {
    it('builds calico-typha.yaml from calico.yaml', () => {
      expect(calicoTyphaYaml).toContain('typha_service_name: "calico-typha"');
      expect(calicoTyphaYaml).toContain('- name: FELIX_TYPHAK8SSERVICENAME');
      expect(calicoTyphaYaml).not.toContain('typha_service_name: "none"');
      expect(calicoAnnotated.split('\n').length).toBe(calico.split('\n').length + 4);
    });
  });

  // Expected from RULEBOOK A.13 SCALE-CNI-1 and the issue before the rule ran on these files. Added to a
  // repository without fleet config, they reach `unmapped` (5,000 nodes assumed, > 50):
  // - calico.yaml: calico-node sets DATASTORE_TYPE "kubernetes", has no FELIX_TYPHAK8SSERVICENAME and
  //   calico-config says typha_service_name "none" → high, at the DATASTORE_TYPE env entry;
  // - calico-typha.yaml (built above): Felix points at calico-typha → quiet;
  // - calico-etcd.yaml, canal-etcd.yaml: etcd datastore (ETCD_ENDPOINTS, no DATASTORE_TYPE) → quiet;
  // - tigera-operator.yaml + custom-resources.yaml: the operator runs Typha → quiet;
  // - calico.yaml with annotations on calico-node and calico-config, base = calico.yaml → not new: quiet.
  ruleTester(calicoTypha).run({
    valid: [
      { name: 'calico-typha.yaml added', files: { [CALICO_TYPHA]: calicoTyphaYaml } },
      { name: 'calico-etcd.yaml added', files: { [CALICO_ETCD]: readCorpus(CALICO_ETCD) } },
      { name: 'canal-etcd.yaml added', files: { [CANAL_ETCD]: readCorpus(CANAL_ETCD) } },
      { name: 'tigera-operator.yaml and custom-resources.yaml added', files: { [OPERATOR]: readCorpus(OPERATOR), [CUSTOM_RESOURCES]: readCorpus(CUSTOM_RESOURCES) } },
      { name: 'calico.yaml: only annotations on calico-node and calico-config', base: { [CALICO]: calico }, files: { [CALICO]: calicoAnnotated } },
      { name: 'calico.yaml replaced by calico-typha.yaml (Typha turned on)', base: { [CALICO]: calico }, files: { [CALICO]: calicoTyphaYaml } },
    ],
    invalid: [
      {
        name: 'calico.yaml added',
        files: { [CALICO]: calico },
        findings: [
          {
            severity: 'high',
            key: KEY,
            line: lineOf(calico, '            - name: DATASTORE_TYPE'),
            messageIncludes: ['DATASTORE_TYPE "kubernetes"', 'ConfigMap "calico-config" has typha_service_name "none"', 'cluster "unmapped" (5,000 nodes (assumed))'],
          },
        ],
      },
      {
        name: 'calico-typha.yaml replaced by calico.yaml (Typha turned off)',
        base: { [CALICO]: calicoTyphaYaml },
        files: { [CALICO]: calico },
        findings: [{ severity: 'high', key: KEY, line: lineOf(calico, '            - name: DATASTORE_TYPE') }],
      },
    ],
  });
} else {
  describe.skip('real-world manifests (../shared/corpus is absent)', () => {
    it('skipped', () => {});
  });
}
