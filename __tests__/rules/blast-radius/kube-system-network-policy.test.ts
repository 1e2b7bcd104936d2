/**
 * Table tests of blast-radius/kube-system-network-policy. Each dangerous case has a safe twin next to it; lines
 * are looked up in the case's own YAML.
 */
import { describe, expect, it } from 'vitest';
import { kubeSystemNetworkPolicy } from '../../../rules/blast-radius/kube-system-network-policy.js';
import { lineContaining, ruleTester, runCase, type ExpectedFinding } from '../../helpers/rule-tester.js';
import { annotate, HAS_CORPUS, readCorpus } from '../../helpers/corpus.js';

const lineOf = lineContaining;

/** A NetworkPolicy; `spec` is YAML indented by two spaces (the lines under `spec:`). */
function np(name: string, namespace: string | null, spec: string, annotations?: Record<string, string>): string {
  const lines = ['apiVersion: networking.k8s.io/v1', 'kind: NetworkPolicy', 'metadata:', `  name: ${name}`];
  if (namespace !== null) lines.push(`  namespace: ${namespace}`);
  if (annotations) lines.push('  annotations:', ...Object.entries(annotations).map(([k, v]) => `    ${k}: ${JSON.stringify(v)}`));
  lines.push('spec:', spec.replace(/\n$/, ''));
  return `${lines.join('\n')}\n`;
}
const docs = (...texts: string[]) => texts.join('---\n');
const FILE = 'infra/kube-system/network-policies.yaml';
const file = (text: string) => ({ [FILE]: text });

const DENY_ALL = `  podSelector: {}
  policyTypes:
  - Ingress
  - Egress
`;
const DENY_INGRESS_IMPLIED = `  podSelector: {}
`;
const DENY_EGRESS = `  podSelector: {}
  policyTypes: [Egress]
  egress: []
`;
const ALLOW_DNS_INGRESS = `  podSelector:
    matchLabels:
      k8s-app: kube-dns
  policyTypes: [Ingress]
  ingress:
  - from:
    - namespaceSelector: {}
    ports:
    - {protocol: UDP, port: 53}
    - {protocol: TCP, port: 53}
`;
const ALLOW_EGRESS_ALL_NEEDS = `  podSelector: {}
  policyTypes: [Egress]
  egress:
  - ports:
    - {protocol: UDP, port: 53}
    - {protocol: TCP, port: 53}
  - ports:
    - {protocol: TCP, port: 443}
    - {protocol: TCP, port: 6443}
`;
const ALLOW_EGRESS_DNS_ONLY = `  podSelector: {}
  policyTypes: [Egress]
  egress:
  - ports:
    - {protocol: UDP, port: 53}
    - {protocol: TCP, port: 53}
`;
const EGRESS_API_ONLY = `  podSelector: {}
  policyTypes: [Egress]
  egress:
  - to:
    - ipBlock: {cidr: 10.0.0.1/32}
    ports:
    - {protocol: TCP, port: 443}
`;
const EGRESS_API_AND_DNS = `  podSelector: {}
  policyTypes: [Egress]
  egress:
  - ports:
    - {protocol: TCP, port: 443}
    - {protocol: UDP, port: 53}
`;
const COREDNS_EGRESS_UPSTREAM_ONLY = `  podSelector:
    matchLabels: {k8s-app: kube-dns}
  policyTypes: [Egress]
  egress:
  - to:
    - ipBlock: {cidr: 0.0.0.0/0}
    ports:
    - {protocol: UDP, port: 53}
    - {protocol: TCP, port: 53}
`;
const COREDNS_EGRESS_WITH_API = `  podSelector:
    matchLabels: {k8s-app: kube-dns}
  policyTypes: [Egress]
  egress:
  - ports:
    - {protocol: UDP, port: 53}
    - {protocol: TCP, port: 53}
    - {protocol: TCP, port: 6443}
`;
const COREDNS_EGRESS_API_ELSEWHERE = `  podSelector:
    matchExpressions:
    - {key: k8s-app, operator: In, values: [kube-dns, metrics-server]}
  policyTypes: [Egress]
  egress:
  - ports:
    - {protocol: TCP, port: 443}
`;
const COREDNS_INGRESS_SAME_NS = `  podSelector:
    matchLabels: {k8s-app: kube-dns}
  ingress:
  - from:
    - podSelector: {}
    ports:
    - {protocol: UDP, port: 53}
`;
const COREDNS_INGRESS_ALL_NS = `  podSelector:
    matchLabels: {k8s-app: kube-dns}
  ingress:
  - from:
    - podSelector: {}
    - namespaceSelector: {}
    ports:
    - {protocol: UDP, port: 53}
`;
const COREDNS_INGRESS_IPBLOCK = `  podSelector:
    matchLabels: {k8s-app: kube-dns}
  ingress:
  - from:
    - ipBlock: {cidr: 0.0.0.0/0}
    ports:
    - {protocol: UDP, port: dns}
`;
const COREDNS_INGRESS_IPBLOCK_EXCEPT = `  podSelector:
    matchLabels: {k8s-app: kube-dns}
  ingress:
  - from:
    - ipBlock: {cidr: 0.0.0.0/0, except: [10.1.0.0/16]}
    ports:
    - {protocol: UDP, port: 53}
`;
const SAME_NAMESPACE_ONLY = `  podSelector: {}
  ingress:
  - from:
    - podSelector: {}
`;
const RANGES = `  podSelector: {}
  policyTypes: [Egress]
  egress:
  - ports:
    - {protocol: UDP}
    - {protocol: TCP, port: 1, endPort: 65535}
`;
const ALLOW_ALL_EGRESS = `  podSelector: {}
  policyTypes: [Egress]
  egress:
  - {}
`;
const MY_APP_EGRESS = `  podSelector:
    matchLabels: {app: my-app}
  policyTypes: [Egress]
  egress:
  - ports:
    - {protocol: TCP, port: 443}
`;
const KUBE_CONTROLLERS_EGRESS = `  podSelector:
    matchLabels: {k8s-app: calico-kube-controllers}
  policyTypes: [Egress]
  egress:
  - ports:
    - {protocol: UDP, port: 53}
`;

