/** Every rule of Blast Radius. Adding a rule: its module here, its doc under docs/rules/, its table test. */
import type { Rule } from '../src/rule.js';
import { admissionWebhook } from './blast-radius/admission-webhook.js';
import { clusterDns } from './blast-radius/cluster-dns.js';
import { apiPriorityFairness } from './blast-radius/api-priority-fairness.js';
import { calicoTypha } from './blast-radius/calico-typha.js';
import { crdVersions } from './blast-radius/crd-versions.js';
import { deletion } from './blast-radius/deletion.js';
import { kubeSystemNetworkPolicy } from './blast-radius/kube-system-network-policy.js';
import { masterNodeSelector } from './blast-radius/master-node-selector.js';
import { networkDaemonset } from './blast-radius/network-daemonset.js';
import { fleetFanOut } from './blast-radius/fleet-fan-out.js';
import { newDaemonset } from './blast-radius/new-daemonset.js';
import { priorityClassDefault } from './blast-radius/priority-class-default.js';
import { rbacWildcard } from './blast-radius/rbac-wildcard.js';
import { tolerateAllDaemonset } from './blast-radius/tolerate-all-daemonset.js';
import { agentPollInterval } from './watch-all/agent-poll-interval.js';
import { alloyDiscovery } from './watch-all/alloy-discovery.js';
import { beatsClusterScope } from './watch-all/beats-cluster-scope.js';
import { daemonsetClusterWatch } from './watch-all/daemonset-cluster-watch.js';
import { datadogAgent } from './watch-all/datadog-agent.js';
import { fluentBitKubernetes } from './watch-all/fluent-bit-kubernetes.js';
import { kubeStateMetricsDaemonset } from './watch-all/kube-state-metrics-daemonset.js';
import { otelClusterReceivers } from './watch-all/otel-cluster-receivers.js';
import { otelK8sattributes } from './watch-all/otel-k8sattributes.js';
import { prometheusSd } from './watch-all/prometheus-sd.js';
import { vectorApiserverCache } from './watch-all/vector-apiserver-cache.js';

export const RULES: readonly Rule[] = [admissionWebhook, newDaemonset, fleetFanOut, clusterDns, networkDaemonset, calicoTypha, apiPriorityFairness, crdVersions, deletion, masterNodeSelector, tolerateAllDaemonset, priorityClassDefault, kubeSystemNetworkPolicy, rbacWildcard, daemonsetClusterWatch, prometheusSd, alloyDiscovery, otelK8sattributes, otelClusterReceivers, fluentBitKubernetes, beatsClusterScope, kubeStateMetricsDaemonset, datadogAgent, vectorApiserverCache, agentPollInterval];
