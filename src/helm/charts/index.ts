/** Every chart adapter (values-level knowledge of a chart); src/helm/releases.ts picks one by chart name. */
import type { ChartAdapter } from '../chart.js';
import { alloyChart } from './alloy.js';
import { datadogChart } from './datadog.js';
import { fluentBitChart } from './fluent-bit.js';
import { kubeStateMetricsChart } from './kube-state-metrics.js';
import { otelCollectorChart } from './opentelemetry-collector.js';
import { promtailChart } from './promtail.js';
import { vectorChart } from './vector.js';

export const ADAPTERS: readonly ChartAdapter[] = [alloyChart, datadogChart, fluentBitChart, kubeStateMetricsChart, otelCollectorChart, promtailChart, vectorChart];
