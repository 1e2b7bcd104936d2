/**
 * Table tests of blast-radius/tolerate-all-daemonset. Each dangerous case has a safe twin next to it.
 * Expected lines are looked up in the case's own YAML (`lineOf`), so a case stays readable when edited.
 */
import { describe, expect, it } from 'vitest';
import { tolerateAllDaemonset } from '../../../rules/blast-radius/tolerate-all-daemonset.js';
import { annotate, HAS_CORPUS, readCorpus } from '../../helpers/corpus.js';
import { lineContaining, ruleTester, runCase, type ExpectedFinding } from '../../helpers/rule-tester.js';
import { FLEET, SHARED } from '../../helpers/fleets.js';

const lineOf = lineContaining;
const KEY = 'tolerates-all';
const CP = 'node-role.kubernetes.io/control-plane';
const MASTER = 'node-role.kubernetes.io/master';
const QUORUM = 'starving 2 of 3 etcd members loses quorum';

/** Two clusters, each a Kustomize overlay of one base. */
const TWO = { fleet: { clusters: [{ name: 'a', nodes: 300, paths: ['clusters/a/**'] }, { name: 'b', nodes: 900, paths: ['clusters/b/**'] }] } };
/** Three clusters, the third without the base. */
const THREE = { fleet: { clusters: [...TWO.fleet.clusters, { name: 'c', nodes: 50, paths: ['clusters/c/**'] }] } };

interface DsSpec {
  kind?: string;
  name?: string;
  namespace?: string;
  image?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  /** YAML flow maps, one per toleration. */
  tolerations?: string[];
  hostNetwork?: boolean;
  hostPID?: boolean;
  privileged?: boolean;
  privilegedInit?: boolean;
  /** Extra pod spec lines (nodeSelector, affinity), relative to the pod spec. */
  pod?: string[];
}

function ds(d: DsSpec = {}): string {
  const lines = ['apiVersion: apps/v1', `kind: ${d.kind ?? 'DaemonSet'}`, 'metadata:', `  name: ${d.name ?? 'node-agent'}`, `  namespace: ${d.namespace ?? 'monitoring'}`];
  if (d.labels) lines.push('  labels:', ...Object.entries(d.labels).map(([k, v]) => `    ${k}: ${JSON.stringify(v)}`));
  if (d.annotations) lines.push('  annotations:', ...Object.entries(d.annotations).map(([k, v]) => `    ${k}: ${JSON.stringify(v)}`));
  lines.push('spec:', '  selector:', '    matchLabels: {app: node-agent}', '  template:', '    metadata:', '      labels: {app: node-agent}', '    spec:');
  const pod: string[] = [];
  if (d.hostNetwork) pod.push('hostNetwork: true');
  if (d.hostPID) pod.push('hostPID: true');
  pod.push(...(d.pod ?? []));
  if (d.tolerations) pod.push('tolerations:', ...d.tolerations.map((t) => `- ${t}`));
  if (d.privilegedInit) pod.push('initContainers:', '- name: sysctl', '  image: busybox:1.36', '  securityContext: {privileged: true}');
  pod.push('containers:', '- name: agent', `  image: ${d.image ?? 'example.com/node-agent:1.0.0'}`);
  if (d.privileged) pod.push('  securityContext:', '    privileged: true');
  lines.push(...pod.map((l) => `      ${l}`));
  return `${lines.join('\n')}\n`;
}

const ALL = '{operator: Exists}';
const NO_SCHEDULE = '{operator: Exists, effect: NoSchedule}';
const NO_EXECUTE = '{operator: Exists, effect: NoExecute}';
const PREFER = '{operator: Exists, effect: PreferNoSchedule}';

const at = (severity: ExpectedFinding['severity'], text: string, messageIncludes?: string[], needle = 'operator: Exists'): ExpectedFinding => ({
  severity,
  key: KEY,
  line: lineOf(text, needle),
  ...(messageIncludes ? { messageIncludes } : {}),
});

const FILE = 'infra/node-agent.yaml';
const file = (text: string) => ({ [FILE]: text });

