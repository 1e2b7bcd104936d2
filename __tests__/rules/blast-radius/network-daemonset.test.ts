/**
 * Table tests of blast-radius/network-daemonset: kube-proxy / CNI DaemonSets new in a cluster, pod-template
 * changes (CRIT-NET-1 pace and fleet reach), networking ConfigMap changes; real-world Calico manifests.
 * Lines are looked up in the case's own YAML.
 */
import { describe, expect, it } from 'vitest';
import { networkDaemonset } from '../../../rules/blast-radius/network-daemonset.js';
import { annotate, HAS_CORPUS, readCorpus } from '../../helpers/corpus.js';
import { lineContaining, ruleTester, runCase, type ExpectedFinding } from '../../helpers/rule-tester.js';
import { FLEET, SHARED } from '../../helpers/fleets.js';

const lineOf = lineContaining;

/** 1-based line of the first line equal to `exact` after the line containing `anchor`. */
function lineAfter(text: string, anchor: string, exact: string): number {
  const lines = text.split('\n');
  const from = lineOf(text, anchor);
  const i = lines.findIndex((l, j) => j >= from && l === exact);
  if (i < 0) throw new Error(`test fixture: ${JSON.stringify(exact)} not found after ${JSON.stringify(anchor)}`);
  return i + 1;
}

/** One cluster: a change to it reaches the whole fleet. */
const SINGLE = `fleet:
  clusters:
    - { name: prod, nodes: 900, stage: prod, paths: ["**"] }
`;
/** Two tiny clusters receiving every file (a count of 2 is above 10 % of 5 nodes). */
const TINY = `fleet:
  clusters:
    - { name: lab-a, nodes: 5, paths: ["**"] }
    - { name: lab-b, nodes: 5, paths: ["**"] }
`;

interface DsSpec {
  name?: string;
  namespace?: string;
  image?: string;
  k8sApp?: string;
  /** Lines under `spec:` for the update strategy (default: none written). */
  strategy?: string[];
  annotations?: Record<string, string>;
  podAnnotations?: Record<string, string>;
  comment?: string;
}

/** A kube-proxy DaemonSet (or any DaemonSet with the given name and image). */
function ds(d: DsSpec = {}): string {
  const name = d.name ?? 'kube-proxy';
  const lines = ['apiVersion: apps/v1', 'kind: DaemonSet', 'metadata:', `  name: ${name}`, `  namespace: ${d.namespace ?? 'kube-system'}`];
  if (d.comment) lines.push(`  # ${d.comment}`);
  lines.push('  labels:', `    k8s-app: ${d.k8sApp ?? name}`);
  if (d.annotations) lines.push('  annotations:', ...Object.entries(d.annotations).map(([k, v]) => `    ${k}: ${JSON.stringify(v)}`));
  lines.push('spec:', '  selector:', `    matchLabels: {k8s-app: ${d.k8sApp ?? name}}`, ...(d.strategy ?? []), '  template:', '    metadata:', `      labels: {k8s-app: ${d.k8sApp ?? name}}`);
  if (d.podAnnotations) lines.push('      annotations:', ...Object.entries(d.podAnnotations).map(([k, v]) => `        ${k}: ${JSON.stringify(v)}`));
  lines.push(
    '    spec:',
    '      hostNetwork: true',
    '      priorityClassName: system-node-critical',
    '      containers:',
    `      - name: ${name}`,
    `        image: ${d.image ?? 'registry.k8s.io/kube-proxy:v1.30.2'}`,
    '        command: [/usr/local/bin/kube-proxy, --config=/var/lib/kube-proxy/config.conf]',
    // The agent reads its ConfigMap (kube-proxy's is named like it, the others `<name>-config`).
    '      volumes:',
    '      - name: config',
    `        configMap: {name: ${name === 'kube-proxy' ? 'kube-proxy' : `${name}-config`}}`,
  );
  return `${lines.join('\n')}\n`;
}

const rolling = (maxUnavailable: string | number, maxSurge?: string | number) => [
  '  updateStrategy:',
  '    type: RollingUpdate',
  '    rollingUpdate:',
  `      maxUnavailable: ${maxUnavailable}`,
  ...(maxSurge !== undefined ? [`      maxSurge: ${maxSurge}`] : []),
];
const onDelete = ['  updateStrategy:', '    type: OnDelete'];

