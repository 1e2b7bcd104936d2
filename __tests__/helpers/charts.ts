/**
 * Test helpers for chart adapters (src/helm/charts/*): render a values file through an adapter into plain
 * manifests, and list the watch-all findings of a set of files as `rule severity key` lines, so a values
 * file and the chart's rendered output (the corpus pairs) can be compared.
 */
import jsyaml from 'js-yaml';
import { defaultConfig } from '../../src/config.js';
import { analyze } from '../../src/engine.js';
import type { ChartAdapter, ReleaseInfo } from '../../src/helm/chart.js';
import { LayeredValues } from '../../src/helm/values.js';
import { treeFromFiles } from '../../src/tree.js';
import { RULES } from '../../rules/index.js';
import { changeSetOf } from './rule-tester.js';

/** The merged values of one values text over the adapter's defaults (and the chart's own values.yaml text, if given). */
export function valuesOf(adapter: ChartAdapter, valuesText: string, chartValuesText?: string): LayeredValues {
  const parse = (t: string) => (jsyaml.load(t) ?? {}) as Record<string, unknown>;
  return new LayeredValues([
    { doc: adapter.defaults },
    ...(chartValuesText !== undefined ? [{ doc: parse(chartValuesText), at: { file: 'chart/values.yaml', docIndex: 0, docPath: [] } }] : []),
    { doc: parse(valuesText), at: { file: 'values.yaml', docIndex: 0, docPath: [] } },
  ]);
}

/** The adapter's objects for a values text, as one multi-document YAML manifest. */
export function renderManifest(adapter: ChartAdapter, valuesText: string, release: Partial<ReleaseInfo> = {}, chartValuesText?: string): string {
  const info: ReleaseInfo = { name: 'example', namespace: 'default', chart: adapter.charts[0], ...release };
  const docs = adapter.render(info, valuesOf(adapter, valuesText, chartValuesText));
  return docs.map((d) => jsyaml.dump(d.doc, { noRefs: true, lineWidth: -1 })).join('---\n');
}

/** The watch-all findings of some files (all added in one change), as sorted `rule severity key` lines. */
export function watchAllFindings(files: Record<string, string>, family = 'watch-all'): string[] {
  const head = treeFromFiles('head', Object.entries(files).map(([path, text]) => ({ path, text })));
  const base = treeFromFiles('base', []);
  const { report } = analyze({ changes: changeSetOf({}, files), base, head, config: defaultConfig(), rules: RULES.filter((r) => r.meta.family === family) });
  return report.findings.map((f) => `${f.ruleId} ${f.severity} ${f.key}`).sort();
}
