/**
 * The corpus pairs of issue 9 through the whole pipeline: a chart directory, a Flux HelmRelease naming the
 * example's values file, and the chart's own rendering of the same values (committed upstream) must give
 * the same watch-all findings (rule and severity) in the same cluster. Skipped without the corpus.
 */
import { readdirSync, statSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config.js';
import { analyze } from '../../src/engine.js';
import { treeFromFiles } from '../../src/tree.js';
import { RULES } from '../../rules/index.js';
import { CORPUS_DIR, HAS_CORPUS, readCorpus } from '../helpers/corpus.js';
import { changeSetOf } from '../helpers/rule-tester.js';

const CONFIG = 'fleet:\n  clusters:\n    - { name: prod-us, nodes: 4800, stage: prod, paths: ["clusters/prod-us/**"] }\n';

function watchAll(files: Record<string, string>) {
  const parsed = parseConfig(CONFIG, RULES.map((r) => r.meta.id));
  if (!parsed.ok) throw new Error('bad config');
  const all = { '.blast-radius.yml': CONFIG, ...files };
  const { report } = analyze({
    changes: changeSetOf({}, all),
    base: treeFromFiles('base', []),
    head: treeFromFiles('head', Object.entries(all).map(([path, text]) => ({ path, text }))),
    config: parsed.config,
    rules: RULES.filter((r) => r.meta.family === 'watch-all'),
  });
  return report.findings;
}

function yamlFiles(dir: string): string[] {
  const out: string[] = [];
  for (const f of readdirSync(CORPUS_DIR + dir)) {
    const p = `${dir}/${f}`;
    if (statSync(CORPUS_DIR + p).isDirectory()) out.push(...yamlFiles(p));
    else if (/\.ya?ml$/.test(f)) out.push(p);
  }
  return out.sort();
}

/**
 * A repository deploying a corpus chart through Flux HelmReleases with the chart's values.yaml and one values
 * file of the example each (an example with a DaemonSet and a Deployment values file is two releases).
 */
function valuesRepo(chartDir: string, chartName: string, exampleValues: readonly string[], release: { name: string; namespace: string }) {
  const files: Record<string, string> = {
    [`charts/${chartName}/Chart.yaml`]: readCorpus(`${chartDir}/Chart.yaml`),
    [`charts/${chartName}/values.yaml`]: readCorpus(`${chartDir}/values.yaml`),
  };
  const releases = exampleValues.map((v, i) => {
    files[`charts/${chartName}/example-${i}-values.yaml`] = readCorpus(v);
    return `apiVersion: helm.toolkit.fluxcd.io/v2
kind: HelmRelease
metadata: { name: ${release.name}-${i}, namespace: flux-system }
spec:
  releaseName: ${release.name}
  targetNamespace: ${release.namespace}
  chart:
    spec:
      chart: ./charts/${chartName}
      sourceRef: { kind: GitRepository, name: infra }
      valuesFiles: [values.yaml, example-${i}-values.yaml]
`;
  });
  files['clusters/prod-us/release.yaml'] = releases.join('---\n');
  return files;
}

function renderedRepo(files: readonly string[]) {
  return Object.fromEntries(files.map((f) => [`clusters/prod-us/rendered/${f.split('/').slice(-2).join('/')}`, readCorpus(f)]));
}

const ruleSeverity = (fs: ReturnType<typeof watchAll>) => fs.map((f) => `${f.ruleId} ${f.severity}`).sort();

interface Pair {
  name: string;
  values: string[];
  rendered: string[];
}

function pairsOf(family: string): { chartDir: string; chartName: string; release: { name: string; namespace: string }; pairs: Pair[] } {
  if (family === 'otel') {
    const chartDir = 'open-telemetry+opentelemetry-helm-charts/charts/opentelemetry-collector';
    const examples = readdirSync(`${CORPUS_DIR}${chartDir}/examples`).sort();
    return { chartDir, chartName: 'opentelemetry-collector', release: { name: 'example', namespace: 'default' }, pairs: examples.map((e) => ({ name: e, values: readdirSync(`${CORPUS_DIR}${chartDir}/examples/${e}`).filter((f) => /values\.yaml$/.test(f)).sort().map((f) => `${chartDir}/examples/${e}/${f}`), rendered: yamlFiles(`${chartDir}/examples/${e}/rendered`) })) };
  }
  if (family === 'datadog') {
    const chartDir = 'DataDog+helm-charts/charts/datadog';
    const base = 'DataDog+helm-charts/test/datadog/baseline';
    return {
      chartDir,
      chartName: 'datadog',
      release: { name: 'datadog', namespace: 'datadog-agent' },
      pairs: readdirSync(`${CORPUS_DIR}${base}/values`).sort().map((f) => ({ name: f, values: [`${base}/values/${f}`], rendered: [`${base}/manifests/${f}`] })),
    };
  }
  const chartDir = 'grafana+alloy/operations/helm/charts/alloy';
  const tests = 'grafana+alloy/operations/helm/tests';
  return {
    chartDir,
    chartName: 'alloy',
    release: { name: 'alloy', namespace: 'default' },
    pairs: readdirSync(`${CORPUS_DIR}${chartDir}/ci`)
      .filter((f) => f.endsWith('-values.yaml'))
      .sort()
      .map((f) => ({ name: f, values: [`${chartDir}/ci/${f}`], rendered: yamlFiles(`${tests}/${f.replace(/-values\.yaml$/, '')}`) })),
  };
}

describe.skipIf(!HAS_CORPUS)('values file and rendered manifests agree through the pipeline', () => {
  for (const family of ['otel', 'datadog', 'alloy'] as const) {
    describe(family, () => {
      const { chartDir, chartName, release, pairs } = HAS_CORPUS ? pairsOf(family) : { chartDir: '', chartName: '', release: { name: '', namespace: '' }, pairs: [] as Pair[] };
      it('has its pairs', () => expect(pairs.length).toBeGreaterThan(20));
      for (const p of pairs) {
        it(p.name, () => {
          const fromValues = watchAll(valuesRepo(chartDir, chartName, p.values, release));
          const fromRendered = watchAll(renderedRepo(p.rendered));
          expect(ruleSeverity(fromValues)).toEqual(ruleSeverity(fromRendered));
          // Findings from values point at a values file or the HelmRelease, on a real line.
          for (const f of fromValues) {
            expect(f.file).toMatch(/^(charts\/.+\.yaml|clusters\/prod-us\/release\.yaml)$/);
            expect(f.line).toBeGreaterThanOrEqual(1);
            expect(f.clusters).toEqual(['prod-us']);
          }
        });
      }
    });
  }
});
