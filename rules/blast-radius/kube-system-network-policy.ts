/**
 * blast-radius/kube-system-network-policy — NetworkPolicies that cut cluster DNS, or the system and CNI
 * controllers, off the network (RULEBOOK C.7 CRIT-NP-1, CRIT-NP-2).
 *
 * Only `networking.k8s.io/v1` NetworkPolicies in a protected namespace are read: kube-system (where cluster
 * DNS runs) and the CNI namespaces in {@link CNI_NAMESPACES}. A policy whose namespace is not written (left to
 * the apply) is quiet. NetworkPolicies are additive: a pod is isolated in a direction as soon as one policy
 * selecting it has that policy type, and then may send or receive what the union of those policies' rules
 * allows. So the rule judges, per namespace of a deployable unit, what the union leaves to a few critical
 * classes of pods (label sets a policy's podSelector is evaluated against):
 *
 * | class | labels | egress it needs | ingress it needs |
 * |---|---|---|---|
 * | every pod | none (a policy selects it when its podSelector matches an unlabelled pod) | kube-system: DNS and API server; CNI namespaces: API server | — |
 * | CoreDNS (kube-system only) | `k8s-app: kube-dns` | DNS (upstream) and API server | UDP 53 from every pod |
 * | calico-kube-controllers | `k8s-app: calico-kube-controllers` | API server | — |
 * | Calico API server (CNI namespaces) | `apiserver: "true"`, `k8s-app: calico-apiserver` | API server | — |
 *
 * "DNS" is UDP 53 (a port entry `53`/UDP, a range covering it, the named port `dns`, or a rule without
 * ports); "API server" is TCP 443 or 6443 (after kube-proxy's DNAT a policy sees the endpoint port: 443 on most
 * managed clusters, 6443 on kubeadm). Egress destinations (`to`) are not evaluated: a rule allowing the port
 * to some destination counts. "From every pod" is a rule without `from`, a peer `namespaceSelector: {}` (with no
 * or an empty podSelector), or an ipBlock `0.0.0.0/0` / `::/0` without exceptions.
 *
 * When a class lacks something in a direction, the policies to blame are the select-all policies that deny the
 * direction outright (no rules) when there are any, else every policy of that direction selecting the class:
 * - high (`default-deny`): a select-all policy (`podSelector: {}`) with the direction in its policyTypes
 *   (unset: Ingress, plus Egress when it has egress rules) and no rules for it, leaving a class of kube-system
 *   or of a CNI namespace without what it needs;
 * - medium (`default-deny`): a select-all policy denying all ingress in a CNI namespace (what breaks depends on
 *   which of its pods serve traffic off the host network: the Calico API server, Hubble relay);
 * - high (`egress-blocks-dns`): another egress policy selecting a class whose union of egress rules misses DNS
 *   or the API server it needs;
 * - high (`ingress-blocks-dns`): another ingress policy selecting CoreDNS pods whose union of ingress rules does
 *   not let every pod query them on UDP 53;
 * - quiet: other namespaces; kube-node-lease (it holds Lease objects and no pods, and a NetworkPolicy only ever
 *   applies to pods); policies that select none of the classes; lockdowns whose allow policies cover the
 *   classes; malformed policies (the API server rejects them).
 *
 * Most network plugins leave host-network pods (kube-proxy, the CNI agents, NodeLocal DNSCache, Typha, the Cilium
 * operator) out of NetworkPolicy (the API documents the behaviour as plugin-defined), and the API server is never a
 * pod a policy selects: the messages say so and give the break-glass path.
 * Calico `GlobalNetworkPolicy` and Cilium `CiliumClusterwideNetworkPolicy` are not read: their ordering (tiers,
 * `order`) and selector languages decide what they deny, which a wrong guess would misreport.
 */
import type { StateRule } from '../../src/rule.js';
import { matchesSelector, parseSelector, isEmptySelector } from '../../src/selector.js';
import type { KubeObject, Severity, YamlPath } from '../../src/types.js';
import { listing, quote } from '../../src/text.js';
import { asList, asMap, asString } from '../../src/yaml/walk.js';
import { ofKind } from '../../src/kinds.js';

