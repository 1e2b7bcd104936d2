/**
 * Table tests of blast-radius/deletion: a dangerous and a safe twin for every key, moves (same unit, into a
 * shared folder), odd input, that findings point at the object's line on the base, and real-world deletions
 * from the corpus (Calico, kube-prometheus) with expectations written before the rule ran on them.
 */
import { describe, expect, it } from 'vitest';
import { deletion, corefileTtls } from '../../../rules/blast-radius/deletion.js';
import { annotate, HAS_CORPUS, readCorpus } from '../../helpers/corpus.js';
import { lineContaining, ruleTester, runCase, type ExpectedFinding } from '../../helpers/rule-tester.js';
import { FLEET, KUBEADM_COREFILE, SHARED } from '../../helpers/fleets.js';

const lineOf = lineContaining;

/** The same clusters, each also receiving the folder `shared/` (prod-eu too unless `euToo` is false). */
const sharedFleet = (euToo = true) => `fleet:
  clusters:
    - { name: canary-1, nodes: 60, stage: canary, paths: ["clusters/canary-1/**", "shared/**"] }
    - { name: prod-us, nodes: 4800, stage: prod, paths: ["clusters/prod-us/**", "shared/**"] }
    - { name: prod-eu, nodes: 3200, stage: prod, paths: ["clusters/prod-eu/**"${euToo ? ', "shared/**"' : ''}] }
rollout: { stages: [canary, prod] }
`;
/** Every cluster receives every file. */
const ALL = SHARED;

const CANARY = 'clusters/canary-1';
const PROD_US = 'clusters/prod-us';
const PROD_EU = 'clusters/prod-eu';

// ---- fixtures ----------------------------------------------------------------------------------------------

const meta = (name: string, namespace?: string, extra: string[] = []) => [
  'metadata:',
  `  name: ${name}`,
  ...(namespace ? [`  namespace: ${namespace}`] : []),
  ...extra,
];

const COREFILE = `apiVersion: v1
kind: ConfigMap
metadata:
  name: coredns
  namespace: kube-system
data:
  Corefile: |
${KUBEADM_COREFILE.replace(/^/gm, '    ')}
`;

function deployment(name: string, namespace: string, opts: { replicas?: number | string; labels?: Record<string, string>; annotations?: string[] } = {}): string {
  const labels = opts.labels ?? { app: name };
  const lines = [
    'apiVersion: apps/v1',
    'kind: Deployment',
    ...meta(name, namespace, opts.annotations ?? []),
    'spec:',
    ...(opts.replicas !== undefined ? [`  replicas: ${opts.replicas}`] : []),
    '  selector:',
    `    matchLabels: ${JSON.stringify(labels)}`,
    '  template:',
    '    metadata:',
    `      labels: ${JSON.stringify(labels)}`,
    '    spec:',
    '      containers:',
    '      - name: main',
    `        image: example.com/${name}:1.0.0`,
  ];
  return `${lines.join('\n')}\n`;
}

const coredns = deployment('coredns', 'kube-system', { replicas: 2, labels: { 'k8s-app': 'kube-dns' } });
const corednsFile = `${COREFILE}---\n${coredns}`;

function daemonset(name: string, image: string, extra: string[] = []): string {
  return `apiVersion: apps/v1
kind: DaemonSet
${[...meta(name, 'kube-system', extra)].join('\n')}
spec:
  selector:
    matchLabels: {k8s-app: ${name}}
  template:
    metadata:
      labels: {k8s-app: ${name}}
    spec:
      hostNetwork: true
      containers:
      - name: agent
        image: ${image}
`;
}

const kubeProxy = daemonset('kube-proxy', 'registry.k8s.io/kube-proxy:v1.30.2');
const calicoNode = daemonset('calico-node', 'docker.io/calico/node:v3.28.0');
const calicoNodeRenamed = daemonset('calico-node-v2', 'docker.io/calico/node:v3.28.0');
const nodeAgent = daemonset('node-agent', 'example.com/node-agent:1.0.0');

const CRD = `apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: widgets.example.com
spec:
  group: example.com
  names:
    kind: Widget
    plural: widgets
  scope: Namespaced
  versions:
  - name: v1
    served: true
    storage: true
    schema:
      openAPIV3Schema: {type: object, x-kubernetes-preserve-unknown-fields: true}
`;
const widget = (name: string) => `apiVersion: example.com/v1
kind: Widget
metadata:
  name: ${name}
  namespace: apps
spec:
  size: 3
`;
/** Same kind, other group: not a custom resource of the CRD. */
const otherWidget = `apiVersion: other.example.org/v1
kind: Widget
metadata:
  name: not-mine
  namespace: apps
`;

const flowSchema = (name: string, level: string, annotations: string[] = []) => `apiVersion: flowcontrol.apiserver.k8s.io/v1
kind: FlowSchema
${meta(name, undefined, annotations).join('\n')}
spec:
  matchingPrecedence: 500
  priorityLevelConfiguration:
    name: ${level}
  distinguisherMethod: {type: ByUser}
  rules:
  - subjects:
    - kind: ServiceAccount
      serviceAccount: {name: agent, namespace: monitoring}
    resourceRules:
    - verbs: ["*"]
      apiGroups: ["*"]
      resources: ["*"]
      namespaces: ["*"]
      clusterScope: true
`;
const priorityLevel = (name: string, annotations: string[] = []) => `apiVersion: flowcontrol.apiserver.k8s.io/v1
kind: PriorityLevelConfiguration
${meta(name, undefined, annotations).join('\n')}
spec:
  type: Limited
  limited:
    nominalConcurrencyShares: 30
    limitResponse:
      type: Queue
      queuing: {queues: 64, handSize: 6, queueLengthLimit: 50}
`;

const pdb = (name: string, labels: Record<string, string> | null, opts: { apiVersion?: string; spec?: string[] } = {}) => `apiVersion: ${opts.apiVersion ?? 'policy/v1'}
kind: PodDisruptionBudget
metadata:
  name: ${name}
  namespace: apps
spec:
${(opts.spec ?? ['  maxUnavailable: 1']).join('\n')}
${labels === null ? '' : `  selector:\n    matchLabels: ${JSON.stringify(labels)}\n`}`;
const web3 = deployment('web', 'apps', { replicas: 3 });
const web1 = deployment('web', 'apps', { replicas: 1 });
const webNoReplicas = deployment('web', 'apps');
const webPdb = pdb('web', { app: 'web' });
const hpa = (min: number) => `apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata:
  name: web
  namespace: apps
spec:
  scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: web}
  minReplicas: ${min}
  maxReplicas: 10
`;

const PRUNE_OFF = ['  annotations:', '    argocd.argoproj.io/sync-options: "ServerSideApply=true,Prune=false"'];
const FLUX_PRUNE_OFF = ['  annotations:', '    kustomize.toolkit.fluxcd.io/prune: disabled'];

