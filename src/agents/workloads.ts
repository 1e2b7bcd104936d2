/**
 * Per-node workloads (RULEBOOK conventions: DaemonSet, OpenTelemetryCollector / PrometheusAgent CRs in
 * daemonset mode) and node-infrastructure agents (kube-proxy, CNI), shared by the watch-all rules.
 */
import type { KubeObject } from '../types.js';
import { asList, asString, getIn, stringMap } from '../yaml/walk.js';

/** Node-infrastructure agents that watch cluster-wide by design: names and `k8s-app` label values. */
const INFRA_NAME =
  /^(kube-proxy(-.+)?|calico-node|canal|cilium|cilium-agent|aws-node|kube-flannel(-ds(-.+)?)?|flannel|antrea-agent(-windows)?|weave-net|kube-router|kube-ovn-cni|ovnkube-node|kube-multus-ds(-.+)?)$/;
/** Their images (repository paths). */
const INFRA_IMAGE = [
  /kube-proxy/,
  /(^|\/)calico\/node([:@]|$)/,
  /(^|\/)cilium\/cilium([:@]|$)/,
  /amazon-k8s-cni/,
  /(^|\/)flannel([:@]|$)/,
  /(^|\/)antrea-(agent|ubuntu)[\w-]*([:@]|$)/,
  /(^|\/)weave-kube([:@]|$)/,
  /(^|\/)kube-router([:@]|$)/,
];

/** The kind of per-node workload an object is, or undefined. */
export function perNode(o: KubeObject): 'DaemonSet' | 'OpenTelemetryCollector' | 'PrometheusAgent' | undefined {
  if (o.kind === 'DaemonSet') return 'DaemonSet';
  const mode = asString(getIn(o.doc, ['spec', 'mode']));
  if (o.kind === 'OpenTelemetryCollector' && o.apiVersion.startsWith('opentelemetry.io/') && mode === 'daemonset') return 'OpenTelemetryCollector';
  if (o.kind === 'PrometheusAgent' && o.apiVersion.startsWith('monitoring.coreos.com/') && mode === 'DaemonSet') return 'PrometheusAgent';
  return undefined;
}


/** True for kube-proxy and CNI agents (see the module comment). */
export function isNodeInfrastructure(o: KubeObject): boolean {
  if (INFRA_NAME.test(o.name)) return true;
  for (const labels of [getIn(o.doc, ['metadata', 'labels']), getIn(o.doc, ['spec', 'template', 'metadata', 'labels'])]) {
    const l = stringMap(labels);
    for (const key of ['k8s-app', 'app.kubernetes.io/name']) if (l[key] !== undefined && INFRA_NAME.test(l[key])) return true;
  }
  const podSpec = getIn(o.doc, ['spec', 'template', 'spec']);
  for (const field of ['containers', 'initContainers']) {
    for (const c of asList(getIn(podSpec, [field]))) {
      const image = asString(getIn(c, ['image']));
      if (image && INFRA_IMAGE.some((re) => re.test(image))) return true;
    }
  }
  return false;
}