const KIND = 'NetworkPolicy';
const API_VERSION = 'networking.k8s.io/v1';
const DNS_NAMESPACE = 'kube-system';
/** Namespaces CNI installs use for their components (kube-system is judged as the DNS namespace). */
export const CNI_NAMESPACES: ReadonlySet<string> = new Set([
  'calico-system', // Calico operator installs
  'calico-apiserver', // Calico API server (operator installs before 3.30, manifest installs)
  'tigera-operator',
  'kube-flannel',
  'cilium', // Cilium installs outside kube-system (Helm namespace=cilium)
  'cilium-secrets',
  'antrea-system',
  'kube-ovn',
  'openshift-sdn',
  'openshift-ovn-kubernetes',
  'ovn-kubernetes',
  'weave',
]);

type Need = 'dns' | 'api';
type Direction = 'Ingress' | 'Egress';

/** A critical class of pods: the labels a podSelector is evaluated against and what it needs. */
interface PodClass {
  readonly id: string;
  /** How messages name the class (`{ns}` is replaced by the namespace). */
  readonly text: string;
  readonly labels: Readonly<Record<string, string>>;
  /** Egress it needs, by namespace kind. */
  readonly egress: { readonly dnsNamespace: readonly Need[] | null; readonly cniNamespace: readonly Need[] | null };
  /** Needs UDP 53 from every pod (CoreDNS). */
  readonly dnsIngress: boolean;
}

const CLASSES: readonly PodClass[] = [
  { id: 'every', text: 'every pod of {ns} that is not on the host network', labels: {}, egress: { dnsNamespace: ['dns', 'api'], cniNamespace: ['api'] }, dnsIngress: false },
  { id: 'coredns', text: 'CoreDNS (k8s-app: kube-dns)', labels: { 'k8s-app': 'kube-dns' }, egress: { dnsNamespace: ['dns', 'api'], cniNamespace: null }, dnsIngress: true },
  { id: 'calico-kube-controllers', text: 'calico-kube-controllers', labels: { 'k8s-app': 'calico-kube-controllers' }, egress: { dnsNamespace: ['api'], cniNamespace: ['api'] }, dnsIngress: false },
  { id: 'calico-apiserver', text: 'the Calico API server', labels: { apiserver: 'true', 'k8s-app': 'calico-apiserver' }, egress: { dnsNamespace: null, cniNamespace: ['api'] }, dnsIngress: false },
];

const NEED_TEXT: Readonly<Record<Need, string>> = { dns: 'DNS (UDP 53)', api: 'the API server (TCP 443 or 6443)' };

/** One parsed NetworkPolicy. */
interface Policy {
  readonly object: KubeObject;
  readonly spec: Record<string, unknown>;
  readonly selectAll: boolean;
  readonly types: ReadonlySet<Direction>;
  readonly ingress: ReadonlyArray<Record<string, unknown>>;
  readonly egress: ReadonlyArray<Record<string, unknown>>;
}

const PROTOCOLS = new Set(['TCP', 'UDP', 'SCTP']);

/** A list field that decodes: absent, null, or a list of mappings (null items decode as empty ones). */
function mappings(value: unknown): boolean {
  return value === undefined || value === null || (Array.isArray(value) && value.every((v) => v === null || asMap(v) !== undefined));
}

/**
 * True when a rule decodes and passes the API server's port validation: its peers and ports are lists of
 * mappings, a protocol is TCP, UDP or SCTP, a port is a number or a name holding a letter, an endPort a number.
 * A policy with a rule that does not is rejected as a whole, so it never isolates anything.
 */
function decodes(rule: Record<string, unknown>, peers: string): boolean {
  if (!mappings(rule[peers]) || !mappings(rule.ports)) return false;
  return asList(rule.ports).every((raw) => {
    const p = asMap(raw) ?? {};
    if (p.protocol !== undefined && p.protocol !== null && !PROTOCOLS.has(p.protocol as string)) return false;
    const port = p.port;
    if (port !== undefined && port !== null && typeof port !== 'number' && !(typeof port === 'string' && /[a-z]/i.test(port))) return false;
    return p.endPort === undefined || p.endPort === null || typeof p.endPort === 'number';
  });
}