/** Documents that put strings and lists where maps are expected. */
const ODD = `apiVersion: apps/v1
kind: DaemonSet
metadata: just-a-string
spec: [1, 2]
---
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: odd.example.com
  annotations: "not a map"
spec: "oops"
---
apiVersion: policy/v1
kind: PodDisruptionBudget
metadata:
  name: odd
  namespace: apps
spec:
  selector: "app=web"
  minAvailable: {a: 1}
---
apiVersion: flowcontrol.apiserver.k8s.io/v1
kind: FlowSchema
metadata:
  name: odd-schema
spec:
  priorityLevelConfiguration: [exempt]
  matchingPrecedence: {n: 1}
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: coredns
  namespace: kube-system
data: [Corefile]
`;
const oddWeb = deployment('web', 'apps', { replicas: '"3"' });
/** Odd documents that are not deletions this rule reports: a nameless DaemonSet and a malformed PDB selector. */
const ODD_QUIET = ODD.split('\n---\n').filter((d) => d.includes('kind: DaemonSet') || d.includes('kind: PodDisruptionBudget')).join('\n---\n');

// ---- expected findings ------------------------------------------------------------------------------------

const find = (severity: ExpectedFinding['severity'], key: string, text: string, needle: string, messageIncludes?: string[], nth = 1): ExpectedFinding => ({
  severity,
  key,
  line: lineOf(text, needle, nth),
  ...(messageIncludes ? { messageIncludes } : {}),
});

const DELETED_AT_BASE = '(its line is on the base commit base)';

/** The kube-dns add-on's ConfigMap (GKE's default cluster DNS), with `data` keys as literal blocks. */
function kubeDnsCm(data: Record<string, string> | null, namespace: string | null = 'kube-system', extra: string[] = []): string {
  const lines = ['apiVersion: v1', 'kind: ConfigMap', ...meta('kube-dns', namespace ?? undefined, ['  labels:', '    addonmanager.kubernetes.io/mode: EnsureExists', ...extra])];
  if (data) {
    lines.push('data:');
    for (const [k, v] of Object.entries(data)) lines.push(`  ${k}: |`, `    ${v}`);
  }
  return `${lines.join('\n')}\n`;
}
const kubeDns = kubeDnsCm({ stubDomains: '{"corp.example.com": ["10.150.0.1"], "consul.internal": ["10.160.0.10"]}', upstreamNameservers: '["8.8.8.8", "8.8.4.4"]' });
const kubeDnsStubOnly = kubeDnsCm({ stubDomains: '{"corp.example.com": ["10.150.0.1"]}' });
const kubeDnsEmpty = kubeDnsCm(null);
const kubeDnsRejected = kubeDnsCm({ stubDomains: '{\u201ccorp.example.com\u201d: [\u201c10.150.0.1\u201d]}' });
const KUBE_DNS_RESET = "kube-dns goes back to its defaults (no stub domains, upstream servers from the node's /etc/resolv.conf) within about a minute or two";
const LOCK_OUT = 'lock-out risk:';
const BREAK_GLASS = 'break-glass: re-apply it from the base commit with kubectl';