// Dangerous DaemonSets and their safe twins.
const tolAll = ds({ tolerations: [ALL] });
const tolAllEmptyKey = ds({ tolerations: ['{key: "", operator: Exists}'] });
const tolNoSchedule = ds({ tolerations: [NO_SCHEDULE] });
const tolCalicoStyle = ds({ tolerations: ['{key: CriticalAddonsOnly, operator: Exists}', NO_SCHEDULE, NO_EXECUTE] });
const tolThreeEffects = ds({ tolerations: [NO_SCHEDULE, PREFER, NO_EXECUTE] });
const tolNoExecute = ds({ tolerations: [NO_EXECUTE] });
const tolPrefer = ds({ tolerations: [PREFER] });
const tolKeyed = ds({ tolerations: [`{key: ${CP}, operator: Exists, effect: NoSchedule}`, '{key: CriticalAddonsOnly, operator: Exists}'] });
const tolEqualNoKey = ds({ tolerations: ['{operator: Equal, effect: NoSchedule}'] });
const tolExistsWithValue = ds({ tolerations: ['{operator: Exists, value: "x"}'] });
const deployment = ds({ kind: 'Deployment', tolerations: [ALL] });
const kubeProxy = ds({ name: 'kube-proxy', namespace: 'kube-system', image: 'registry.k8s.io/kube-proxy:v1.30.2', tolerations: [ALL], hostNetwork: true, privileged: true });
const calicoByImage = ds({ name: 'node', namespace: 'calico-system', image: 'quay.io/calico/node:v3.28.0', tolerations: [ALL], hostNetwork: true, privileged: true });

const excludeCp = ds({ tolerations: [ALL], pod: ['affinity:', '  nodeAffinity:', '    requiredDuringSchedulingIgnoredDuringExecution:', '      nodeSelectorTerms:', `      - matchExpressions: [{key: ${CP}, operator: DoesNotExist}]`] });
const excludeMaster = ds({ tolerations: [ALL], pod: ['affinity:', '  nodeAffinity:', '    requiredDuringSchedulingIgnoredDuringExecution:', '      nodeSelectorTerms:', `      - matchExpressions: [{key: ${MASTER}, operator: DoesNotExist}]`] });
const onlyCp = ds({ tolerations: [ALL], pod: ['nodeSelector:', `  ${CP}: ""`] });
const linuxOnly = ds({ tolerations: [ALL], pod: ['nodeSelector:', '  kubernetes.io/os: linux'] });
const archAndZone = ds({ tolerations: [ALL], pod: ['nodeSelector:', '  kubernetes.io/arch: amd64', '  topology.kubernetes.io/zone: eu-west-1a'] });
const gpuPool = ds({ tolerations: [ALL], pod: ['nodeSelector:', '  kubernetes.io/os: linux', '  example.com/pool: gpu'] });
const gpuPoolAffinity = ds({ tolerations: [ALL], pod: ['affinity:', '  nodeAffinity:', '    requiredDuringSchedulingIgnoredDuringExecution:', '      nodeSelectorTerms:', '      - matchExpressions: [{key: nvidia.com/gpu.present, operator: Exists}]'] });
const notVirtual = ds({ tolerations: [ALL], pod: ['affinity:', '  nodeAffinity:', '    requiredDuringSchedulingIgnoredDuringExecution:', '      nodeSelectorTerms:', '      - matchExpressions: [{key: type, operator: NotIn, values: [virtual-kubelet]}]'] });
const poolOrAny = ds({ tolerations: [ALL], pod: ['affinity:', '  nodeAffinity:', '    requiredDuringSchedulingIgnoredDuringExecution:', '      nodeSelectorTerms:', '      - matchExpressions: [{key: example.com/pool, operator: In, values: [gpu]}]', '      - matchExpressions: [{key: kubernetes.io/os, operator: In, values: [linux]}]'] });
const badAffinity = ds({ tolerations: [ALL], pod: ['affinity:', '  nodeAffinity:', '    requiredDuringSchedulingIgnoredDuringExecution:', '      nodeSelectorTerms:', `      - matchExpressions: [{key: ${CP}, operator: Absent}]`] });

const hostAll = ds({ tolerations: [ALL], hostNetwork: true, hostPID: true });
const hnPriv = ds({ tolerations: [ALL], hostNetwork: true, privileged: true });
const hnPrivNoSchedule = ds({ tolerations: [NO_SCHEDULE], hostNetwork: true, privileged: true });
const hnPrivInit = ds({ tolerations: [ALL], hostNetwork: true, privilegedInit: true });
const privOnly = ds({ tolerations: [ALL], privileged: true });
const hnPrivKeyed = ds({ tolerations: ['{key: CriticalAddonsOnly, operator: Exists}'], hostNetwork: true, privileged: true });
const agent = ds();

const KUSTOMIZED = (text: string, clusters: string[]) => ({
  'base/agent/node-agent.yaml': text,
  'base/agent/kustomization.yaml': 'resources: [node-agent.yaml]\n',
  ...Object.fromEntries(clusters.map((c) => [`clusters/${c}/kustomization.yaml`, 'resources: [../../base/agent]\n'])),
});