function configMap(name = 'kube-proxy', namespace = 'kube-system', mode = 'iptables', extra: string[] = []): string {
  return [
    'apiVersion: v1',
    'kind: ConfigMap',
    'metadata:',
    `  name: ${name}`,
    `  namespace: ${namespace}`,
    ...extra,
    'data:',
    '  config.conf: |',
    '    apiVersion: kubeproxy.config.k8s.io/v1alpha1',
    '    kind: KubeProxyConfiguration',
    `    mode: ${mode}`,
    '  kubeconfig.conf: "server: https://10.0.0.1"',
    '',
  ].join('\n');
}

const NEW = 'registry.k8s.io/kube-proxy:v1.31.0';
const CANARY = 'clusters/canary-1/kube-proxy.yaml';
const PROD_US = 'clusters/prod-us/kube-proxy.yaml';
const PROD_EU = 'clusters/prod-eu/kube-proxy.yaml';
const SHARED_FILE = 'infrastructure/kube-proxy.yaml';

const kubeProxy = ds();
const upgraded = ds({ image: NEW });
const nodeAgent = ds({ name: 'node-agent', namespace: 'monitoring', image: 'example.com/node-agent:1.0.0' });
const flannel = ds({ name: 'kube-flannel-ds', namespace: 'kube-flannel', image: 'docker.io/flannel/flannel:v0.25.1', k8sApp: 'flannel' });
const calicoNode = ds({ name: 'calico-node', image: 'quay.io/calico/node:v3.28.0' });

const cilium = ds({ name: 'cilium', namespace: 'cilium', image: 'quay.io/cilium/cilium:v1.16.0' });
const ciliumStrict = `${cilium}---\n${configMap('cilium-config', 'cilium', 'strict')}`;
const oddCm = (data: string) => `apiVersion: v1\nkind: ConfigMap\nmetadata: {name: cilium-config, namespace: cilium}\ndata: ${data}\n`;
const withCm = `${kubeProxy}---\n${configMap()}`;

const NEW_TEXT = 'its creation ignores updateStrategy (slow-start batches up to 250 pods per sync, RULEBOOK B.1)';

const at = (severity: ExpectedFinding['severity'], key: string, text: string, needle: string, messageIncludes?: string[], nth = 1): ExpectedFinding => ({
  severity,
  key,
  line: lineOf(text, needle, nth),
  ...(messageIncludes ? { messageIncludes } : {}),
});

/** A template change (image bump) of kube-proxy with a given strategy, base and head. */
function bump(strategy: string[] | undefined) {
  return { before: ds({ strategy }), after: ds({ strategy, image: NEW }) };
}
const p50 = bump(rolling('"50%"'));
const p10 = bump(rolling('"10%"'));
const p11 = bump(rolling('"11%"'));
const one = bump(rolling(1));
const c480 = bump(rolling(480));
const c481 = bump(rolling(481));
const c2 = bump(rolling(2));
const surge = bump(rolling(0, '"25%"'));
const lazy = bump(onDelete);
const dflt = bump(undefined);

