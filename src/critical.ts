/**
 * Recognisers for the control-plane-critical objects of RULEBOOK Part C that several blast-radius rules
 * share: cluster DNS (C.3) and node networking agents (C.4).
 */
import type { KubeObject } from './types.js';
import { asMap, asString, getIn } from './yaml/walk.js';
import { isNodeInfrastructure } from './agents/workloads.js';

/** Names cluster DNS goes by (CoreDNS installs keep the `kube-dns` Service and `k8s-app` label). */
const DNS_NAMES = new Set(['coredns', 'kube-dns']);
/** ConfigMaps that hold CoreDNS configuration (`coredns-custom`: AKS and k3s import it). */
const DNS_CONFIGMAPS = new Set(['coredns', 'coredns-custom']);

function label(o: KubeObject, key: string): string | undefined {
  return asString(asMap(getIn(o.doc, ['metadata', 'labels']))?.[key]);
}

/**
 * The cluster DNS Deployment: a Deployment named `coredns` / `kube-dns`, or labelled `k8s-app: kube-dns`,
 * in kube-system (or with no namespace written: the unit's namespace is unknown).
 */
export function isClusterDnsDeployment(o: KubeObject): boolean {
  if (o.kind !== 'Deployment') return false;
  if (o.namespace !== null && o.namespace !== 'kube-system') return false;
  return DNS_NAMES.has(o.name) || label(o, 'k8s-app') === 'kube-dns';
}

/** The CoreDNS ConfigMap (`coredns`, `coredns-custom`) in kube-system (or with no namespace written). */
export function isClusterDnsConfigMap(o: KubeObject): boolean {
  if (o.kind !== 'ConfigMap') return false;
  if (o.namespace !== null && o.namespace !== 'kube-system') return false;
  return DNS_CONFIGMAPS.has(o.name);
}

/** kube-proxy or a CNI agent DaemonSet (calico-node, cilium, aws-node, flannel, antrea, …). */
export function isNetworkDaemonSet(o: KubeObject): boolean {
  return o.kind === 'DaemonSet' && isNodeInfrastructure(o);
}

/**
 * ConfigMaps that configure node networking agents, by name: kube-proxy (kubeadm `kube-proxy`, EKS
 * `kube-proxy-config`), Calico (`calico-config`), Canal (`canal-config`), Cilium (`cilium-config`), Flannel
 * (`kube-flannel-cfg`), Antrea (`antrea-config`), AWS VPC CNI (`amazon-vpc-cni`), kube-router (`kube-router-cfg`).
 */
export const NETWORK_CONFIGMAPS: ReadonlySet<string> = new Set([
  'kube-proxy', 'kube-proxy-config', 'calico-config', 'canal-config', 'cilium-config', 'kube-flannel-cfg',
  'antrea-config', 'amazon-vpc-cni', 'kube-router-cfg',
]);

/** A ConfigMap named like a networking agent's configuration (see {@link NETWORK_CONFIGMAPS}). */
export function isNetworkConfigMap(o: KubeObject): boolean {
  return o.kind === 'ConfigMap' && NETWORK_CONFIGMAPS.has(o.name);
}