const denyAll = np('default-deny', 'kube-system', DENY_ALL);
const denyIngressImplied = np('deny-ingress', 'kube-system', DENY_INGRESS_IMPLIED);
const denyEgress = np('deny-egress', 'kube-system', DENY_EGRESS);
const lockdown = docs(denyAll, np('allow-dns', 'kube-system', ALLOW_DNS_INGRESS), np('allow-egress', 'kube-system', ALLOW_EGRESS_ALL_NEEDS));
const lockdownNoApi = docs(denyAll, np('allow-dns', 'kube-system', ALLOW_DNS_INGRESS), np('allow-egress-dns', 'kube-system', ALLOW_EGRESS_DNS_ONLY));
const apiOnly = np('egress-api', 'kube-system', EGRESS_API_ONLY);
const apiAndDns = np('egress-api', 'kube-system', EGRESS_API_AND_DNS);
const corednsUpstream = np('coredns-egress', 'kube-system', COREDNS_EGRESS_UPSTREAM_ONLY);
const corednsWithApi = np('coredns-egress', 'kube-system', COREDNS_EGRESS_WITH_API);
const corednsApiElsewhere = docs(corednsUpstream, np('system-egress-api', 'kube-system', COREDNS_EGRESS_API_ELSEWHERE));
const corednsSameNs = np('coredns-ingress', 'kube-system', COREDNS_INGRESS_SAME_NS);
const corednsAllNs = np('coredns-ingress', 'kube-system', COREDNS_INGRESS_ALL_NS);
const corednsIpBlock = np('coredns-ingress', 'kube-system', COREDNS_INGRESS_IPBLOCK);
const corednsIpBlockExcept = np('coredns-ingress', 'kube-system', COREDNS_INGRESS_IPBLOCK_EXCEPT);
const sameNamespaceOnly = np('allow-same-namespace', 'kube-system', SAME_NAMESPACE_ONLY);
const ranges = np('egress-ranges', 'kube-system', RANGES);
const allowAllEgress = np('allow-all-egress', 'kube-system', ALLOW_ALL_EGRESS);
const myApp = np('my-app-egress', 'kube-system', MY_APP_EGRESS);
const kubeControllers = np('calico-kube-controllers', 'kube-system', KUBE_CONTROLLERS_EGRESS);
const calicoDenyEgress = np('deny-egress', 'calico-system', DENY_EGRESS);
const calicoDenyIngress = np('deny-ingress', 'calico-system', `  podSelector: {}\n  policyTypes: [Ingress]\n`);
const calicoDenyAll = np('default-deny', 'calico-system', DENY_ALL);
const calicoApiOnly = np('egress-api', 'calico-system', EGRESS_API_ONLY.replace('10.0.0.1/32', '10.0.0.0/8').replace('port: 443}', 'port: 6443}'));
const nodeLease = np('default-deny', 'kube-node-lease', DENY_ALL);
const ordinary = np('default-deny', 'payments', DENY_ALL);
const noNamespace = np('default-deny', null, DENY_ALL);
const ignored = np('default-deny', 'kube-system', DENY_ALL, { 'blast-radius.dev/ignore': 'blast-radius/kube-system-network-policy -- allows are applied by the cluster bootstrap' });
const ignoredOther = np('default-deny', 'kube-system', DENY_ALL, { 'blast-radius.dev/ignore': 'blast-radius/admission-webhook -- not this one' });
const oddInput = docs(
  np('spec-string', 'kube-system', '  nope').replace('spec:\n  nope', 'spec: nope'),
  np('bad-selector', 'kube-system', '  podSelector:\n    matchExpressions:\n    - {key: app, operator: Equals, values: [x]}\n  policyTypes: [Ingress, Egress]'),
  np('bad-types', 'kube-system', '  podSelector: {}\n  policyTypes: [ingress]'),
  np('ingress-map', 'kube-system', '  podSelector: {}\n  ingress: {from: []}'),
  np('ports-string', 'kube-system', '  podSelector: {}\n  policyTypes: [Egress]\n  egress:\n  - ports: nope\n    to: 7'),
  np('port-entries', 'kube-system', '  podSelector: {}\n  policyTypes: [Egress]\n  egress:\n  - ports:\n    - 53\n    - {protocol: TCP, port: [443]}'),
  np('numeric-name', 'kube-system', '  podSelector: {}\n  policyTypes: [Egress]\n  egress:\n  - ports:\n    - {protocol: UDP, port: "53"}'),
  np('bad-protocol', 'kube-system', '  podSelector: {}\n  policyTypes: [Egress]\n  egress:\n  - ports:\n    - {protocol: udp, port: 53}'),
  np('v1beta1', 'kube-system', DENY_ALL).replace('networking.k8s.io/v1', 'extensions/v1beta1'),
  'apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\n',
  'apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata:\n  name: no-spec\n  namespace: kube-system\n',
);
const oddButDenying = np('odd-rules', 'kube-system', `  podSelector: null
  policyTypes: [Egress]
  egress:
  - to: null
    ports:
    - {protocol: SCTP, port: 53}
    - {protocol: TCP, port: dns}
    - {protocol: UDP, port: metrics}
`);

