/**
 * The OpenTelemetry Helm chart examples of the corpus (rendered manifests) shared by the OpenTelemetry
 * rule tests, and the annotation-only PR made on their per-node collector.
 */
import { readdirSync } from 'node:fs';
import { annotateNamed, CORPUS_DIR, readCorpus } from './corpus.js';

const CHARTS = 'open-telemetry+opentelemetry-helm-charts/charts/';
export const collectorExample = (name: string) => `${CHARTS}opentelemetry-collector/examples/${name}/rendered/`;
export const kubeStackExample = (name: string) => `${CHARTS}opentelemetry-kube-stack/examples/${name}/rendered/`;

/** Every rendered YAML file of an example folder, by corpus path (call only when the corpus is present). */
export function example(dir: string): Record<string, string> {
  return Object.fromEntries(
    readdirSync(CORPUS_DIR + dir)
      .filter((f) => f.endsWith('.yaml'))
      .sort()
      .map((f) => [dir + f, readCorpus(dir + f)]),
  );
}

/** The same files with the per-node collector annotated (an annotation-only PR). */
export function annotatedExample(files: Record<string, string>): Record<string, string> {
  return Object.fromEntries(
    Object.entries(files).map(([p, t]) => [p, annotateNamed(annotateNamed(t, 'DaemonSet', 'example-opentelemetry-collector-agent'), 'OpenTelemetryCollector', 'example-daemon')]),
  );
}

/** Lines of all the files together. */
export const lineCount = (files: Record<string, string>) => Object.values(files).reduce((n, t) => n + t.split('\n').length, 0);
