/** Kubernetes facts the engine needs: which kinds are cluster-scoped, where a workload keeps its pod spec. */
import type { KubeObject, YamlPath } from './types.js';
import { asMap, getIn } from './yaml/walk.js';

/** Built-in (and common add-on) kinds that have no namespace. */
export const CLUSTER_SCOPED_KINDS: ReadonlySet<string> = new Set([
  'Namespace', 'Node', 'PersistentVolume', 'StorageClass', 'ClusterRole', 'ClusterRoleBinding',
  'CustomResourceDefinition', 'ValidatingWebhookConfiguration', 'MutatingWebhookConfiguration',
  'ValidatingAdmissionPolicy', 'ValidatingAdmissionPolicyBinding', 'MutatingAdmissionPolicy',
  'MutatingAdmissionPolicyBinding', 'APIService', 'PriorityClass', 'PriorityLevelConfiguration', 'FlowSchema',
  'CSIDriver', 'CSINode', 'IngressClass', 'RuntimeClass', 'VolumeAttachment', 'CertificateSigningRequest',
  'ComponentStatus', 'ClusterIssuer', 'ClusterPolicy', 'ClusterSecretStore', 'GatewayClass', 'ClusterTrustBundle',
  'DeviceClass', 'ResourceSlice', 'StorageVersionMigration', 'IPAddress', 'ServiceCIDR',
]);

export function isClusterScoped(kind: string): boolean {
  return CLUSTER_SCOPED_KINDS.has(kind);
}

/** Where a workload kind keeps its PodSpec. */
const POD_SPEC_PATHS: Readonly<Record<string, YamlPath>> = {
  Pod: ['spec'],
  Deployment: ['spec', 'template', 'spec'],
  DaemonSet: ['spec', 'template', 'spec'],
  StatefulSet: ['spec', 'template', 'spec'],
  ReplicaSet: ['spec', 'template', 'spec'],
  ReplicationController: ['spec', 'template', 'spec'],
  Job: ['spec', 'template', 'spec'],
  CronJob: ['spec', 'jobTemplate', 'spec', 'template', 'spec'],
};

/** The path of a workload's PodSpec inside the object, or undefined for kinds without one. */
/** The kinds that hold a PodSpec. */
export const POD_SPEC_KINDS: readonly string[] = Object.keys(POD_SPEC_PATHS);

export function podSpecPath(kind: string): YamlPath | undefined {
  // Own keys only: `kind: constructor` must not find Object.prototype's.
  return Object.hasOwn(POD_SPEC_PATHS, kind) ? POD_SPEC_PATHS[kind] : undefined;
}

/** A workload's PodSpec, or undefined. */
export function podSpecOf(o: Pick<KubeObject, 'kind' | 'doc'>): Record<string, unknown> | undefined {
  const path = podSpecPath(o.kind);
  return path ? asMap(getIn(o.doc, path)) : undefined;
}

/** An object's labels (string values only: the API server rejects any other). */
export function labelsOf(o: Pick<KubeObject, 'doc'>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(asMap(getIn(o.doc, ['metadata', 'labels'])) ?? {})) if (typeof v === 'string') out[k] = v;
  return out;
}