const at = (text: string, needle: string, nth = 1) => lineOf(text, needle, nth);
const finding = (severity: 'high' | 'medium', key: string, text: string, needle: string, messageIncludes?: string[], nth = 1): ExpectedFinding => ({
  severity,
  key,
  line: at(text, needle, nth),
  ...(messageIncludes ? { messageIncludes } : {}),
});

ruleTester(kubeSystemNetworkPolicy).run({
  valid: [
    { name: 'kube-system lockdown with DNS ingress and DNS plus API egress allowed (twin of the deny-all case)', files: file(lockdown) },
    { name: 'egress to the API server and DNS (twin of the API-only case)', files: file(apiAndDns) },
    { name: 'CoreDNS egress with upstream DNS and the API server (twin of the upstream-only case)', files: file(corednsWithApi) },
    { name: 'CoreDNS egress where another policy allows the API server', files: file(corednsApiElsewhere) },
    { name: 'CoreDNS ingress from every namespace (twin of the same-namespace case)', files: file(corednsAllNs) },
    { name: 'CoreDNS ingress from 0.0.0.0/0 on the named port dns', files: file(corednsIpBlock) },
    { name: 'port ranges and protocol-only entries cover 53 and 443', files: file(ranges) },
    { name: 'an empty egress rule allows everything', files: file(allowAllEgress) },
    { name: 'a policy for a pod that is none of the critical classes', files: file(myApp) },
    { name: 'a CNI namespace whose pods keep the API server', files: { 'infra/calico.yaml': calicoApiOnly } },
    // NetworkPolicies select pods, and kube-node-lease holds only Lease objects.
    { name: 'default-deny in kube-node-lease has nothing to select', files: file(nodeLease) },
    { name: 'default-deny in an ordinary namespace', files: file(ordinary) },
    { name: 'default-deny without a namespace (left to the apply)', files: file(noNamespace) },
    { name: 'base already had the same deny-all', base: file(denyAll), files: file(denyAll) },
    { name: 'base already had it; the PR only adds an annotation', base: file(denyAll), files: file(np('default-deny', 'kube-system', DENY_ALL, { 'example.com/owner': 'platform' })) },
    { name: 'base already had it; the PR adds an allow that does not fix it (nothing new)', base: file(denyAll), files: file(docs(denyAll, np('allow-metrics', 'kube-system', '  podSelector:\n    matchLabels: {k8s-app: metrics-server}\n  ingress:\n  - ports:\n    - {port: 10250}\n'))) },
    { name: 'ignore annotation suppresses the finding', files: file(ignored), suppressed: [finding('high', 'default-deny', ignored, 'policyTypes')] },
    { name: 'rule turned off in the config', files: file(denyAll), config: 'rules:\n  blast-radius/kube-system-network-policy: off\n' },
    { name: 'odd input never throws; malformed policies are quiet', files: { 'odd.yaml': oddInput } },
  ],
  invalid: [
    {
      name: 'deny-all in kube-system',
      files: file(denyAll),
      findings: [
        finding('high', 'default-deny', denyAll, 'policyTypes', [
          'kube-system NetworkPolicy "default-deny" selects every pod (podSelector: {}) and denies all ingress and egress',
          'every pod of kube-system that is not on the host network cannot reach DNS (UDP 53) and the API server (TCP 443 or 6443)',
          'CoreDNS (k8s-app: kube-dns) cannot reach DNS (UDP 53) and the API server',
          'answers SERVFAIL',
          'calico-kube-controllers cannot reach the API server',
          'pods in other namespaces can no longer query CoreDNS on UDP 53',
          '(about 30 a node)',
          'most network plugins leave host-network pods (kube-proxy, the CNI agents) out',
          'lock-out risk',
          'kubectl delete networkpolicy -n kube-system default-deny with an admin credential from outside the cluster',
          'NetworkPolicy does not apply to the API server',
        ]),
      ],
    },
    {
      name: 'policyTypes unset: Ingress is implied; the finding points at podSelector',
      files: file(denyIngressImplied),
      findings: [finding('high', 'default-deny', denyIngressImplied, 'podSelector', ['denies all ingress (no ingress rules)', 'query CoreDNS'])],
    },
    {
      name: 'deny egress only',
      files: file(denyEgress),
      findings: [finding('high', 'default-deny', denyEgress, 'policyTypes', ['denies all egress', 'controllers there (cluster-autoscaler'])],
    },
    {
      name: 'lockdown that forgets the API server: only the deny-all is blamed',
      files: file(lockdownNoApi),
      findings: [finding('high', 'default-deny', lockdownNoApi, 'policyTypes', ['denies all egress', 'cannot reach the API server', 'loses its watch on Services'])],
    },
    {
      name: 'the PR removes the allow policies from a lockdown',
      base: file(lockdown),
      files: file(denyAll),
      findings: [finding('high', 'default-deny', denyAll, 'policyTypes')],
    },
    {
      name: 'egress to the API server only',
      files: file(apiOnly),
      findings: [finding('high', 'egress-blocks-dns', apiOnly, 'egress:', ['kube-system NetworkPolicy "egress-api" restricts the egress', 'cannot reach DNS (UDP 53)', 'cannot forward to its upstream resolvers', 'lock-out risk'])],
    },
    {
      name: 'CoreDNS egress to upstream resolvers only',
      files: file(corednsUpstream),
      findings: [finding('high', 'egress-blocks-dns', corednsUpstream, 'egress:', ['CoreDNS (k8s-app: kube-dns) cannot reach the API server', 'SERVFAIL'])],
    },
    {
      name: 'CoreDNS ingress from its own namespace only',
      files: file(corednsSameNs),
      findings: [finding('high', 'ingress-blocks-dns', corednsSameNs, 'ingress:', ['restricts ingress to CoreDNS', 'pods in other namespaces can no longer query CoreDNS', 'kubectl delete networkpolicy -n kube-system coredns-ingress'])],
    },
    {
      name: 'CoreDNS ingress from 0.0.0.0/0 with an exception',
      files: file(corednsIpBlockExcept),
      findings: [finding('high', 'ingress-blocks-dns', corednsIpBlockExcept, 'ingress:')],
    },
    {
      name: 'allow-same-namespace applied to kube-system',
      files: file(sameNamespaceOnly),
      findings: [finding('high', 'ingress-blocks-dns', sameNamespaceOnly, 'ingress:')],
    },
    {
      name: 'calico-kube-controllers in kube-system without the API server',
      files: file(kubeControllers),
      findings: [finding('high', 'egress-blocks-dns', kubeControllers, 'egress:', ['calico-kube-controllers cannot reach the API server', 'garbage-collecting IP addresses'])],
    },
    {
      name: 'deny egress in calico-system',
      files: { 'infra/calico.yaml': calicoDenyEgress },
      findings: [finding('high', 'default-deny', calicoDenyEgress, 'policyTypes', ['calico-system NetworkPolicy "deny-egress"', 'the CNI controllers there lose the API server', 'the Calico API server cannot reach the API server', 'kubectl delete networkpolicy -n calico-system deny-egress'])],
    },
    {
      name: 'deny ingress in calico-system is medium',
      files: { 'infra/calico.yaml': calicoDenyIngress },
      findings: [finding('medium', 'default-deny', calicoDenyIngress, 'policyTypes', ['denies all ingress', 'the Calico API server', 'kubectl delete networkpolicy -n calico-system deny-ingress'])],
    },
    {
      name: 'deny-all in calico-system is high (egress)',
      files: { 'infra/calico.yaml': calicoDenyAll },
      findings: [finding('high', 'default-deny', calicoDenyAll, 'policyTypes', ['denies all ingress and egress', 'stop receiving any traffic no other policy there allows', 'lock-out risk'])],
    },
    {
      name: 'odd port entries count for nothing',
      files: file(oddButDenying),
      findings: [finding('high', 'egress-blocks-dns', oddButDenying, 'egress:', ['cannot reach DNS (UDP 53) and the API server'])],
    },
    {
      name: 'ignore annotation naming another rule does not suppress',
      files: file(ignoredOther),
      findings: [finding('high', 'default-deny', ignoredOther, 'policyTypes')],
    },
    {
      name: 'config severity override applies',
      files: file(denyAll),
      config: { rules: { 'blast-radius/kube-system-network-policy': { severity: 'medium' } } },
      findings: [finding('medium', 'default-deny', denyAll, 'policyTypes')],
    },
  ],
});