/** Parses a policy as the API server would default it; undefined when it would be rejected. */
function parsePolicy(object: KubeObject): Policy | undefined {
  const spec = asMap(object.doc.spec);
  if (!spec) return undefined;
  if (!parseSelector(spec.podSelector).ok) return undefined;
  const rules = (field: string, peers: string): Array<Record<string, unknown>> | undefined => {
    const raw = spec[field];
    if (raw === undefined || raw === null) return [];
    if (!Array.isArray(raw)) return undefined;
    const out: Array<Record<string, unknown>> = [];
    for (const item of raw) {
      // A null item decodes as an empty rule (which allows everything in that direction).
      const r = item === null ? {} : asMap(item);
      if (!r || !decodes(r, peers)) return undefined;
      out.push(r);
    }
    return out;
  };
  const ingress = rules('ingress', 'from');
  const egress = rules('egress', 'to');
  if (!ingress || !egress) return undefined;
  const types = new Set<Direction>();
  const written = asList(spec.policyTypes);
  if (written.length === 0) {
    // SetDefaults_NetworkPolicySpec: Ingress always, Egress only when there are egress rules.
    types.add('Ingress');
    if (egress.length > 0) types.add('Egress');
  } else {
    for (const t of written) {
      if (t !== 'Ingress' && t !== 'Egress') return undefined; // rejected by validation
      types.add(t);
    }
  }
  return { object, spec, selectAll: isEmptySelector(spec.podSelector), types, ingress, egress };
}

/** True when a port entry list lets `protocol`/`port` through (no entries: every port). */
function portsAllow(rule: Record<string, unknown>, protocol: 'UDP' | 'TCP', port: number, names: readonly string[]): boolean {
  const ports = asList(rule.ports);
  if (ports.length === 0) return true;
  return ports.some((raw) => {
    const p = asMap(raw);
    if (!p) return false;
    if ((asString(p.protocol) ?? 'TCP') !== protocol) return false;
    const value = p.port;
    if (value === undefined || value === null) return true;
    if (typeof value === 'string') return names.includes(value);
    if (typeof value !== 'number') return false;
    const end = typeof p.endPort === 'number' ? p.endPort : value;
    return value <= port && port <= end;
  });
}

const allowsDns = (rule: Record<string, unknown>) => portsAllow(rule, 'UDP', 53, ['dns']);
const allowsApi = (rule: Record<string, unknown>) => portsAllow(rule, 'TCP', 443, []) || portsAllow(rule, 'TCP', 6443, []);

const EVERYWHERE = new Set(['0.0.0.0/0', '::/0']);

/** True when an ingress rule admits every pod of the cluster. */
function fromEveryPod(rule: Record<string, unknown>): boolean {
  const peers = asList(rule.from);
  if (peers.length === 0) return true;
  return peers.some((raw) => {
    const peer = asMap(raw);
    if (!peer) return false;
    const ipBlock = asMap(peer.ipBlock);
    if (ipBlock) return EVERYWHERE.has(asString(ipBlock.cidr) ?? '') && asList(ipBlock.except).length === 0;
    // An absent namespaceSelector means the policy's own namespace only.
    const nsSel = asMap(peer.namespaceSelector);
    return nsSel !== undefined && isEmptySelector(nsSel) && isEmptySelector(peer.podSelector);
  });
}

/** What one policy is blamed for. */
interface Blame {
  policy: Policy;
  /** Egress: class → needs it lacks. */
  egress: Map<PodClass, Need[]>;
  /** Ingress: CoreDNS cannot be queried by every pod. */
  dnsIngress: boolean;
  /** CNI namespace: denies all ingress. */
  cniIngress: boolean;
}

const denies = (p: Policy, d: Direction) => p.selectAll && p.types.has(d) && (d === 'Ingress' ? p.ingress : p.egress).length === 0;

function classText(c: PodClass, ns: string): string {
  return c.text.replace('{ns}', ns);
}

const BREAK_GLASS = (ns: string, name: string) =>
  `break-glass path: kubectl delete networkpolicy -n ${ns} ${name} with an admin credential from outside the cluster, which keeps working ` +
  `because NetworkPolicy does not apply to the API server (it runs on a managed control plane or as host-network static pods), then pause ` +
  `the GitOps sync that would re-apply it`;

const REMEDIATION_KUBE_SYSTEM =
  'Do not default-deny kube-system, or add policies in the same namespace that allow ingress to CoreDNS on UDP and TCP 53 from every namespace and egress from every pod to DNS (UDP and TCP 53) and the API server (TCP 443 and 6443).';
const REMEDIATION_CNI =
  'Add allow policies for the CNI components that are not on the host network (the Calico API server on TCP 5443 from the API server, calico-kube-controllers and the API server to TCP 443 and 6443) before denying traffic in a CNI namespace.';
const REMEDIATION_EGRESS =
  'Add egress rules, in this policy or another selecting the same pods, that allow DNS on UDP and TCP 53 and the API server on TCP 443 and 6443.';