ruleTester(deletion).run({
  valid: [
    { name: 'CoreDNS unchanged', config: FLEET, base: { [`${CANARY}/coredns.yaml`]: corednsFile }, files: { [`${CANARY}/coredns.yaml`]: corednsFile } },
    {
      name: 'CoreDNS with only a comment added',
      config: FLEET,
      base: { [`${CANARY}/coredns.yaml`]: corednsFile },
      files: { [`${CANARY}/coredns.yaml`]: `# owned by the platform team\n${corednsFile}` },
    },
    {
      name: 'kube-dns ConfigMap with no data (the GKE default) deleted: kube-dns runs the same defaults',
      config: FLEET,
      base: { [`${CANARY}/kube-dns.yaml`]: kubeDnsEmpty, [`${CANARY}/x.yaml`]: web3 },
      files: { [`${CANARY}/x.yaml`]: web3 },
    },
    {
      name: 'kube-dns ConfigMap holding only "[]" and "{}" deleted',
      config: FLEET,
      base: { [`${CANARY}/kube-dns.yaml`]: kubeDnsCm({ stubDomains: '{}', upstreamNameservers: '[]' }), [`${CANARY}/x.yaml`]: web3 },
      files: { [`${CANARY}/x.yaml`]: web3 },
    },
    {
      name: 'a ConfigMap named kube-dns in another namespace deleted',
      config: FLEET,
      base: { [`${CANARY}/kube-dns.yaml`]: kubeDnsCm({ stubDomains: '{"corp.example.com": ["10.150.0.1"]}' }, 'dns-tests'), [`${CANARY}/x.yaml`]: web3 },
      files: { [`${CANARY}/x.yaml`]: web3 },
    },
    {
      name: 'kube-dns ConfigMap moved to another file of the same cluster',
      config: FLEET,
      base: { [`${CANARY}/kube-dns.yaml`]: kubeDns },
      files: { [`${CANARY}/dns/kube-dns.yaml`]: kubeDns },
    },
    {
      name: 'kube-dns ConfigMap annotated Prune=false deleted',
      config: FLEET,
      base: { [`${CANARY}/kube-dns.yaml`]: kubeDnsCm({ stubDomains: '{"corp.example.com": ["10.150.0.1"]}' }, 'kube-system', ['  annotations:', '    argocd.argoproj.io/sync-options: Prune=false']), [`${CANARY}/x.yaml`]: web3 },
      files: { [`${CANARY}/x.yaml`]: web3 },
    },
    {
      name: 'kube-dns ConfigMap with data as a string (the API server rejects it) deleted',
      config: FLEET,
      base: { [`${CANARY}/kube-dns.yaml`]: 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: kube-dns, namespace: kube-system}\ndata: nope\n', [`${CANARY}/x.yaml`]: web3 },
      files: { [`${CANARY}/x.yaml`]: web3 },
    },
    {
      name: 'CoreDNS moved to another file of the same cluster',
      config: FLEET,
      base: { [`${CANARY}/coredns.yaml`]: corednsFile },
      files: { [`${CANARY}/dns/coredns.yaml`]: corednsFile },
    },
    {
      name: 'CoreDNS moved from every per-cluster folder into a shared folder reaching the same clusters',
      config: sharedFleet(),
      base: { [`${CANARY}/coredns.yaml`]: corednsFile, [`${PROD_US}/coredns.yaml`]: corednsFile, [`${PROD_EU}/coredns.yaml`]: corednsFile },
      files: { 'shared/coredns.yaml': corednsFile },
    },
    {
      name: 'CoreDNS moved from a cluster overlay into a Kustomize base the overlay includes',
      config: FLEET,
      base: { [`${CANARY}/kustomization.yaml`]: 'resources: [coredns.yaml]\n', [`${CANARY}/coredns.yaml`]: corednsFile },
      files: { [`${CANARY}/kustomization.yaml`]: 'resources: [../../base/dns]\n', 'base/dns/kustomization.yaml': 'resources: [coredns.yaml]\n', 'base/dns/coredns.yaml': corednsFile },
    },
    {
      name: 'a YAML syntax error after kube-proxy in the head file (the objects are not deleted, the file fails to apply)',
      config: FLEET,
      base: { [`${PROD_US}/node.yaml`]: `${nodeAgent}---\n${kubeProxy}` },
      files: { [`${PROD_US}/node.yaml`]: `${nodeAgent}---\nkind: [unclosed\n---\n${kubeProxy}` },
    },
    {
      name: 'CoreDNS Deployment deleted but annotated Prune=false for Argo CD on the base',
      config: FLEET,
      base: { [`${CANARY}/coredns.yaml`]: deployment('coredns', 'kube-system', { replicas: 2, annotations: PRUNE_OFF }) },
      files: { [`${CANARY}/other.yaml`]: web3 },
    },
    {
      name: 'kube-proxy deleted but annotated prune: disabled for Flux on the base',
      config: FLEET,
      base: { [`${CANARY}/kube-proxy.yaml`]: daemonset('kube-proxy', 'registry.k8s.io/kube-proxy:v1.30.2', FLUX_PRUNE_OFF) },
      files: { [`${CANARY}/other.yaml`]: web3 },
    },
    { name: 'an ordinary Deployment deleted', config: FLEET, base: { [`${CANARY}/web.yaml`]: web3, [`${CANARY}/x.yaml`]: nodeAgent }, files: { [`${CANARY}/x.yaml`]: nodeAgent } },
    { name: 'an ordinary DaemonSet deleted', config: FLEET, base: { [`${CANARY}/agent.yaml`]: nodeAgent, [`${CANARY}/x.yaml`]: web3 }, files: { [`${CANARY}/x.yaml`]: web3 } },
    {
      name: 'another ConfigMap in kube-system deleted',
      config: FLEET,
      base: { [`${CANARY}/cm.yaml`]: COREFILE.replace('name: coredns', 'name: kube-proxy-config'), [`${CANARY}/x.yaml`]: web3 },
      files: { [`${CANARY}/x.yaml`]: web3 },
    },
    {
      name: 'calico-node moved from the canary folder into a shared folder the canary also receives',
      config: sharedFleet(),
      base: { [`${CANARY}/calico.yaml`]: calicoNode },
      files: { 'shared/calico.yaml': calicoNode },
    },
    {
      name: 'a CRD moved to another file of the same cluster, with its custom resources',
      config: FLEET,
      base: { [`${CANARY}/crd.yaml`]: CRD, [`${CANARY}/widgets.yaml`]: widget('a') },
      files: { [`${CANARY}/crds/widgets.yaml`]: CRD, [`${CANARY}/widgets.yaml`]: widget('a') },
    },
    {
      name: 'the mandatory APF objects deleted (the API server keeps them)',
      config: FLEET,
      base: { [`${CANARY}/apf.yaml`]: `${flowSchema('exempt', 'exempt')}---\n${priorityLevel('catch-all')}`, [`${CANARY}/x.yaml`]: web3 },
      files: { [`${CANARY}/x.yaml`]: web3 },
    },
    {
      name: 'a suggested APF object deleted that the API server already owned (autoupdate-spec true)',
      config: FLEET,
      base: { [`${CANARY}/apf.yaml`]: priorityLevel('global-default', ['  annotations:', '    apf.kubernetes.io/autoupdate-spec: "true"']), [`${CANARY}/x.yaml`]: web3 },
      files: { [`${CANARY}/x.yaml`]: web3 },
    },
    {
      name: 'a custom priority level deleted together with the only FlowSchema pointing at it',
      config: FLEET,
      base: { [`${CANARY}/apf.yaml`]: priorityLevel('agents'), [`${CANARY}/fs.yaml`]: flowSchema('agents', 'agents'), [`${CANARY}/x.yaml`]: web3 },
      files: { [`${CANARY}/fs.yaml`]: flowSchema('agents', 'global-default'), [`${CANARY}/x.yaml`]: web3 },
    },
    {
      name: 'a PDB deleted while another PDB still covers the workload',
      config: FLEET,
      base: { [`${CANARY}/web.yaml`]: web3, [`${CANARY}/pdb.yaml`]: webPdb, [`${CANARY}/pdb2.yaml`]: pdb('web-all', { app: 'web' }) },
      files: { [`${CANARY}/web.yaml`]: web3, [`${CANARY}/pdb2.yaml`]: pdb('web-all', { app: 'web' }) },
    },
    {
      name: 'the PDB of a 1-replica workload deleted',
      config: FLEET,
      base: { [`${CANARY}/web.yaml`]: web1, [`${CANARY}/pdb.yaml`]: webPdb },
      files: { [`${CANARY}/web.yaml`]: web1 },
    },
    {
      name: 'the PDB of a workload without replicas (1) deleted',
      config: FLEET,
      base: { [`${CANARY}/web.yaml`]: webNoReplicas, [`${CANARY}/pdb.yaml`]: webPdb },
      files: { [`${CANARY}/web.yaml`]: webNoReplicas },
    },
    {
      name: 'a PDB deleted together with its workload',
      config: FLEET,
      base: { [`${CANARY}/web.yaml`]: web3, [`${CANARY}/pdb.yaml`]: webPdb, [`${CANARY}/x.yaml`]: nodeAgent },
      files: { [`${CANARY}/x.yaml`]: nodeAgent },
    },
    {
      name: 'a PDB that allowed every replica to go (maxUnavailable 100%) deleted',
      config: FLEET,
      base: { [`${CANARY}/web.yaml`]: web3, [`${CANARY}/pdb.yaml`]: pdb('web', { app: 'web' }, { spec: ['  maxUnavailable: "100%"'] }) },
      files: { [`${CANARY}/web.yaml`]: web3 },
    },
    {
      name: 'a PDB selecting other pods deleted',
      config: FLEET,
      base: { [`${CANARY}/web.yaml`]: web3, [`${CANARY}/pdb.yaml`]: pdb('api', { app: 'api' }) },
      files: { [`${CANARY}/web.yaml`]: web3 },
    },
    {
      name: 'a policy/v1beta1 PDB with an empty selector (selects nothing) deleted',
      config: FLEET,
      base: { [`${CANARY}/web.yaml`]: web3, [`${CANARY}/pdb.yaml`]: `${pdb('web', null, { apiVersion: 'policy/v1beta1' })}  selector: {}\n` },
      files: { [`${CANARY}/web.yaml`]: web3 },
    },
    {
      name: 'the PDB of an HPA-scaled workload with minReplicas 1 deleted',
      config: FLEET,
      base: { [`${CANARY}/web.yaml`]: `${webNoReplicas}---\n${hpa(1)}`, [`${CANARY}/pdb.yaml`]: webPdb },
      files: { [`${CANARY}/web.yaml`]: `${webNoReplicas}---\n${hpa(1)}` },
    },
    {
      name: 'odd input deleted (strings and lists where maps are expected)',
      config: FLEET,
      base: { [`${CANARY}/odd.yaml`]: ODD_QUIET, [`${CANARY}/web.yaml`]: web3, [`${CANARY}/x.yaml`]: oddWeb },
      files: { [`${CANARY}/web.yaml`]: web3 },
    },
    {
      name: 'the PDB of a workload whose replicas is a string (rejected by the API server) deleted',
      config: FLEET,
      base: { [`${CANARY}/web.yaml`]: oddWeb, [`${CANARY}/pdb.yaml`]: webPdb },
      files: { [`${CANARY}/web.yaml`]: oddWeb },
    },
  ],
  invalid: [
    // ---- cluster-dns
    {
      name: 'CoreDNS Deployment removed from a file that keeps the ConfigMap',
      config: FLEET,
      base: { [`${CANARY}/coredns.yaml`]: corednsFile },
      files: { [`${CANARY}/coredns.yaml`]: COREFILE },
      findings: [
        find('high', 'cluster-dns', corednsFile, 'name: coredns', [
          `deleted CoreDNS Deployment "kube-system/coredns" ${DELETED_AT_BASE} from cluster "canary-1" (60 nodes); name resolution stops for every pod there`,
          '30 s for cluster names (kubernetes plugin ttl 30 in the base Corefile) and up to 30 s for external names (cache max TTL 30 in the base Corefile)',
          LOCK_OUT,
          `${BREAK_GLASS}, using a kubeconfig that reaches the API server directly (git show base:${CANARY}/coredns.yaml | kubectl apply -f -`,
        ], 2),
      ],
    },
    {
      name: 'CoreDNS Deployment deleted with no Corefile in the repository: CoreDNS defaults',
      config: FLEET,
      base: { [`${PROD_US}/coredns.yaml`]: coredns, [`${PROD_US}/x.yaml`]: web3 },
      files: { [`${PROD_US}/x.yaml`]: web3 },
      findings: [
        find('high', 'cluster-dns', coredns, 'name: coredns', [
          'from cluster "prod-us" (4,800 nodes)',
          '5 s for cluster names and up to 3,600 s for external names (CoreDNS defaults: kubernetes plugin ttl, cache max TTL; no Corefile in the repository)',
        ]),
      ],
    },
    {
      name: 'CoreDNS file deleted: the Deployment and the ConfigMap',
      config: FLEET,
      base: { [`${CANARY}/coredns.yaml`]: corednsFile, [`${CANARY}/x.yaml`]: web3 },
      files: { [`${CANARY}/x.yaml`]: web3 },
      findings: [
        find('high', 'cluster-dns', corednsFile, 'name: coredns', ['deleted CoreDNS ConfigMap "kube-system/coredns" ', 'cannot mount it and never starts', LOCK_OUT], 1),
        find('high', 'cluster-dns', corednsFile, 'name: coredns', ['deleted CoreDNS Deployment "kube-system/coredns" '], 2),
      ],
    },
    {
      name: 'coredns-custom ConfigMap deleted: medium',
      config: FLEET,
      base: { [`${CANARY}/custom.yaml`]: COREFILE.replace('name: coredns', 'name: coredns-custom'), [`${CANARY}/x.yaml`]: web3 },
      files: { [`${CANARY}/x.yaml`]: web3 },
      findings: [find('medium', 'cluster-dns', COREFILE, 'name: coredns', ['deleted CoreDNS ConfigMap "kube-system/coredns-custom" ', 'dropped at its next reload'])],
    },
    {
      name: 'kube-dns ConfigMap with stub domains and upstreams deleted from a shared file: medium, every cluster',
      config: ALL,
      base: { 'infra/kube-dns.yaml': kubeDns, 'infra/x.yaml': web3 },
      files: { 'infra/x.yaml': web3 },
      findings: [
        find('medium', 'cluster-dns', kubeDns, 'name: kube-dns', [
          `deleted kube-dns ConfigMap "kube-system/kube-dns" ${DELETED_AT_BASE} from 3 clusters, 8,060 nodes: canary-1 (60), prod-eu (3,200), prod-us (4,800); ${KUBE_DNS_RESET}`,
          'its ConfigMap volume is optional and empties at the kubelet\'s next sync',
          'stub domains "corp.example.com" and "consul.internal" are dropped, so names under them stop resolving for every pod there (their queries go to the upstream servers, which do not serve a private zone)',
          'external names are resolved by the nameservers of the node\'s /etc/resolv.conf instead of "8.8.4.4" and "8.8.8.8"',
        ]),
      ],
    },
    {
      name: 'kube-dns ConfigMap with one stub domain and no namespace written removed from a file of prod-us',
      config: FLEET,
      base: { [`${PROD_US}/dns.yaml`]: `${kubeDnsCm({ stubDomains: '{"corp.example.com": ["10.150.0.1"]}' }, null)}---\n${web3}` },
      files: { [`${PROD_US}/dns.yaml`]: web3 },
      findings: [find('medium', 'cluster-dns', kubeDnsStubOnly, 'name: kube-dns', ['deleted kube-dns ConfigMap "kube-dns"', 'from cluster "prod-us" (4,800 nodes)', 'stub domain "corp.example.com" is dropped, so names under it stop resolving'])],
    },
    {
      name: 'kube-dns ConfigMap that kube-dns rejected deleted: medium (older valid settings go too)',
      config: FLEET,
      base: { [`${CANARY}/kube-dns.yaml`]: kubeDnsRejected, [`${CANARY}/x.yaml`]: web3 },
      files: { [`${CANARY}/x.yaml`]: web3 },
      findings: [find('medium', 'cluster-dns', kubeDnsRejected, 'name: kube-dns', ['kube-dns rejected its content (stubDomains is not valid JSON: it uses typographic quotes', 'from an earlier version, and those go too'])],
    },
    {
      name: 'CoreDNS in one shared file reaching three clusters: one finding with each node count',
      config: ALL,
      base: { 'infra/coredns.yaml': coredns, 'infra/x.yaml': web3 },
      files: { 'infra/x.yaml': web3 },
      findings: [find('high', 'cluster-dns', coredns, 'name: coredns', ['from 3 clusters, 8,060 nodes: canary-1 (60), prod-eu (3,200), prod-us (4,800);'])],
    },
    {
      name: 'CoreDNS moved into a shared folder that prod-eu does not receive: prod-eu loses it',
      config: sharedFleet(false),
      base: { [`${CANARY}/coredns.yaml`]: coredns, [`${PROD_US}/coredns.yaml`]: coredns, [`${PROD_EU}/coredns.yaml`]: coredns },
      files: { 'shared/coredns.yaml': coredns },
      findings: [find('high', 'cluster-dns', coredns, 'name: coredns', ['from cluster "prod-eu" (3,200 nodes)'])],
    },
    {
      name: 'CoreDNS moved into a Kustomize base that only the canary overlay includes: prod-us loses it',
      config: FLEET,
      base: {
        [`${CANARY}/kustomization.yaml`]: 'resources: [coredns.yaml]\n',
        [`${CANARY}/coredns.yaml`]: coredns,
        [`${PROD_US}/kustomization.yaml`]: 'resources: [coredns.yaml]\n',
        [`${PROD_US}/coredns.yaml`]: coredns,
      },
      files: {
        [`${CANARY}/kustomization.yaml`]: 'resources: [../../base/dns]\n',
        [`${PROD_US}/kustomization.yaml`]: 'resources: []\n',
        'base/dns/kustomization.yaml': 'resources: [coredns.yaml]\n',
        'base/dns/coredns.yaml': coredns,
      },
      findings: [find('high', 'cluster-dns', coredns, 'name: coredns', ['from cluster "prod-us" (4,800 nodes)'])],
    },
    // ---- network-daemonset
    {
      name: 'kube-proxy removed from a file of prod-us',
      config: FLEET,
      base: { [`${PROD_US}/node.yaml`]: `${nodeAgent}---\n${kubeProxy}` },
      files: { [`${PROD_US}/node.yaml`]: nodeAgent },
      findings: [
        find('high', 'network-daemonset', `${nodeAgent}---\n${kubeProxy}`, 'name: kube-proxy', [
          `deleted kube-proxy DaemonSet "kube-system/kube-proxy" ${DELETED_AT_BASE} from cluster "prod-us" (4,800 nodes)`,
          'none of the 4,800 nodes programs Service or endpoint changes any more',
          LOCK_OUT,
          BREAK_GLASS,
        ]),
      ],
    },
    {
      name: 'calico-node file deleted in the canary',
      config: FLEET,
      base: { [`${CANARY}/calico.yaml`]: calicoNode, [`${CANARY}/x.yaml`]: web3 },
      files: { [`${CANARY}/x.yaml`]: web3 },
      findings: [find('high', 'network-daemonset', calicoNode, 'name: calico-node', ['deleted CNI DaemonSet "kube-system/calico-node" ', 'new pods on the 60 nodes get no working network'])],
    },
    {
      name: 'a renamed CNI DaemonSet: the old one is deleted',
      config: FLEET,
      base: { [`${CANARY}/calico.yaml`]: calicoNode },
      files: { [`${CANARY}/calico.yaml`]: calicoNodeRenamed },
      findings: [find('high', 'network-daemonset', calicoNode, 'name: calico-node', ['deleted CNI DaemonSet "kube-system/calico-node" '])],
    },
    // ---- crd
    {
      name: 'a CRD deleted while the head still applies two of its custom resources',
      config: FLEET,
      base: { [`${CANARY}/crd.yaml`]: CRD, [`${CANARY}/widgets.yaml`]: `${widget('a')}---\n${widget('b')}---\n${otherWidget}` },
      files: { [`${CANARY}/widgets.yaml`]: `${widget('a')}---\n${widget('b')}---\n${otherWidget}` },
      findings: [
        find('high', 'crd', CRD, 'name: widgets.example.com', [
          `deleted CustomResourceDefinition "widgets.example.com" ${DELETED_AT_BASE} from cluster "canary-1" (60 nodes); deleting a CRD deletes every custom resource of that type in the cluster`,
          'every Widget (example.com) there goes, including the 2 this repository still applies ("Widget/apps/a" and "Widget/apps/b"), which then fail to sync (no matches for kind "Widget")',
        ]),
      ],
    },
    {
      name: 'a CRD deleted together with its custom resources: medium',
      config: FLEET,
      base: { [`${CANARY}/crd.yaml`]: CRD, [`${CANARY}/widgets.yaml`]: widget('a'), [`${CANARY}/x.yaml`]: web3 },
      files: { [`${CANARY}/x.yaml`]: web3 },
      findings: [find('medium', 'crd', CRD, 'name: widgets.example.com', ['the one in this repository is deleted by this change too', 'kubectl get widgets.example.com --all-namespaces'])],
    },
    {
      name: 'a CRD deleted with no custom resource in the repository: medium',
      config: FLEET,
      base: { [`${CANARY}/crd.yaml`]: CRD, [`${CANARY}/x.yaml`]: otherWidget },
      files: { [`${CANARY}/x.yaml`]: otherWidget },
      findings: [find('medium', 'crd', CRD, 'name: widgets.example.com', ['none is in this repository, so what is lost is whatever controllers and users created in the cluster'])],
    },
    {
      name: 'a CRD deleted from the canary while its custom resources live only in prod-us: medium',
      config: FLEET,
      base: { [`${CANARY}/crd.yaml`]: CRD, [`${PROD_US}/crd.yaml`]: CRD, [`${PROD_US}/widgets.yaml`]: widget('a') },
      files: { [`${PROD_US}/crd.yaml`]: CRD, [`${PROD_US}/widgets.yaml`]: widget('a') },
      findings: [find('medium', 'crd', CRD, 'name: widgets.example.com', ['from cluster "canary-1" (60 nodes)', 'none is in this repository'])],
    },
    // ---- apf
    {
      name: 'a custom FlowSchema deleted',
      config: FLEET,
      base: { [`${CANARY}/apf.yaml`]: flowSchema('agents', 'workload-low'), [`${CANARY}/x.yaml`]: web3 },
      files: { [`${CANARY}/x.yaml`]: web3 },
      findings: [
        find('medium', 'apf', flowSchema('agents', 'workload-low'), 'name: agents', [
          `deleted FlowSchema "agents" ${DELETED_AT_BASE} from cluster "canary-1" (60 nodes); the requests it classified (matchingPrecedence 500, priority level "workload-low") fall through to the next FlowSchema`,
        ]),
      ],
    },
    {
      name: 'a break-glass FlowSchema routing to exempt deleted: lock-out risk',
      config: FLEET,
      base: { [`${CANARY}/apf.yaml`]: flowSchema('sre-break-glass', 'exempt'), [`${CANARY}/x.yaml`]: web3 },
      files: { [`${CANARY}/x.yaml`]: web3 },
      findings: [
        find('medium', 'apf', flowSchema('sre-break-glass', 'exempt'), 'name: sre-break-glass', [
          'lock-out risk: these requests were exempt from API Priority and Fairness',
          'break-glass: a credential in group system:masters stays exempt through the mandatory FlowSchema "exempt"',
        ]),
      ],
    },
    {
      name: 'a tuned suggested priority level deleted: low (the API server restores the default)',
      config: FLEET,
      base: { [`${CANARY}/apf.yaml`]: priorityLevel('workload-low', ['  annotations:', '    apf.kubernetes.io/autoupdate-spec: "false"']), [`${CANARY}/x.yaml`]: web3 },
      files: { [`${CANARY}/x.yaml`]: web3 },
      findings: [find('low', 'apf', priorityLevel('workload-low'), 'name: workload-low', ['restores within about a minute of a deletion with its built-in spec'])],
    },
    {
      name: 'a custom priority level deleted while a FlowSchema of the head still points at it',
      config: FLEET,
      base: { [`${CANARY}/apf.yaml`]: priorityLevel('agents'), [`${CANARY}/fs.yaml`]: flowSchema('agents', 'agents') },
      files: { [`${CANARY}/fs.yaml`]: flowSchema('agents', 'agents') },
      findings: [find('medium', 'apf', priorityLevel('agents'), 'name: agents', ['FlowSchema "agents" still points at it', '(condition Dangling)'])],
    },
    // ---- last-pdb
    {
      name: 'the last PDB of a 3-replica Deployment deleted',
      config: FLEET,
      base: { [`${CANARY}/web.yaml`]: web3, [`${CANARY}/pdb.yaml`]: webPdb },
      files: { [`${CANARY}/web.yaml`]: web3 },
      findings: [
        find('medium', 'last-pdb', webPdb, 'name: web', [
          `deleted PodDisruptionBudget "apps/web" ${DELETED_AT_BASE} from cluster "canary-1" (60 nodes); it was the last PodDisruptionBudget protecting Deployment "apps/web" (3 replicas), which this change keeps`,
          'can now evict all 3 replicas at once',
        ]),
      ],
    },
    {
      name: 'the last PDB of an HPA-scaled Deployment with minReplicas 3 deleted',
      config: FLEET,
      base: { [`${CANARY}/web.yaml`]: `${webNoReplicas}---\n${hpa(3)}`, [`${CANARY}/pdb.yaml`]: webPdb },
      files: { [`${CANARY}/web.yaml`]: `${webNoReplicas}---\n${hpa(3)}` },
      findings: [find('medium', 'last-pdb', webPdb, 'name: web', ['(at least 3 replicas, HorizontalPodAutoscaler minReplicas)'])],
    },
    {
      name: 'a PDB deleted while the other one left allows every replica to go',
      config: FLEET,
      base: { [`${CANARY}/web.yaml`]: web3, [`${CANARY}/pdb.yaml`]: webPdb, [`${CANARY}/pdb2.yaml`]: pdb('web-all', { app: 'web' }, { spec: ['  minAvailable: 0'] }) },
      files: { [`${CANARY}/web.yaml`]: web3, [`${CANARY}/pdb2.yaml`]: pdb('web-all', { app: 'web' }, { spec: ['  minAvailable: 0'] }) },
      findings: [find('medium', 'last-pdb', webPdb, 'name: web')],
    },
    // ---- odd input next to a real finding
    {
      name: 'odd input deleted next to a real deletion',
      config: FLEET,
      base: { [`${CANARY}/odd.yaml`]: ODD, [`${CANARY}/calico.yaml`]: calicoNode, [`${CANARY}/x.yaml`]: web3 },
      files: { [`${CANARY}/x.yaml`]: web3 },
      findings: [
        find('high', 'network-daemonset', calicoNode, 'name: calico-node'),
        find('medium', 'crd', ODD, 'name: odd.example.com', ['deleting a CRD deletes every custom resource of that type in the cluster, including any created outside Git']),
        find('medium', 'apf', ODD, 'name: odd-schema', ['deleted FlowSchema "odd-schema" ']),
        find('high', 'cluster-dns', ODD, 'name: coredns', ['CoreDNS ConfigMap']),
      ],
    },
  ],
});