// ---- Kustomize: the namespace comes from the overlay ------------------------------------------------

const OVERLAY_FLEET = `fleet:
  clusters:
    - { name: prod-us, nodes: 4800, stage: prod, paths: ["clusters/prod-us/**"] }
`;

describe('kube-system-network-policy: namespaces set by a kustomization', () => {
  it('a namespace-less deny-all put into kube-system by the overlay is high', () => {
    const deny = np('default-deny', null, DENY_ALL);
    const { live, notes } = runCase(kubeSystemNetworkPolicy, {
      name: 'overlay',
      config: OVERLAY_FLEET,
      files: {
        'base/policies/deny.yaml': deny,
        'base/policies/kustomization.yaml': 'resources:\n- deny.yaml\n',
        'clusters/prod-us/kustomization.yaml': 'namespace: kube-system\nresources:\n- ../../base/policies\n',
      },
    });
    expect(notes).toEqual([]);
    expect(live.map((f) => [f.severity, f.key, f.resource, f.file, f.line, f.clusters])).toEqual([
      ['high', 'default-deny', 'NetworkPolicy/kube-system/default-deny', 'base/policies/deny.yaml', lineOf(deny, 'policyTypes'), ['prod-us']],
    ]);
  });
  it('the same policy put into an ordinary namespace is quiet', () => {
    const { live } = runCase(kubeSystemNetworkPolicy, {
      name: 'overlay-ordinary',
      config: OVERLAY_FLEET,
      files: {
        'base/policies/deny.yaml': np('default-deny', null, DENY_ALL),
        'base/policies/kustomization.yaml': 'resources:\n- deny.yaml\n',
        'clusters/prod-us/kustomization.yaml': 'namespace: shop\nresources:\n- ../../base/policies\n',
      },
    });
    expect(live).toEqual([]);
  });
});

