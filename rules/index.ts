/** Every rule of Blast Radius. Adding a rule: its module here, its doc under docs/rules/, its table test. */
import type { Rule } from '../src/rule.js';
import { admissionWebhook } from './blast-radius/admission-webhook.js';
import { newDaemonset } from './blast-radius/new-daemonset.js';
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

export const RULES: readonly Rule[] = [admissionWebhook, newDaemonset, daemonsetClusterWatch, prometheusSd, alloyDiscovery, otelK8sattributes, otelClusterReceivers, fluentBitKubernetes, beatsClusterScope, kubeStateMetricsDaemonset, datadogAgent, vectorApiserverCache, agentPollInterval];