describe('blast-radius/deletion details', () => {
  it('points at the deleted object\'s line in the base file, which the head no longer has', () => {
    const base = `${nodeAgent}---\n${kubeProxy}`;
    const result = runCase(deletion, { name: 'x', config: FLEET, base: { [`${PROD_US}/node.yaml`]: base }, files: { [`${PROD_US}/node.yaml`]: nodeAgent } });
    expect(result.live).toHaveLength(1);
    const f = result.live[0];
    expect(f.file).toBe(`${PROD_US}/node.yaml`);
    // The head file is shorter than this line: it can only come from the base.
    expect(f.line).toBe(lineOf(base, 'name: kube-proxy'));
    expect(f.line!).toBeGreaterThan(nodeAgent.split('\n').length);
    expect(f.resource).toBe('DaemonSet/kube-system/kube-proxy');
    expect(f.clusters).toEqual(['prod-us']);
    expect(f.message).toContain('deleted');
    expect(f.data).toMatchObject({ deleted: true, totalNodes: 4800 });
  });

  it('points at the base line of a deleted file', () => {
    const padded = `# comment\n# another\n${calicoNode}`;
    const result = runCase(deletion, { name: 'x', config: FLEET, base: { [`${CANARY}/calico.yaml`]: padded, [`${CANARY}/x.yaml`]: web3 }, files: { [`${CANARY}/x.yaml`]: web3 } });
    expect(result.live.map((f) => [f.file, f.line])).toEqual([[`${CANARY}/calico.yaml`, lineOf(padded, 'name: calico-node')]]);
  });

  it('reports only the clusters that lose the object, once for a shared source', () => {
    const result = runCase(deletion, { name: 'x', config: ALL, base: { 'infra/calico.yaml': calicoNode, 'infra/x.yaml': web3 }, files: { 'infra/x.yaml': web3 } });
    expect(result.live).toHaveLength(1);
    expect(result.live[0].clusters).toEqual(['canary-1', 'prod-eu', 'prod-us']);
    expect(result.live[0].message).toContain('new pods on the 8,060 nodes get no working network');
  });

  it('gives per-cluster copies one finding each, with their own clusters', () => {
    const result = runCase(deletion, {
      name: 'x',
      config: FLEET,
      base: { [`${CANARY}/calico.yaml`]: calicoNode, [`${PROD_US}/calico.yaml`]: calicoNode, [`${PROD_EU}/calico.yaml`]: calicoNode },
      files: { [`${PROD_EU}/calico.yaml`]: calicoNode },
    });
    expect(result.live.map((f) => f.clusters).sort()).toEqual([['canary-1'], ['prod-us']]);
  });

  it('marks assumed node counts (a file no cluster receives reaches unmapped)', () => {
    const result = runCase(deletion, { name: 'x', config: FLEET, base: { 'elsewhere/kube-proxy.yaml': kubeProxy, 'elsewhere/x.yaml': web3 }, files: { 'elsewhere/x.yaml': web3 } });
    expect(result.live.map((f) => f.clusters)).toEqual([['unmapped']]);
    expect(result.live[0].message).toContain('from cluster "unmapped" (5,000 nodes (assumed))');
  });

  it('keeps the finding suppressed when the base object carried the ignore annotation', () => {
    const ignored = daemonset('calico-node', 'docker.io/calico/node:v3.28.0', ['  annotations:', '    blast-radius.dev/ignore: "blast-radius/deletion -- migrating to Cilium"']);
    const result = runCase(deletion, { name: 'x', config: FLEET, base: { [`${CANARY}/calico.yaml`]: ignored, [`${CANARY}/x.yaml`]: web3 }, files: { [`${CANARY}/x.yaml`]: web3 } });
    expect(result.live).toEqual([]);
    expect(result.suppressed.map((f) => f.key)).toEqual(['network-daemonset']);
  });

  it('tells how to retire a tuned suggested APF object', () => {
    const result = runCase(deletion, {
      name: 'x',
      config: FLEET,
      base: { [`${CANARY}/apf.yaml`]: priorityLevel('global-default'), [`${CANARY}/x.yaml`]: web3 },
      files: { [`${CANARY}/x.yaml`]: web3 },
    });
    expect(result.live.map((f) => [f.severity, f.key])).toEqual([['low', 'apf']]);
    expect(result.live[0].remediation).toContain('apf.kubernetes.io/autoupdate-spec');
  });

  it('uses the key\'s own remediation', () => {
    const result = runCase(deletion, { name: 'x', config: FLEET, base: { [`${CANARY}/web.yaml`]: web3, [`${CANARY}/pdb.yaml`]: webPdb }, files: { [`${CANARY}/web.yaml`]: web3 } });
    expect(result.live[0].remediation).toMatch(/^Keep a PodDisruptionBudget for the workload/);
  });
});