// ---- real-world manifests -------------------------------------------------------------------------

const DEMO = 'GoogleCloudPlatform+microservices-demo/kustomize/components/network-policies';
const CALICO_APISERVER = 'projectcalico+calico/manifests/apiserver.yaml';

if (HAS_CORPUS) {
  const demoFiles = [
    'kustomization.yaml',
    'network-policy-deny-all.yaml',
    'network-policy-adservice.yaml',
    'network-policy-cartservice.yaml',
    'network-policy-checkoutservice.yaml',
    'network-policy-currencyservice.yaml',
    'network-policy-emailservice.yaml',
    'network-policy-frontend.yaml',
    'network-policy-loadgenerator.yaml',
    'network-policy-paymentservice.yaml',
    'network-policy-productcatalogservice.yaml',
    'network-policy-recommendationservice.yaml',
    'network-policy-redis.yaml',
    'network-policy-shippingservice.yaml',
  ];
  const demo = Object.fromEntries(demoFiles.map((f) => [`${DEMO}/${f}`, readCorpus(`${DEMO}/${f}`)]));
  const denyAllText = demo[`${DEMO}/network-policy-deny-all.yaml`];
  const calico = readCorpus(CALICO_APISERVER);
  const calicoAnnotated = annotate(calico, 'NetworkPolicy');

  describe('real-world manifests: the annotation-only PR really changes the policy', () => {
    it('annotates the Calico API server policy', () => {
      expect(calicoAnnotated.split('\n').length).toBe(calico.split('\n').length + 2);
    });
  });

  // Expected from RULEBOOK C.7 before the rule ever ran on these files:
  // - microservices-demo network-policies component: deny-all plus per-service allows, no namespace written
  //   (the app's namespace comes from the apply) → quiet;
  // - Calico apiserver.yaml: allow-apiserver in calico-apiserver selects the API server pods and only restricts
  //   ingress (no select-all deny, no egress) → quiet, and an annotation-only edit of it too;
  // - the same deny-all component applied to kube-system by a cluster overlay → high default-deny (ingress:
  //   CoreDNS cannot be queried; egress: CoreDNS and controllers lose DNS and the API server).
  ruleTester(kubeSystemNetworkPolicy).run({
    valid: [
      { name: 'microservices-demo network-policies component (no namespace written)', files: demo },
      { name: 'Calico apiserver.yaml', files: { [CALICO_APISERVER]: calico } },
      { name: 'Calico apiserver.yaml: only an annotation added to the policy', base: { [CALICO_APISERVER]: calico }, files: { [CALICO_APISERVER]: calicoAnnotated } },
    ],
    invalid: [
      {
        name: 'microservices-demo deny-all applied to kube-system by an overlay',
        config: OVERLAY_FLEET,
        files: { ...demo, 'clusters/prod-us/kustomization.yaml': `namespace: kube-system\ncomponents:\n- ../../${DEMO}\nresources: []\n` },
        findings: [
          {
            severity: 'high',
            key: 'default-deny',
            line: lineOf(denyAllText, 'policyTypes'),
            messageIncludes: ['kube-system NetworkPolicy "deny-all"', 'denies all ingress and egress'],
          },
        ],
      },
    ],
  });
} else {
  describe.skip('real-world manifests (../shared/corpus is absent)', () => {
    it('skipped', () => {});
  });
}