ruleTester(networkDaemonset).run({
  valid: [
    {
      name: 'the kube-proxy ConfigMap deleted with kube-proxy itself, calico-node staying: part of that deletion, not a config change',
      config: FLEET,
      base: { [CANARY]: `${ds()}---\n${configMap()}---\n${ds({ name: 'calico-node', image: 'quay.io/calico/node:v3.28.0' })}` },
      files: { [CANARY]: ds({ name: 'calico-node', image: 'quay.io/calico/node:v3.28.0' }) },
    },
    { name: 'a new DaemonSet that is not a networking agent is left to new-daemonset', config: FLEET, files: { [CANARY]: nodeAgent } },
    { name: 'a networking DaemonSet unchanged', config: FLEET, base: { [CANARY]: kubeProxy }, files: { [CANARY]: kubeProxy } },
    {
      name: 'only an annotation on the DaemonSet (outside the pod template)',
      config: SHARED,
      base: { [SHARED_FILE]: p50.before },
      files: { [SHARED_FILE]: ds({ strategy: rolling('"50%"'), annotations: { 'example.com/owner': 'netops' } }) },
    },
    { name: 'a comment-only edit', config: SHARED, base: { [SHARED_FILE]: p50.before }, files: { [SHARED_FILE]: ds({ strategy: rolling('"50%"'), comment: 'reviewed' }) } },
    { name: 'a pod-template change with updateStrategy OnDelete, fleet-wide', config: SHARED, base: { [SHARED_FILE]: lazy.before }, files: { [SHARED_FILE]: lazy.after } },
    {
      name: 'a networking DaemonSet moved to another file of the same cluster',
      config: FLEET,
      base: { [CANARY]: kubeProxy },
      files: { 'clusters/canary-1/networking/kube-proxy.yaml': kubeProxy },
    },
    { name: 'a template change of a DaemonSet that is not a networking agent', config: SHARED, base: { [SHARED_FILE]: nodeAgent }, files: { [SHARED_FILE]: ds({ name: 'node-agent', namespace: 'monitoring', image: 'example.com/node-agent:2.0.0' }) } },
    {
      name: 'a networking DaemonSet and its ConfigMap deleted together (no key for removals)',
      config: FLEET,
      base: { [CANARY]: `${kubeProxy}---\n${configMap()}` },
      files: { 'clusters/canary-1/other.yaml': nodeAgent },
    },
    {
      name: 'only an annotation on the kube-proxy ConfigMap',
      config: SHARED,
      base: { [SHARED_FILE]: `${kubeProxy}---\n${configMap()}` },
      files: { [SHARED_FILE]: `${kubeProxy}---\n${configMap('kube-proxy', 'kube-system', 'iptables', ['  annotations:', '    example.com/owner: netops'])}` },
    },
    {
      name: 'a ConfigMap named kube-proxy in a namespace no networking DaemonSet runs in',
      config: FLEET,
      base: { [CANARY]: `${kubeProxy}---\n${configMap('kube-proxy', 'monitoring')}` },
      files: { [CANARY]: `${kubeProxy}---\n${configMap('kube-proxy', 'monitoring', 'ipvs')}` },
    },
    {
      name: 'a ConfigMap that is not a networking one (coredns)',
      config: FLEET,
      base: { [CANARY]: `${kubeProxy}---\n${configMap('coredns')}` },
      files: { [CANARY]: `${kubeProxy}---\n${configMap('coredns', 'kube-system', 'ipvs')}` },
    },
    {
      name: 'odd input: spec a string on both sides, updateStrategy a list',
      config: FLEET,
      base: {
        [CANARY]: 'apiVersion: apps/v1\nkind: DaemonSet\nmetadata: {name: kube-proxy, namespace: kube-system}\nspec: "one"\n',
        'clusters/canary-1/odd.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: cilium-config, namespace: kube-system}\ndata: [1, 2]\n',
      },
      files: {
        [CANARY]: 'apiVersion: apps/v1\nkind: DaemonSet\nmetadata: {name: kube-proxy, namespace: kube-system}\nspec: "two"\n',
        'clusters/canary-1/odd.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: cilium-config, namespace: kube-system}\ndata: [1, 2]\n',
      },
    },
  ],
  invalid: [
    // ---- new --------------------------------------------------------------------------------------------
    {
      name: 'a new kube-proxy DaemonSet in one 60-node cluster',
      config: FLEET,
      files: { [CANARY]: kubeProxy },
      findings: [at('high', 'new', kubeProxy, 'name: kube-proxy', ['new networking DaemonSet "kube-system/kube-proxy" (kube-proxy) lands at once on every node of cluster "canary-1" (60 nodes)', NEW_TEXT])],
    },
    {
      name: 'a new CNI DaemonSet in a shared file: one finding over three clusters',
      config: SHARED,
      files: { [SHARED_FILE]: calicoNode },
      findings: [at('high', 'new', calicoNode, 'name: calico-node', ['(CNI agent)', '3 clusters, 8,060 nodes: canary-1 (60), prod-eu (3,200), prod-us (4,800)'])],
    },
    {
      name: 'on the base in canary only, added to prod-us',
      config: FLEET,
      base: { [CANARY]: kubeProxy },
      files: { [CANARY]: kubeProxy, [PROD_US]: kubeProxy },
      findings: [at('high', 'new', kubeProxy, 'name: kube-proxy', ['cluster "prod-us" (4,800 nodes)'])],
    },
    {
      name: 'flannel added where the base runs calico-node (migration in one merge)',
      config: FLEET,
      base: { [CANARY]: calicoNode },
      files: { [CANARY]: flannel },
      findings: [at('high', 'new', flannel, 'name: kube-flannel-ds', ['"kube-flannel/kube-flannel-ds" (CNI agent)', 'the base already runs "kube-system/calico-node" there'])],
    },
    {
      name: 'a renamed networking DaemonSet is new',
      config: FLEET,
      base: { [CANARY]: kubeProxy },
      files: { [CANARY]: ds({ name: 'kube-proxy-v2', k8sApp: 'kube-proxy' }) },
      findings: [at('high', 'new', ds({ name: 'kube-proxy-v2', k8sApp: 'kube-proxy' }), 'name: kube-proxy-v2', ['"kube-system/kube-proxy-v2"', 'the base already runs "kube-system/kube-proxy" there'])],
    },
    {
      name: 'recognised by image alone (cilium under another name)',
      config: FLEET,
      files: { [CANARY]: ds({ name: 'net-agent', image: 'quay.io/cilium/cilium:v1.16.0' }) },
      findings: [at('high', 'new', ds({ name: 'net-agent', image: 'quay.io/cilium/cilium:v1.16.0' }), 'name: net-agent', ['"kube-system/net-agent" (CNI agent)'])],
    },
    // ---- template ---------------------------------------------------------------------------------------
    {
      name: 'image bump in one cluster, default strategy: medium at the image',
      config: FLEET,
      base: { [CANARY]: kubeProxy },
      files: { [CANARY]: upgraded },
      findings: [
        at('medium', 'template', upgraded, `image: ${NEW}`, [
          'pod template of networking DaemonSet "kube-system/kube-proxy" (kube-proxy) changed in cluster "canary-1" (60 nodes); every node\'s kube-proxy restarts',
          'maxUnavailable 1 (the default) paces it at 1 node at a time in "canary-1"',
        ]),
      ],
    },
    {
      name: 'maxUnavailable 50% on every cluster of the fleet: high',
      config: SHARED,
      base: { [SHARED_FILE]: p50.before },
      files: { [SHARED_FILE]: p50.after },
      findings: [
        at('high', 'template', p50.after, `image: ${NEW}`, [
          'maxUnavailable "50%" replaces it on up to 2,400 of the 4,800 nodes of "prod-us" at once',
          'reaches every cluster of the fleet in one merge',
          'CRIT-NET-1: at most 10% at a time',
        ]),
      ],
    },
    {
      name: 'maxUnavailable 1 on every cluster of the fleet: high (8,060 nodes in three clusters at once, however slow each cluster rolls)',
      config: SHARED,
      base: { [SHARED_FILE]: one.before },
      files: { [SHARED_FILE]: one.after },
      findings: [at('high', 'template', one.after, `image: ${NEW}`, ['maxUnavailable 1 paces it at 1 node at a time in "prod-us", but the change reaches every cluster of the fleet in one merge'])],
    },
    {
      name: 'maxUnavailable 10% fleet-wide is at the threshold: high (8,060 nodes in three clusters at once, however slow each cluster rolls)',
      config: SHARED,
      base: { [SHARED_FILE]: p10.before },
      files: { [SHARED_FILE]: p10.after },
      findings: [at('high', 'template', p10.after, `image: ${NEW}`, ['maxUnavailable "10%" paces it at 480 nodes at a time in "prod-us"'])],
    },
    {
      name: 'maxUnavailable 11% fleet-wide: high',
      config: SHARED,
      base: { [SHARED_FILE]: p11.before },
      files: { [SHARED_FILE]: p11.after },
      findings: [at('high', 'template', p11.after, `image: ${NEW}`, ['maxUnavailable "11%" replaces it on up to 528 of the 4,800 nodes'])],
    },
    {
      name: 'maxUnavailable 480 (10% of the largest cluster) fleet-wide: high (8,060 nodes in three clusters at once, however slow each cluster rolls)',
      config: SHARED,
      base: { [SHARED_FILE]: c480.before },
      files: { [SHARED_FILE]: c480.after },
      findings: [at('high', 'template', c480.after, `image: ${NEW}`, ['maxUnavailable 480 paces it at 480 nodes'])],
    },
    {
      name: 'maxUnavailable 481 fleet-wide: high',
      config: SHARED,
      base: { [SHARED_FILE]: c481.before },
      files: { [SHARED_FILE]: c481.after },
      findings: [at('high', 'template', c481.after, `image: ${NEW}`, ['maxUnavailable 481 replaces it on up to 481 of the 4,800 nodes'])],
    },
    {
      name: 'maxSurge 25% (maxUnavailable 0) fleet-wide: high',
      config: SHARED,
      base: { [SHARED_FILE]: surge.before },
      files: { [SHARED_FILE]: surge.after },
      findings: [at('high', 'template', surge.after, `image: ${NEW}`, ['maxSurge "25%" replaces it on up to 1,200 of the 4,800 nodes'])],
    },
    {
      name: 'no strategy written (default 1) fleet-wide: high (8,060 nodes in three clusters at once, however slow each cluster rolls)',
      config: SHARED,
      base: { [SHARED_FILE]: dflt.before },
      files: { [SHARED_FILE]: dflt.after },
      findings: [at('high', 'template', dflt.after, `image: ${NEW}`, ['maxUnavailable 1 (the default)'])],
    },
    {
      name: 'maxUnavailable 50% in prod-us alone: one cluster is a stage, however big (more than half of the fleet\'s nodes): medium',
      config: FLEET,
      base: { [PROD_US]: p50.before },
      files: { [PROD_US]: p50.after },
      findings: [at('medium', 'template', p50.after, `image: ${NEW}`)],
    },
    {
      name: 'maxUnavailable 50% in both production clusters, 8,000 of 8,060 nodes: high',
      config: FLEET,
      base: { [PROD_US]: p50.before, [PROD_EU]: p50.before },
      files: { [PROD_US]: p50.after, [PROD_EU]: p50.after },
      findings: [at('high', 'template', p50.after, `image: ${NEW}`, ['reaches 8,000 of the fleet\'s 8,060 nodes in one merge'])],
    },
    {
      name: 'maxUnavailable 50% in prod-eu alone, less than half of the fleet\'s nodes: medium',
      config: FLEET,
      base: { [PROD_EU]: p50.before },
      files: { [PROD_EU]: p50.after },
      findings: [at('medium', 'template', p50.after, `image: ${NEW}`, ['maxUnavailable "50%" replaces it on up to 1,600 of the 3,200 nodes of "prod-eu" at once'])],
    },
    {
      name: 'maxUnavailable 50% in the only cluster of a one-cluster fleet: high',
      config: SINGLE,
      base: { [SHARED_FILE]: p50.before },
      files: { [SHARED_FILE]: p50.after },
      findings: [at('high', 'template', p50.after, `image: ${NEW}`, ['reaches the whole fleet in one merge'])],
    },
    {
      name: 'maxUnavailable 50% reaching only the implicit unmapped cluster: medium (its reach is unknown)',
      base: { [SHARED_FILE]: p50.before },
      files: { [SHARED_FILE]: p50.after },
      findings: [at('medium', 'template', p50.after, `image: ${NEW}`, ['cluster "unmapped" (5,000 nodes (assumed))', '2,500 of the 5,000 nodes of "unmapped"'])],
    },
    {
      name: 'maxUnavailable 2 on two 5-node clusters: high',
      config: TINY,
      base: { [SHARED_FILE]: c2.before },
      files: { [SHARED_FILE]: c2.after },
      findings: [at('high', 'template', c2.after, `image: ${NEW}`, ['maxUnavailable 2 replaces it on up to 2 of the 5 nodes'])],
    },
    {
      name: 'maxUnavailable 1 on two 5-node clusters: medium (one node is the smallest step)',
      config: TINY,
      base: { [SHARED_FILE]: one.before },
      files: { [SHARED_FILE]: one.after },
      findings: [at('medium', 'template', one.after, `image: ${NEW}`)],
    },
    {
      name: 'a pod-template annotation restarts every pod too',
      config: FLEET,
      base: { [CANARY]: ds({ podAnnotations: { 'example.com/rev': '1' } }) },
      files: { [CANARY]: ds({ podAnnotations: { 'example.com/rev': '2' } }) },
      findings: [at('medium', 'template', ds({ podAnnotations: { 'example.com/rev': '2' } }), 'example.com/rev:')],
    },
    {
      name: 'two changes in the template point at the template',
      config: FLEET,
      base: { [CANARY]: kubeProxy },
      files: { [CANARY]: ds({ image: NEW, podAnnotations: { 'example.com/rev': '2' } }) },
      findings: [at('medium', 'template', ds({ image: NEW, podAnnotations: { 'example.com/rev': '2' } }), '  template:')],
    },
    {
      name: 'an unreadable maxUnavailable: medium, said so',
      config: SHARED,
      base: { [SHARED_FILE]: ds({ strategy: rolling('[1]') }) },
      files: { [SHARED_FILE]: ds({ strategy: rolling('[1]'), image: NEW }) },
      findings: [at('medium', 'template', ds({ strategy: rolling('[1]'), image: NEW }), `image: ${NEW}`, ['maxUnavailable a non-scalar value is not a count or percentage'])],
    },
    {
      name: 'changed in canary where it ran, new in prod-us: template and new',
      config: FLEET,
      base: { [CANARY]: kubeProxy },
      files: { [CANARY]: upgraded, [PROD_US]: upgraded },
      findings: [
        at('medium', 'template', upgraded, `image: ${NEW}`, ['cluster "canary-1"']),
        at('high', 'new', upgraded, 'name: kube-proxy', ['cluster "prod-us"']),
      ],
    },
    // ---- config -----------------------------------------------------------------------------------------
    {
      name: 'kube-proxy ConfigMap data changed in one cluster: medium at the key',
      config: FLEET,
      base: { [CANARY]: `${kubeProxy}---\n${configMap()}` },
      files: { [CANARY]: `${kubeProxy}---\n${configMap('kube-proxy', 'kube-system', 'ipvs')}` },
      findings: [
        at('medium', 'config', `${kubeProxy}---\n${configMap('kube-proxy', 'kube-system', 'ipvs')}`, 'config.conf: |', [
          'networking ConfigMap "kube-system/kube-proxy" data changed (key "config.conf") in cluster "canary-1" (60 nodes); "kube-system/kube-proxy" reads it on every node',
        ]),
      ],
    },
    {
      name: 'kube-proxy ConfigMap data changed on every cluster: high',
      config: SHARED,
      base: { [SHARED_FILE]: `${kubeProxy}---\n${configMap()}` },
      files: { [SHARED_FILE]: `${kubeProxy}---\n${configMap('kube-proxy', 'kube-system', 'ipvs')}` },
      findings: [at('high', 'config', `${kubeProxy}---\n${configMap('kube-proxy', 'kube-system', 'ipvs')}`, 'config.conf: |', ['reaches every cluster of the fleet in one merge'])],
    },
    {
      name: 'EKS kube-proxy-config in kube-system with no DaemonSet in the repository: medium',
      config: FLEET,
      base: { [CANARY]: configMap('kube-proxy-config') },
      files: { [CANARY]: configMap('kube-proxy-config', 'kube-system', 'ipvs') },
      findings: [at('medium', 'config', configMap('kube-proxy-config', 'kube-system', 'ipvs'), 'config.conf: |', ['the networking agent that reads it (not in this repository) runs on every node'])],
    },
    {
      name: 'cilium-config changed in the cilium DaemonSet\'s namespace',
      config: FLEET,
      base: { [CANARY]: `${cilium}---\n${configMap('cilium-config', 'cilium')}` },
      files: { [CANARY]: ciliumStrict },
      findings: [at('medium', 'config', ciliumStrict, 'config.conf: |', ['"cilium/cilium" reads it on every node'])],
    },
    {
      name: 'odd input: a networking ConfigMap whose data turns from a list into a string',
      config: FLEET,
      base: { [CANARY]: `${cilium}---\n${oddCm('[1, 2]')}` },
      files: { [CANARY]: `${cilium}---\n${oddCm('"x"')}` },
      findings: [at('medium', 'config', `${cilium}---\n${oddCm('"x"')}`, 'data: "x"', ['"cilium/cilium-config" data changed in cluster "canary-1"'])],
    },
    {
      name: 'the kube-proxy ConfigMap deleted while the DaemonSet stays: medium at the base line',
      config: FLEET,
      base: { [CANARY]: `${kubeProxy}---\n${configMap()}` },
      files: { [CANARY]: kubeProxy },
      findings: [{ severity: 'medium', key: 'config', line: lineAfter(withCm, 'kind: ConfigMap', '  name: kube-proxy'), messageIncludes: ['deleted (line on the base)', 'fails on the missing ConfigMap'] }],
    },
    {
      name: 'the kube-proxy ConfigMap added where the DaemonSet already runs: medium',
      config: FLEET,
      base: { [CANARY]: kubeProxy },
      files: { [CANARY]: `${kubeProxy}---\n${configMap()}` },
      findings: [{ severity: 'medium', key: 'config', line: lineAfter(withCm, 'kind: ConfigMap', 'data:'), messageIncludes: ['added in cluster "canary-1"', 'its content replaces whatever the clusters hold'] }],
    },
    {
      name: 'a whole new install (DaemonSet and ConfigMap): only new',
      config: FLEET,
      files: { [CANARY]: `${kubeProxy}---\n${configMap()}` },
      findings: [at('high', 'new', kubeProxy, 'name: kube-proxy')],
    },
  ],
});