describe('corefileTtls', () => {
  it('reads cache and kubernetes ttl', () => {
    expect(corefileTtls('.:53 {\n  kubernetes cluster.local {\n    ttl 30\n  }\n  cache 30\n}\n')).toEqual({ cache: { ttl: 30, written: true }, kubernetesTtl: 30 });
  });
  it('takes the success TTL of a cache block and the default when none is written', () => {
    expect(corefileTtls('.:53 {\n  cache {\n    success 9984 120\n    denial 9984 5\n  }\n}\n').cache).toEqual({ ttl: 120, written: true });
    expect(corefileTtls('.:53 {\n  cache # no TTL\n}\n').cache).toEqual({ ttl: 3600, written: false });
  });
  it('reports no cache plugin and no kubernetes ttl when absent, and ignores nested cache words', () => {
    expect(corefileTtls('.:53 {\n  forward . 8.8.8.8 {\n    cache 10\n  }\n}\n')).toEqual({});
    expect(corefileTtls('')).toEqual({});
    expect(() => corefileTtls('}}}\n{{{\n cache x\n  ttl\n')).not.toThrow();
  });
});

// ---- real-world manifests -------------------------------------------------------------------------------

const CALICO = 'projectcalico+calico/manifests/calico.yaml';
const KP = 'prometheus-operator+kube-prometheus/manifests';
const ADAPTER_PDB = `${KP}/prometheusAdapter-podDisruptionBudget.yaml`;
const KP_FILES = [
  'alertmanager-alertmanager.yaml',
  'alertmanager-podDisruptionBudget.yaml',
  'prometheus-podDisruptionBudget.yaml',
  'prometheus-prometheus.yaml',
  'prometheusAdapter-deployment.yaml',
  'prometheusAdapter-podDisruptionBudget.yaml',
  'alertmanager-serviceMonitor.yaml',
  'alertmanager-prometheusRule.yaml',
  'kubeStateMetrics-serviceMonitor.yaml',
  'nodeExporter-daemonset.yaml',
].map((f) => `${KP}/${f}`);
const KP_CRDS = ['alertmanager', 'alertmanagerConfig', 'podmonitor', 'probe', 'prometheus', 'prometheusagent', 'prometheusrule', 'scrapeconfig', 'servicemonitor', 'thanosruler'].map(
  (n) => `${KP}/setup/0${n}CustomResourceDefinition.yaml`,
);