const REMEDIATION_INGRESS =
  'Allow ingress to CoreDNS on UDP and TCP 53 from every namespace (a from entry with namespaceSelector: {}), in this policy or another selecting the CoreDNS pods.';

/** What losing a need does to a class, for the message. */
function consequence(c: PodClass, needs: readonly Need[], ns: string): string {
  const what = `${classText(c, ns)} cannot reach ${listing(needs.map((n) => NEED_TEXT[n]))}`;
  const effects: string[] = [];
  if (c.id === 'coredns') {
    if (needs.includes('api')) effects.push('it loses its watch on Services and EndpointSlices, so a restarted CoreDNS pod answers SERVFAIL for every cluster name and running ones go stale');
    if (needs.includes('dns')) effects.push('it cannot forward to its upstream resolvers, so no external name resolves');
    effects.push('that is name resolution for every pod of the cluster (about 30 a node)');
  } else if (c.id === 'every') {
    if (needs.includes('api')) effects.push(ns === DNS_NAMESPACE ? 'controllers there (cluster-autoscaler, cloud, CSI and ingress controllers, metrics-server) lose the API server' : 'the CNI controllers there lose the API server');
    if (needs.includes('dns')) effects.push('they cannot resolve the cloud and webhook endpoints they call by name');
  } else if (c.id === 'calico-kube-controllers') {
    effects.push('it stops garbage-collecting IP addresses and syncing nodes and policies');
  } else {
    effects.push('the projectcalico.org API it serves fails, and API discovery errors reach every client of the cluster');
  }
  return `${what}: ${effects.join('; ')}`;
}

function judgeNamespace(policies: readonly Policy[], ns: string): Blame[] {
  const dnsNamespace = ns === DNS_NAMESPACE;
  const blames = new Map<Policy, Blame>();
  const blame = (p: Policy) => blames.get(p) ?? blames.set(p, { policy: p, egress: new Map(), dnsIngress: false, cniIngress: false }).get(p)!;
  const selecting = (c: PodClass, d: Direction) => policies.filter((p) => p.types.has(d) && matchesSelector(p.spec.podSelector, c.labels));
  const culprits = (list: readonly Policy[], d: Direction) => {
    const deniers = list.filter((p) => denies(p, d));
    return deniers.length > 0 ? deniers : list;
  };

  for (const c of CLASSES) {
    const needs = dnsNamespace ? c.egress.dnsNamespace : c.egress.cniNamespace;
    if (needs) {
      const isolating = selecting(c, 'Egress');
      if (isolating.length > 0) {
        const rules = isolating.flatMap((p) => p.egress);
        const lacking = needs.filter((n) => !rules.some(n === 'dns' ? allowsDns : allowsApi));
        if (lacking.length > 0) for (const p of culprits(isolating, 'Egress')) blame(p).egress.set(c, lacking);
      }
    }
    if (c.dnsIngress && dnsNamespace) {
      const isolating = selecting(c, 'Ingress');
      if (isolating.length > 0 && !isolating.flatMap((p) => p.ingress).some((r) => allowsDns(r) && fromEveryPod(r))) {
        for (const p of culprits(isolating, 'Ingress')) blame(p).dnsIngress = true;
      }
    }
  }
  if (!dnsNamespace) for (const p of policies) if (denies(p, 'Ingress')) blame(p).cniIngress = true;
  return [...blames.values()];
}

interface Verdict {
  key: string;
  severity: Severity;
  message: string;
  remediation: string;
  path: YamlPath;
}