ruleTester(tolerateAllDaemonset).run({
  valid: [
    { name: 'DaemonSet without tolerations', files: file(agent) },
    { name: 'DaemonSet with keyed tolerations only (control-plane, CriticalAddonsOnly)', files: file(tolKeyed) },
    { name: 'keyless toleration for NoExecute only: no control-plane taint tolerated', files: file(tolNoExecute) },
    { name: 'keyless toleration for PreferNoSchedule only', files: file(tolPrefer) },
    { name: 'keyless toleration with operator Equal (the API server rejects it)', files: file(tolEqualNoKey) },
    { name: 'keyless Exists toleration with a value (the API server rejects it)', files: file(tolExistsWithValue) },
    { name: 'a Deployment tolerating everything is not a DaemonSet', files: file(deployment) },
    { name: 'kube-proxy is judged by blast-radius/network-daemonset', files: file(kubeProxy) },
    { name: 'calico/node recognised by its image', files: file(calicoByImage) },
    { name: 'required affinity keeps it off control-plane nodes', files: file(excludeCp) },
    { name: 'nodeSelector pins it to control-plane nodes on purpose', files: file(onlyCp) },
    { name: 'nodeSelector pins it to a pool label control-plane nodes lack', files: file(gpuPool) },
    { name: 'required affinity pins it to GPU nodes', files: file(gpuPoolAffinity) },
    { name: 'required affinity with an invalid operator never applies', files: file(badAffinity) },
    { name: 'hostNetwork and privileged with a keyed toleration only', config: SHARED, files: file(hnPrivKeyed) },
    // State semantics.
    { name: 'annotation-only edit of a DaemonSet that already tolerates everything', base: file(tolAll), files: file(ds({ tolerations: [ALL], annotations: { 'example.com/owner': 'sre' } })) },
    { name: 'unchanged fleet-wide hostNetwork + privileged DaemonSet', config: SHARED, base: file(hnPriv), files: file(hnPriv) },
    { name: 'removing the tolerate-all toleration', base: file(tolAll), files: file(agent) },
    {
      name: 'odd input does not throw',
      files: file(
        [
          'apiVersion: apps/v1\nkind: DaemonSet\nmetadata: {name: a}\nspec: "x"\n',
          'apiVersion: apps/v1\nkind: DaemonSet\nmetadata: {name: b}\nspec: {template: {spec: {tolerations: "all"}}}\n',
          'apiVersion: apps/v1\nkind: DaemonSet\nmetadata: {name: c}\nspec: {template: {spec: {tolerations: [null, 1, [], {operator: 3}, {operator: Exists, effect: 5}, {operator: Exists, effect: Sometimes}]}}}\n',
          'apiVersion: apps/v1\nkind: DaemonSet\nmetadata: {name: d}\nspec: {template: {spec: {tolerations: [{operator: Exists}], nodeSelector: "x"}}}\n',
          'apiVersion: apps/v1\nkind: DaemonSet\nmetadata: {name: e}\nspec: {template: {spec: {tolerations: [{operator: Exists}], affinity: {nodeAffinity: {requiredDuringSchedulingIgnoredDuringExecution: {nodeSelectorTerms: [7]}}}}}}\n',
        ].join('---\n'),
      ),
    },
  ],
  invalid: [
    {
      name: 'DaemonSet tolerating every taint',
      files: file(tolAll),
      findings: [
        at('medium', tolAll, [
          'toleration {operator: Exists} of DaemonSet "monitoring/node-agent" has no key, so it tolerates every taint',
          `control-plane nodes (taint "${CP}:NoSchedule")`,
          'no NoExecute taint evicts them',
          QUORUM,
        ]),
      ],
    },
    { name: 'DaemonSet tolerating every taint, key written as ""', files: file(tolAllEmptyKey), findings: [at('medium', tolAllEmptyKey, ['every taint'])] },
    {
      name: 'DaemonSet tolerating every NoSchedule taint',
      files: file(tolNoSchedule),
      findings: [at('medium', tolNoSchedule, ['it tolerates every NoSchedule taint', 'kept apart by a NoSchedule taint;'])],
    },
    {
      name: 'calico-style NoSchedule + NoExecute on a non-network DaemonSet',
      files: file(tolCalicoStyle),
      findings: [
        at('medium', tolCalicoStyle, ['{operator: Exists, effect: NoSchedule} and {operator: Exists, effect: NoExecute}', 'every NoSchedule taint and every NoExecute taint', 'no NoExecute taint evicts them'], NO_SCHEDULE),
      ],
    },
    { name: 'all three effects, one toleration each', files: file(tolThreeEffects), findings: [at('medium', tolThreeEffects, ['together they tolerate every taint'])] },
    { name: 'nodeSelector on kubernetes.io/os keeps control-plane nodes in', files: file(linuxOnly), findings: [at('medium', linuxOnly)] },
    { name: 'nodeSelector on arch and zone (labels every node has)', files: file(archAndZone), findings: [at('medium', archAndZone)] },
    { name: 'required affinity NotIn a custom label keeps control-plane nodes in', files: file(notVirtual), findings: [at('medium', notVirtual, undefined, ALL.slice(1, -1))] },
    { name: 'a pool term ORed with a linux term keeps control-plane nodes in', files: file(poolOrAny), findings: [at('medium', poolOrAny, undefined, ALL.slice(1, -1))] },
    {
      name: 'excluding by the master label does not keep it off control-plane nodes',
      files: file(excludeMaster),
      findings: [at('medium', excludeMaster, [`keeps off nodes by "${MASTER}", a label kubeadm removes from control-plane nodes in 1.24`], ALL.slice(1, -1))],
    },
    {
      name: 'with hostNetwork and hostPID (CRIT-TOL-2, still medium)',
      files: file(hostAll),
      findings: [at('medium', hostAll, ["it also runs with hostNetwork and hostPID, so a faulty release acts on the control-plane hosts' network and processes too"])],
    },
    {
      name: 'with hostNetwork and a privileged container, one cluster of three',
      config: FLEET,
      files: { 'clusters/canary-1/node-agent.yaml': hnPriv },
      findings: [at('medium', hnPriv, ['hostNetwork and privileged container "agent"'])],
    },
    { name: 'privileged without hostNetwork, whole fleet: medium', config: SHARED, files: file(privOnly), findings: [at('medium', privOnly, ['privileged container "agent"'])] },
    {
      name: 'hostNetwork + privileged + tolerate-all reaching every cluster: high (CRIT-HN-2)',
      config: SHARED,
      files: file(hnPriv),
      findings: [
        at('high', hnPriv, [
          'reaches every cluster of the fleet (3 clusters, 8,060 nodes: canary-1 (60), prod-eu (3,200), prod-us (4,800))',
          'RULEBOOK C.9 CRIT-HN-2',
        ]),
      ],
    },
    { name: 'the same tolerating only NoSchedule taints', config: SHARED, files: file(hnPrivNoSchedule), findings: [at('high', hnPrivNoSchedule, ['every NoSchedule taint'])] },
    { name: 'the same with a privileged init container', config: SHARED, files: file(hnPrivInit), findings: [at('high', hnPrivInit, ['privileged container "sysctl" (init)'])] },
    {
      name: 'one base under both overlays of a two-cluster fleet: one high finding',
      config: TWO,
      files: KUSTOMIZED(hnPriv, ['a', 'b']),
      findings: [at('high', hnPriv, ['2 clusters, 1,200 nodes: a (300), b (900)'])],
    },
    {
      name: 'one base under two of three overlays: medium, once',
      config: THREE,
      files: { ...KUSTOMIZED(hnPriv, ['a', 'b']), 'clusters/c/kustomization.yaml': 'resources: []\n' },
      findings: [at('medium', hnPriv)],
    },
    {
      name: 'per-cluster copies in every cluster are not grouped (different sources): medium each',
      config: FLEET,
      files: { 'clusters/canary-1/a.yaml': hnPriv, 'clusters/prod-us/a.yaml': hnPriv, 'clusters/prod-eu/a.yaml': hnPriv },
      findings: [at('medium', hnPriv), at('medium', hnPriv), at('medium', hnPriv)],
    },
    // State semantics: the PR makes it new.
    { name: 'a PR adding tolerate-all to an existing DaemonSet', base: file(agent), files: file(tolAll), findings: [at('medium', tolAll)] },
    {
      name: 'a PR making a fleet-wide tolerate-all DaemonSet privileged',
      config: SHARED,
      base: file(ds({ tolerations: [ALL], hostNetwork: true })),
      files: file(hnPriv),
      findings: [at('high', hnPriv)],
    },
    {
      name: 'a PR shipping a privileged tolerate-all DaemonSet to the last cluster',
      config: TWO,
      base: { ...KUSTOMIZED(hnPriv, ['a']), 'clusters/b/kustomization.yaml': 'resources: []\n' },
      files: KUSTOMIZED(hnPriv, ['a', 'b']),
      findings: [at('high', hnPriv)],
    },
  ],
});