describe('blast-radius/network-daemonset details', () => {
  it('groups copies of one source across clusters and passes the clusters', () => {
    const result = runCase(networkDaemonset, { name: 'x', config: SHARED, base: { [SHARED_FILE]: p50.before }, files: { [SHARED_FILE]: p50.after } });
    expect(result.live).toHaveLength(1);
    expect(result.live[0].clusters).toEqual(['canary-1', 'prod-eu', 'prod-us']);
    expect(result.live[0].resource).toBe('DaemonSet/kube-system/kube-proxy');
    expect(result.live[0].data).toMatchObject({ totalNodes: 8060, wholeFleet: true, stepAbove: ['maxUnavailable'] });
  });

  it('reports copies of a Kustomize base under three cluster overlays once, with all their clusters', () => {
    const overlays = (extra: Record<string, string>) => ({
      'base/kustomization.yaml': 'resources: [kube-proxy.yaml]\n',
      'clusters/canary-1/kustomization.yaml': 'resources: [../../base]\n',
      'clusters/prod-us/kustomization.yaml': 'resources: [../../base]\n',
      'clusters/prod-eu/kustomization.yaml': 'resources: [../../base]\n',
      ...extra,
    });
    const result = runCase(networkDaemonset, { name: 'x', config: FLEET, base: overlays({ 'base/kube-proxy.yaml': p50.before }), files: overlays({ 'base/kube-proxy.yaml': p50.after }) });
    expect(result.live.map((f) => [f.key, f.severity, f.file, f.line, f.clusters])).toEqual([
      ['template', 'high', 'base/kube-proxy.yaml', lineOf(p50.after, `image: ${NEW}`), ['canary-1', 'prod-eu', 'prod-us']],
    ]);
    expect(result.live[0].message).toContain('3 clusters, 8,060 nodes');
  });

  it('reports the new clusters only', () => {
    const result = runCase(networkDaemonset, { name: 'x', config: FLEET, base: { [CANARY]: kubeProxy }, files: { [CANARY]: kubeProxy, [PROD_US]: kubeProxy, [PROD_EU]: kubeProxy } });
    // One pull request adds it to both production clusters (a file each): one finding over both.
    expect(result.live.map((f) => [f.key, f.clusters])).toEqual([['new', ['prod-eu', 'prod-us']]]);
    expect(result.live[0].message).toContain('8,000 nodes');
  });

  it('reports a deleted ConfigMap on its base file with explicit clusters', () => {
    const result = runCase(networkDaemonset, { name: 'x', config: FLEET, base: { [CANARY]: kubeProxy, 'clusters/canary-1/cm.yaml': configMap() }, files: { [CANARY]: kubeProxy } });
    expect(result.live.map((f) => [f.key, f.file, f.clusters, f.resource])).toEqual([['config', 'clusters/canary-1/cm.yaml', ['canary-1'], 'ConfigMap/kube-system/kube-proxy']]);
  });

  it('keeps findings suppressed with the ignore annotation', () => {
    const text = ds({ annotations: { 'blast-radius.dev/ignore': 'blast-radius/network-daemonset -- bootstrap of an empty cluster' } });
    const result = runCase(networkDaemonset, { name: 'x', config: FLEET, files: { [CANARY]: text } });
    expect(result.live).toEqual([]);
    expect(result.suppressed.map((f) => f.key)).toEqual(['new']);
  });

  it('uses the template remediation for medium and the pace remediation for high', () => {
    const high = runCase(networkDaemonset, { name: 'x', config: SHARED, base: { [SHARED_FILE]: p50.before }, files: { [SHARED_FILE]: p50.after } });
    const medium = runCase(networkDaemonset, { name: 'y', config: SHARED, base: { [SHARED_FILE]: one.before }, files: { [SHARED_FILE]: one.after } });
    expect(high.live[0].remediation).toContain('maxUnavailable to 1 (at most 10%)');
    expect(high.live[0].remediation).toContain('OnDelete');
    expect(medium.live[0].remediation).toContain('one cluster per pull request');
  });
});