function verdicts(b: Blame, ns: string): Verdict[] {
  const p = b.policy;
  const o = p.object;
  const subject = `${ns} NetworkPolicy ${quote(o.name)}`;
  const has = (field: string) => Object.prototype.hasOwnProperty.call(p.spec, field);
  const typesPath: YamlPath = has('policyTypes') ? ['spec', 'policyTypes'] : ['spec', 'podSelector'];
  const dnsNamespace = ns === DNS_NAMESPACE;
  const lockOut = `lock-out risk: in-cluster recovery that needs DNS or these controllers fails with them; ${BREAK_GLASS(ns, o.name)}`;
  const egressText = [...b.egress].map(([c, needs]) => consequence(c, needs, ns));
  const dnsIngressText = `pods in other namespaces can no longer query CoreDNS on UDP 53, so name resolution fails for every pod of the cluster (about 30 a node)`;
  const out: Verdict[] = [];

  const denyEgress = b.egress.size > 0 && denies(p, 'Egress');
  const denyIngress = (b.dnsIngress && denies(p, 'Ingress')) || b.cniIngress;
  if (denyEgress || denyIngress) {
    const dirs = listing([denyIngress ? 'ingress' : '', denyEgress ? 'egress' : ''].filter(Boolean));
    const critical: string[] = [];
    if (denyEgress) critical.push(...egressText);
    if (denyIngress && b.dnsIngress) critical.push(dnsIngressText);
    const high = critical.length > 0;
    let message = `${subject} selects every pod (podSelector: {}) and denies all ${dirs} (no ${dirs} rules)`;
    if (high) message += `, and no policy in ${ns} gives back what the critical pods need: ${critical.join('; ')}`;
    if (denyIngress && b.cniIngress) {
      message +=
        `${high ? '; and' : ':'} pods of ${ns} that are not on the host network stop receiving any traffic no other policy there allows: the Calico ` +
        `API server (the API server's calls to it on TCP 5443 fail, and API discovery errors reach every client), Hubble relay, metrics scrapes`;
    }
    message += `; most network plugins leave host-network pods (kube-proxy, the CNI agents) out; ${high ? lockOut : BREAK_GLASS(ns, o.name)}`;
    out.push({
      key: 'default-deny',
      severity: high ? 'high' : 'medium',
      message,
      remediation: dnsNamespace ? REMEDIATION_KUBE_SYSTEM : REMEDIATION_CNI,
      path: typesPath,
    });
  }
  if (b.egress.size > 0 && !denyEgress) {
    out.push({
      key: 'egress-blocks-dns',
      severity: 'high',
      message:
        `${subject} restricts the egress of the pods it selects to its rules, and no egress rule of the policies selecting them in ${ns} allows ` +
        `what they need: ${egressText.join('; ')}; ${lockOut}`,
      remediation: REMEDIATION_EGRESS,
      path: has('egress') ? ['spec', 'egress'] : typesPath,
    });
  }
  if (b.dnsIngress && !denies(p, 'Ingress')) {
    out.push({
      key: 'ingress-blocks-dns',
      severity: 'high',
      message:
        `${subject} restricts ingress to CoreDNS (k8s-app: kube-dns) to its rules, and no ingress rule of the policies selecting CoreDNS in ${ns} admits ` +
        `every pod on UDP 53: ${dnsIngressText}; ${lockOut}`,
      remediation: REMEDIATION_INGRESS,
      path: has('ingress') ? ['spec', 'ingress'] : typesPath,
    });
  }
  return out;
}

export const kubeSystemNetworkPolicy: StateRule = {
  meta: {
    id: 'blast-radius/kube-system-network-policy',
    family: 'blast-radius',
    type: 'state',
    severity: 'high',
    description:
      'Flag NetworkPolicies in kube-system or a CNI namespace that deny by default or restrict CoreDNS and the system controllers without allowing DNS and the API server.',
    docs: 'docs/rules/blast-radius/kube-system-network-policy.md',
    remediation: REMEDIATION_KUBE_SYSTEM,
  },
  check(ctx) {
    // Policies of the protected namespaces, by unit and namespace (one per ref: the first copy).
    const groups = new Map<string, Map<string, Policy>>();
    for (const o of ofKind(ctx.tree.objects, KIND)) {
      if (o.apiVersion !== API_VERSION) continue;
      const ns = o.namespace;
      if (ns === null || (ns !== DNS_NAMESPACE && !CNI_NAMESPACES.has(ns))) continue;
      const id = `${o.unit}\u0000${ns}`;
      const group = groups.get(id) ?? groups.set(id, new Map()).get(id)!;
      if (group.has(o.ref)) continue;
      const p = parsePolicy(o);
      if (p) group.set(o.ref, p);
    }
    for (const group of groups.values()) {
      const policies = [...group.values()];
      if (policies.length === 0) continue;
      if (ctx.only && !policies.some((p) => ctx.only!.has(p.object.ref))) continue;
      const ns = policies[0].object.namespace!;
      for (const b of judgeNamespace(policies, ns)) {
        if (ctx.only && !ctx.only.has(b.policy.object.ref)) continue;
        for (const v of verdicts(b, ns)) {
          ctx.report({ key: v.key, severity: v.severity, message: v.message, remediation: v.remediation, at: { object: b.policy.object, path: v.path } });
        }
      }
    }
  },
};