describe('blast-radius/tolerate-all-daemonset details', () => {
  it('reports the fleet-wide finding once, with every cluster', () => {
    const result = runCase(tolerateAllDaemonset, { name: 'x', config: TWO, files: KUSTOMIZED(hnPriv, ['a', 'b']) });
    expect(result.live).toHaveLength(1);
    expect(result.live[0].clusters).toEqual(['a', 'b']);
    expect(result.live[0].file).toBe('base/agent/node-agent.yaml');
    expect(result.live[0].resource).toBe('DaemonSet/monitoring/node-agent');
  });

  it('keeps the finding suppressed with the ignore annotation', () => {
    const text = ds({ tolerations: [ALL], annotations: { 'blast-radius.dev/ignore': 'blast-radius/tolerate-all-daemonset -- managed control plane' } });
    const result = runCase(tolerateAllDaemonset, { name: 'x', files: file(text) });
    expect(result.live).toEqual([]);
    expect(result.suppressed.map((f) => f.key)).toEqual([KEY]);
  });
});

// ---- real-world manifests -------------------------------------------------------------------------

const NODE_EXPORTER = 'prometheus-operator+kube-prometheus/manifests/nodeExporter-daemonset.yaml';
const KUBE_STACK_NE = 'open-telemetry+opentelemetry-helm-charts/charts/opentelemetry-kube-stack/examples/prometheus-otel/rendered/prometheus-node-exporter/daemonset.yaml';
const CALICO = 'projectcalico+calico/manifests/calico.yaml';
const DATADOG = 'DataDog+helm-charts/test/datadog/baseline/manifests/daemonset_default.yaml';

