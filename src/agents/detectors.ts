/**
 * Every watch-all config detector, so `watch-all/daemonset-cluster-watch` can take an agent's scope from its
 * config (see kit.ts configScope). Each config rule registers its detector here.
 */
import { detector as agentPollInterval } from '../../rules/watch-all/agent-poll-interval.js';
import { detector as alloyDiscovery } from '../../rules/watch-all/alloy-discovery.js';
import { detector as beatsClusterScope } from '../../rules/watch-all/beats-cluster-scope.js';
import { detector as datadogAgent } from '../../rules/watch-all/datadog-agent.js';
import { detector as fluentBitKubernetes } from '../../rules/watch-all/fluent-bit-kubernetes.js';
import { detector as kubeStateMetricsDaemonset } from '../../rules/watch-all/kube-state-metrics-daemonset.js';
import { detector as otelClusterReceivers } from '../../rules/watch-all/otel-cluster-receivers.js';
import { detector as otelK8sattributes } from '../../rules/watch-all/otel-k8sattributes.js';
import { detector as prometheusSd } from '../../rules/watch-all/prometheus-sd.js';
import { detector as vectorApiserverCache } from '../../rules/watch-all/vector-apiserver-cache.js';
import type { Detector } from './kit.js';

export const DETECTORS: readonly Detector[] = [prometheusSd, alloyDiscovery, otelK8sattributes, otelClusterReceivers, fluentBitKubernetes, beatsClusterScope, kubeStateMetricsDaemonset, datadogAgent, vectorApiserverCache, agentPollInterval];