// ---- real-world Calico manifests ---------------------------------------------------------------------------

const CALICO = 'projectcalico+calico/manifests/calico.yaml';
const CALICO_ETCD = 'projectcalico+calico/manifests/calico-etcd.yaml';
const CANAL_ETCD = 'projectcalico+calico/manifests/canal-etcd.yaml';
const CSI = 'projectcalico+calico/manifests/csi-driver.yaml';
const OPERATOR = 'projectcalico+calico/manifests/tigera-operator.yaml';
const INSTALLATION = 'projectcalico+calico/manifests/custom-resources.yaml';

if (HAS_CORPUS) {
  const calico = readCorpus(CALICO);
  const calicoEtcd = readCorpus(CALICO_ETCD);
  const canalEtcd = readCorpus(CANAL_ETCD);
  const calicoAnnotated = annotate(annotate(calico, 'DaemonSet'), 'ConfigMap');
  // calico-node's own image (the line after `- name: calico-node` in the containers list).
  const nodeImage = '          image: quay.io/calico/node:master';
  const nodeLine = lineOf(calico, '        - name: calico-node') + 1;
  const calicoBumped = calico
    .split('\n')
    .map((l, i) => (i + 1 === nodeLine && l === nodeImage ? '          image: quay.io/calico/node:v3.30.0' : l))
    .join('\n');
  const calicoMtu = calico.replace('  veth_mtu: "0"', '  veth_mtu: "1440"');

  describe('real-world Calico manifests: the edits really change what they should', () => {
    it('annotates, bumps and retunes', () => {
      expect(calicoAnnotated.split('\n').length).toBe(calico.split('\n').length + 4);
      expect(calicoBumped).not.toBe(calico);
      expect(calicoBumped.split('\n')[nodeLine - 1]).toContain('v3.30.0');
      expect(calicoMtu).not.toBe(calico);
    });
  });

  // Expected from RULEBOOK C.4 / D.1 and the issue before the rule ran on these files. A PR adding the file
  // to a repository without fleet config reaches the implicit cluster `unmapped` (5,000 nodes assumed):
  // - calico.yaml / calico-etcd.yaml: DaemonSet kube-system/calico-node (calico/node image) → new, high;
  // - canal-etcd.yaml: DaemonSet kube-system/canal-node (calico/node + flannel images) → new, high;
  // - csi-driver.yaml (calico-system/csi-node-driver), tigera-operator.yaml (a Deployment) and
  //   custom-resources.yaml (operator CRs): no networking DaemonSet → quiet;
  // - an annotation on calico-node and calico-config → quiet; calico-node's image bumped → template, medium
  //   (unmapped is not the fleet; maxUnavailable 1); calico-config veth_mtu changed → config, medium.
  ruleTester(networkDaemonset).run({
    valid: [
      { name: 'calico.yaml: only annotations on calico-node and calico-config', base: { [CALICO]: calico }, files: { [CALICO]: calicoAnnotated } },
      { name: 'csi-driver.yaml added', files: { [CSI]: readCorpus(CSI) } },
      { name: 'tigera-operator.yaml added', files: { [OPERATOR]: readCorpus(OPERATOR) } },
      { name: 'custom-resources.yaml (operator Installation) added', files: { [INSTALLATION]: readCorpus(INSTALLATION) } },
    ],
    invalid: [
      {
        name: 'calico.yaml added',
        files: { [CALICO]: calico },
        findings: [{ severity: 'high', key: 'new', line: lineOf(calico, 'kind: DaemonSet') + 3, messageIncludes: ['"kube-system/calico-node" (CNI agent)', 'cluster "unmapped" (5,000 nodes (assumed))'] }],
      },
      {
        name: 'calico-etcd.yaml added',
        files: { [CALICO_ETCD]: calicoEtcd },
        findings: [{ severity: 'high', key: 'new', line: lineOf(calicoEtcd, 'kind: DaemonSet') + 3 }],
      },
      {
        name: 'canal-etcd.yaml added',
        files: { [CANAL_ETCD]: canalEtcd },
        findings: [{ severity: 'high', key: 'new', line: lineOf(canalEtcd, 'kind: DaemonSet') + 3, messageIncludes: ['"kube-system/canal-node"'] }],
      },
      {
        name: 'calico.yaml: calico-node image bumped',
        base: { [CALICO]: calico },
        files: { [CALICO]: calicoBumped },
        findings: [{ severity: 'medium', key: 'template', line: nodeLine, messageIncludes: ['maxUnavailable 1 paces it at 1 node at a time in "unmapped"'] }],
      },
      {
        name: 'calico.yaml: calico-config veth_mtu changed',
        base: { [CALICO]: calico },
        files: { [CALICO]: calicoMtu },
        findings: [{ severity: 'medium', key: 'config', line: lineOf(calico, '  veth_mtu: "0"'), messageIncludes: ['"kube-system/calico-config" data changed (key "veth_mtu")', '"kube-system/calico-node" reads it on every node'] }],
      },
    ],
  });
} else {
  describe.skip('real-world manifests (../shared/corpus is absent)', () => {
    it('skipped', () => {});
  });
}