const MS = 'kubernetes-sigs+metrics-server/manifests';
const MS_FILES = [
  'base/apiservice.yaml',
  'base/deployment.yaml',
  'base/kustomization.yaml',
  'base/rbac.yaml',
  'base/service.yaml',
  'components/high-availability-1.21+/kustomization.yaml',
  'components/high-availability-1.21+/patch-pdb-version.yaml',
  'components/high-availability/kustomization.yaml',
  'components/high-availability/patch.yaml',
  'components/high-availability/pdb.yaml',
  'components/release/kustomization.yaml',
  'overlays/release-ha-1.21+/kustomization.yaml',
  'overlays/release-ha/kustomization.yaml',
  'overlays/release/kustomization.yaml',
];
/** metrics-server's overlays as three clusters: two HA overlays (2 replicas and a PDB) and the plain release. */
const MS_FLEET = `fleet:
  clusters:
    - { name: canary-1, nodes: 60, stage: canary, paths: ["metrics-server/overlays/release-ha/**"] }
    - { name: prod-us, nodes: 4800, stage: prod, paths: ["metrics-server/overlays/release-ha-1.21+/**"] }
    - { name: prod-eu, nodes: 3200, stage: prod, paths: ["metrics-server/overlays/release/**"] }
rollout: { stages: [canary, prod] }
`;