if (HAS_CORPUS) {
  const nodeExporter = readCorpus(NODE_EXPORTER);
  const kubeStackNe = readCorpus(KUBE_STACK_NE);
  const calico = readCorpus(CALICO);
  const datadog = readCorpus(DATADOG);
  const nodeExporterAnnotated = annotate(nodeExporter, 'DaemonSet');

  describe('real-world manifests: the annotation-only PR really changes the DaemonSet', () => {
    it('annotates node-exporter', () => {
      expect(nodeExporterAnnotated.split('\n').length).toBe(nodeExporter.split('\n').length + 2);
    });
  });

  // Expected from RULEBOOK C.7 / C.9 before the rule ever ran on these files:
  // - kube-prometheus node-exporter: `tolerations: [{operator: Exists}]`, hostNetwork and hostPID, not
  //   privileged, nodeSelector kubernetes.io/os only → medium (every taint; hostNetwork and hostPID).
  // - the kube-stack example's prometheus-node-exporter: `{effect: NoSchedule, operator: Exists}`, hostNetwork
  //   and hostPID; its required affinity only keeps Fargate and virtual-kubelet nodes out → medium (every
  //   NoSchedule taint).
  // - calico.yaml: calico-node tolerates every NoSchedule and NoExecute taint but is a CNI agent (exempt);
  //   calico-kube-controllers is a Deployment → quiet.
  // - Datadog baseline daemonset_default.yaml: the agent DaemonSet has `tolerations: null` → quiet.
  ruleTester(tolerateAllDaemonset).run({
    valid: [
      { name: 'calico.yaml (calico-node is exempt)', files: { [CALICO]: calico } },
      { name: 'datadog baseline daemonset_default.yaml', files: { [DATADOG]: datadog } },
      { name: 'node-exporter: annotation-only edit', base: { [NODE_EXPORTER]: nodeExporter }, files: { [NODE_EXPORTER]: nodeExporterAnnotated } },
    ],
    invalid: [
      {
        name: 'kube-prometheus node-exporter',
        files: { [NODE_EXPORTER]: nodeExporter },
        findings: [{ severity: 'medium', key: KEY, line: lineOf(nodeExporter, '- operator: Exists'), messageIncludes: ['DaemonSet "monitoring/node-exporter"', 'tolerates every taint', 'hostNetwork and hostPID'] }],
      },
      {
        name: 'kube-stack example prometheus-node-exporter',
        files: { [KUBE_STACK_NE]: kubeStackNe },
        findings: [{ severity: 'medium', key: KEY, line: lineOf(kubeStackNe, 'operator: Exists'), messageIncludes: ['every NoSchedule taint', 'hostNetwork and hostPID'] }],
      },
    ],
  });
} else {
  describe.skip('real-world manifests (../shared/corpus is absent)', () => {
    it('skipped', () => {});
  });
}
