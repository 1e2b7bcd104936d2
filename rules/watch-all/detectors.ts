/**
 * Every watch-all config detector, so `watch-all/daemonset-cluster-watch` can take an agent's scope from its
 * config (see src/agents/kit.ts configScope). Each config rule registers its detector here.
 */
import { detector as agentPollInterval } from './agent-poll-interval.js';
import { detector as alloyDiscovery } from './alloy-discovery.js';
import { detector as beatsClusterScope } from './beats-cluster-scope.js';
import { detector as datadogAgent } from './datadog-agent.js';
import { detector as fluentBitKubernetes } from './fluent-bit-kubernetes.js';
import { detector as kubeStateMetricsDaemonset } from './kube-state-metrics-daemonset.js';
import { detector as otelClusterReceivers } from './otel-cluster-receivers.js';
import { detector as otelK8sattributes } from './otel-k8sattributes.js';
import { detector as prometheusSd } from './prometheus-sd.js';
import { detector as vectorApiserverCache } from './vector-apiserver-cache.js';
import type { Detector } from '../../src/agents/kit.js';

export const DETECTORS: readonly Detector[] = [prometheusSd, alloyDiscovery, otelK8sattributes, otelClusterReceivers, fluentBitKubernetes, beatsClusterScope, kubeStateMetricsDaemonset, datadogAgent, vectorApiserverCache, agentPollInterval];