if (HAS_CORPUS) {
  const calico = readCorpus(CALICO);
  const calicoAnnotated = annotate(calico, 'DaemonSet');
  const kp = Object.fromEntries(KP_FILES.map((f) => [f, readCorpus(f)]));
  const crds = Object.fromEntries(KP_CRDS.map((f) => [f, readCorpus(f)]));
  const without = (files: Record<string, string>, drop: readonly string[]) => Object.fromEntries(Object.entries(files).filter(([p]) => !drop.includes(p)));
  // Each CRD's metadata.name line: the first `  name:` line after its `kind: CustomResourceDefinition`.
  const calicoCrds: Array<{ name: string; line: number }> = [];
  calico.split('\n').reduce((inCrd, l, i) => {
    if (l === 'kind: CustomResourceDefinition') return true;
    if (inCrd && l.startsWith('  name: ')) {
      calicoCrds.push({ name: l.slice('  name: '.length).trim(), line: i + 1 });
      return false;
    }
    return inCrd;
  }, false);

  describe('real-world manifests: fixtures', () => {
    it('calico.yaml holds 23 CRDs, the calico-node DaemonSet, and no custom resource of those CRDs', () => {
      expect(calicoCrds).toHaveLength(23);
      expect(calico).toContain('kind: DaemonSet\napiVersion: apps/v1\nmetadata:\n  name: calico-node\n');
      expect(calico).not.toMatch(/^apiVersion: crd\.projectcalico\.org\//m);
      expect(calicoAnnotated.split('\n').length).toBe(calico.split('\n').length + 2);
    });
  });

  // Expected from RULEBOOK C.4 / C.5, D.1 and the issue before the rule ever ran on these files:
  // - deleting calico.yaml: calico-node is a CNI DaemonSet → network-daemonset high at its name; each of the
  //   23 CRDs (crd.projectcalico.org, policy.networking.k8s.io) has no custom resource in the file → crd
  //   medium at its name; the calico-kube-controllers PDB goes with its 1-replica Deployment → quiet;
  //   ConfigMap calico-config and the Deployment are not DNS → quiet;
  // - an annotation-only edit of calico-node: nothing deleted → quiet;
  // - kube-prometheus: deleting prometheusAdapter-podDisruptionBudget.yaml leaves Deployment
  //   monitoring/prometheus-adapter (replicas: 2) with no PDB → last-pdb medium; the alertmanager and
  //   prometheus PDBs protect operator-made StatefulSets that are not in the repository → quiet;
  // - deleting kube-prometheus's setup/ CRDs while manifests/ still apply 1 Alertmanager, 1 Prometheus,
  //   PrometheusRules and ServiceMonitors → crd high for alertmanagers, prometheuses, prometheusrules and
  //   servicemonitors; medium for the six types with no custom resource here;
  // - deleting setup/ and manifests/ together (an uninstall): every CRD medium (their custom resources go
  //   in the same change), the adapter PDB goes with its Deployment → quiet.
  const calicoFindings: ExpectedFinding[] = [
    { severity: 'high', key: 'network-daemonset', line: lineOf(calico, 'kind: DaemonSet') + 3, messageIncludes: ['deleted CNI DaemonSet "kube-system/calico-node" ', '(5,000 nodes (assumed))'] },
    ...calicoCrds.map(({ name, line }): ExpectedFinding => ({
      severity: 'medium',
      key: 'crd',
      line,
      messageIncludes: [`deleted CustomResourceDefinition "${name}" `, 'none is in this repository'],
    })),
  ];
  const crdLine = (file: string) => lineOf(crds[file], '  name: ');
  const crdFinding = (n: string, severity: ExpectedFinding['severity'], text: string): ExpectedFinding => {
    const file = `${KP}/setup/0${n}CustomResourceDefinition.yaml`;
    return { severity, key: 'crd', line: crdLine(file), messageIncludes: [text] };
  };
  const HIGH_TEXT = 'this repository still applies';
  const NONE_TEXT = 'none is in this repository';
  const GONE_TEXT = 'deleted by this change too';

  ruleTester(deletion).run({
    valid: [
      { name: 'calico.yaml: only an annotation added to calico-node', base: { [CALICO]: calico }, files: { [CALICO]: calicoAnnotated } },
      {
        name: 'kube-prometheus: the alertmanager and prometheus PDBs deleted (their StatefulSets are made by the operator)',
        base: kp,
        files: without(kp, [`${KP}/alertmanager-podDisruptionBudget.yaml`, `${KP}/prometheus-podDisruptionBudget.yaml`]),
      },
    ],
    invalid: [
      { name: 'calico.yaml deleted', base: { [CALICO]: calico, 'apps/x.yaml': web3 }, files: { 'apps/x.yaml': web3 }, findings: calicoFindings },
      {
        name: 'kube-prometheus: the prometheus-adapter PDB deleted',
        base: kp,
        files: without(kp, [ADAPTER_PDB]),
        findings: [
          {
            severity: 'medium',
            key: 'last-pdb',
            line: lineOf(kp[ADAPTER_PDB], '  name: prometheus-adapter'),
            messageIncludes: ['it was the last PodDisruptionBudget protecting Deployment "monitoring/prometheus-adapter" (2 replicas)'],
          },
        ],
      },
      {
        name: 'kube-prometheus: setup/ CRDs deleted while manifests/ still apply custom resources',
        base: { ...kp, ...crds },
        files: kp,
        findings: [
          crdFinding('alertmanager', 'high', HIGH_TEXT),
          crdFinding('prometheus', 'high', HIGH_TEXT),
          crdFinding('prometheusrule', 'high', HIGH_TEXT),
          crdFinding('servicemonitor', 'high', HIGH_TEXT),
          ...['alertmanagerConfig', 'podmonitor', 'probe', 'prometheusagent', 'scrapeconfig', 'thanosruler'].map((n) => crdFinding(n, 'medium', NONE_TEXT)),
        ],
      },
      {
        name: 'kube-prometheus uninstalled: setup/ and manifests/ deleted together',
        base: { ...kp, ...crds, 'apps/x.yaml': web3 },
        files: { 'apps/x.yaml': web3 },
        // Every CRD's name is on line 7 of its own file: the per-type wording is checked below.
        findings: KP_CRDS.map((f) => ({ severity: 'medium' as const, key: 'crd', line: crdLine(f), messageIncludes: ['deleting a CRD deletes every custom resource of that type'] })),
      },
    ],
  });

  // metrics-server's high-availability component adds `replicas: 2` and a PodDisruptionBudget; the
  // release-ha and release-ha-1.21+ overlays use it, release does not. Expected before running: dropping the
  // PDB from the component leaves the 2-replica Deployment of both HA overlays unprotected → one last-pdb
  // medium at the component's pdb.yaml (one source), reaching canary-1 and prod-us; prod-eu never had it.
  const ms = Object.fromEntries(MS_FILES.map((f) => [`metrics-server/${f}`, readCorpus(`${MS}/${f}`)]));
  const HA_KUSTOMIZATION = 'metrics-server/components/high-availability/kustomization.yaml';
  const MS_PDB = 'metrics-server/components/high-availability/pdb.yaml';
  const msNoPdb = { ...without(ms, [MS_PDB]), [HA_KUSTOMIZATION]: ms[HA_KUSTOMIZATION].replace('resources:\n- pdb.yaml\n', '') };
  ruleTester(deletion).run({
    valid: [
      {
        name: 'metrics-server: an annotation added to the PDB of the high-availability component',
        config: MS_FLEET,
        base: ms,
        files: { ...ms, [MS_PDB]: annotate(ms[MS_PDB], 'PodDisruptionBudget') },
      },
    ],
    invalid: [
      {
        name: 'metrics-server: the PDB dropped from the high-availability component',
        config: MS_FLEET,
        base: ms,
        files: msNoPdb,
        findings: [
          {
            severity: 'medium',
            key: 'last-pdb',
            line: lineOf(ms[MS_PDB], '  name: metrics-server'),
            messageIncludes: ['from 2 clusters, 4,860 nodes: canary-1 (60), prod-us (4,800)', 'protecting Deployment "kube-system/metrics-server" (2 replicas)'],
          },
        ],
      },
    ],
  });

  describe('real-world manifests: kube-prometheus uninstalled, per CRD', () => {
    it('says which custom resources this change deletes too, and which types have none here', () => {
      const result = runCase(deletion, { name: 'x', base: { ...kp, ...crds, 'apps/x.yaml': web3 }, files: { 'apps/x.yaml': web3 } });
      const byFile = new Map(result.live.map((f) => [f.file, f.message]));
      expect(result.live).toHaveLength(10);
      for (const n of ['alertmanager', 'prometheus', 'prometheusrule', 'servicemonitor']) {
        expect(byFile.get(`${KP}/setup/0${n}CustomResourceDefinition.yaml`)).toContain(GONE_TEXT);
      }
      for (const n of ['alertmanagerConfig', 'podmonitor', 'probe', 'prometheusagent', 'scrapeconfig', 'thanosruler']) {
        expect(byFile.get(`${KP}/setup/0${n}CustomResourceDefinition.yaml`)).toContain(NONE_TEXT);
      }
    });
  });
} else {
  describe.skip('real-world manifests (../shared/corpus is absent)', () => {
    it('skipped', () => {});
  });
}

describe('blast-radius/deletion on the kube-dns ConfigMap', () => {
  it('gives the kube-dns remediation and no lock-out text', () => {
    const result = runCase(deletion, { name: 'x', config: FLEET, base: { [`${CANARY}/kube-dns.yaml`]: kubeDns, [`${CANARY}/x.yaml`]: web3 }, files: { [`${CANARY}/x.yaml`]: web3 } });
    expect(result.live).toHaveLength(1);
    expect(result.live[0].resource).toBe('ConfigMap/kube-system/kube-dns');
    expect(result.live[0].message).not.toContain(LOCK_OUT);
    expect(result.live[0].remediation).toMatch(/^Keep the kube-dns ConfigMap in the repository/);
    expect(result.live[0].data).toMatchObject({ deleted: true, totalNodes: 60 });
  });
});
