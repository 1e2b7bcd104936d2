/**
 * Helm releases through the whole engine (issue 9): umbrella charts, per-environment values files, Flux
 * HelmReleases and Argo CD Applications are analysed like manifests, reach the clusters their location or
 * destination names, and findings point at the values lines.
 */
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config.js';
import { analyze } from '../../src/engine.js';
import { treeFromFiles } from '../../src/tree.js';
import type { Finding, ParsedFile } from '../../src/types.js';
import { RULES } from '../../rules/index.js';
import { changeSetOf } from '../helpers/rule-tester.js';

const FLEET = `fleet:
  clusters:
    - { name: staging, nodes: 60, stage: staging, paths: ["clusters/staging/**"], argocd: { name: staging } }
    - { name: prod-us, nodes: 4800, stage: prod, paths: ["clusters/prod-us/**"], argocd: { name: prod-us } }
    - { name: prod-eu, nodes: 3200, stage: prod, paths: ["clusters/prod-eu/**"], argocd: { server: "https://eu.example.com" } }
rollout:
  stages: [staging, prod]
`;

function run(base: Record<string, string>, head: Record<string, string>, family?: string) {
  const parsed = parseConfig(head['.blast-radius.yml'] ?? FLEET, RULES.map((r) => r.meta.id));
  if (!parsed.ok) throw new Error('bad config');
  const cache = new Map<string, ParsedFile>();
  const inputs = (files: Record<string, string>) => Object.entries(files).map(([path, text]) => ({ path, text }));
  const { report } = analyze({
    changes: changeSetOf(base, head),
    base: treeFromFiles('base', inputs(base), cache),
    head: treeFromFiles('head', inputs(head), cache),
    config: parsed.config,
    rules: family ? RULES.filter((r) => r.meta.family === family) : RULES,
  });
  return report;
}

const show = (f: Finding) => `${f.ruleId} ${f.severity} ${f.file}:${f.line} [${f.clusters.join(',')}]`;

/** The 1-based line of the first line of `text` that contains `needle`. */
function lineWith(text: string, needle: string): number {
  const i = text.split('\n').findIndex((l) => l.includes(needle));
  if (i < 0) throw new Error(`no line with ${needle}`);
  return i + 1;
}

export { run, show, lineWith, FLEET };

describe('Flux HelmRelease of Fluent Bit', () => {
  const repo = 'apiVersion: source.toolkit.fluxcd.io/v1\nkind: HelmRepository\nmetadata: { name: fluent, namespace: flux-system }\nspec: { url: https://fluent.github.io/helm-charts }\n';
  const release = (inputs: string) => `apiVersion: helm.toolkit.fluxcd.io/v2
kind: HelmRelease
metadata:
  name: fluent-bit
  namespace: logging
spec:
  interval: 10m
  chart:
    spec:
      chart: fluent-bit
      version: 0.58.1
      sourceRef: { kind: HelmRepository, name: fluent, namespace: flux-system }
  values:
    image:
      tag: 5.1.1
    config:
      inputs: |
        [INPUT]
            Name tail
            Path /var/log/containers/*.log
            Tag kube.*
${inputs}`;
  const events = '        [INPUT]\n            Name kubernetes_events\n            Tag k8s_events\n';
  const files = (inputs: string, cluster = 'prod-us') => ({
    '.blast-radius.yml': FLEET,
    [`clusters/${cluster}/logging/repo.yaml`]: repo,
    [`clusters/${cluster}/logging/fluent-bit.yaml`]: release(inputs),
  });

  it('flags a kubernetes_events input added to the DaemonSet on the values line, in the HelmRelease\'s cluster', () => {
    const head = files(events);
    const report = run(files(''), head, 'watch-all');
    const found = report.findings.filter((f) => f.ruleId === 'watch-all/fluent-bit-kubernetes');
    expect(found.map(show)).toEqual([`watch-all/fluent-bit-kubernetes critical clusters/prod-us/logging/fluent-bit.yaml:${lineWith(head['clusters/prod-us/logging/fluent-bit.yaml'], 'Name kubernetes_events')} [prod-us]`]);
    expect(found[0].resource).toBe('DaemonSet/logging/fluent-bit');
  });

  it('stays quiet on an image tag bump of the same release', () => {
    const base = files(events);
    const head = { ...base, 'clusters/prod-us/logging/fluent-bit.yaml': base['clusters/prod-us/logging/fluent-bit.yaml'].replace('tag: 5.1.1', 'tag: 5.1.2') };
    expect(run(base, head, 'watch-all').findings.map(show)).toEqual([]);
  });
});

describe('Argo CD Application of Fluent Bit', () => {
  const app = (dest: string, inputs: string) => `apiVersion: argoproj.io/v1alpha1
kind: Application
metadata:
  name: fluent-bit
  namespace: argocd
spec:
  project: default
  destination:
    ${dest}
    namespace: logging
  source:
    repoURL: https://fluent.github.io/helm-charts
    chart: fluent-bit
    targetRevision: 0.58.1
    helm:
      valuesObject:
        config:
          inputs: |
            [INPUT]
                Name tail
                Path /var/log/containers/*.log
${inputs}
  syncPolicy:
    automated: {}
`;
  const events = '            [INPUT]\n                Name kubernetes_events\n';

  it('analyses a valuesObject edit like a values file and reaches the destination cluster', () => {
    const base = { '.blast-radius.yml': FLEET, 'argocd/fluent-bit.yaml': app('server: https://eu.example.com', '') };
    const head = { ...base, 'argocd/fluent-bit.yaml': app('server: https://eu.example.com', events) };
    const found = run(base, head, 'watch-all').findings.filter((f) => f.ruleId === 'watch-all/fluent-bit-kubernetes');
    expect(found.map(show)).toEqual([`watch-all/fluent-bit-kubernetes critical argocd/fluent-bit.yaml:${lineWith(head['argocd/fluent-bit.yaml'], 'Name kubernetes_events')} [prod-eu]`]);
    expect(found[0].resource).toBe('DaemonSet/logging/fluent-bit');
  });

  it('reads helm.values text and valueFiles of a multi-source Application', () => {
    const multi = () => `apiVersion: argoproj.io/v1alpha1
kind: Application
metadata: { name: logs, namespace: argocd }
spec:
  destination: { name: staging, namespace: logging }
  sources:
    - repoURL: https://fluent.github.io/helm-charts
      chart: fluent-bit
      targetRevision: 0.58.1
      helm:
        releaseName: logs
        valueFiles: [$values/values/fluent-bit/staging.yaml]
        values: |
          image:
            tag: 5.1.1
    - repoURL: https://git.example.com/infra.git
      ref: values
`;
    const values = (inputs: string) => `config:\n  inputs: |\n    [INPUT]\n        Name tail\n${inputs}`;
    const base = { '.blast-radius.yml': FLEET, 'argocd/logs.yaml': multi(), 'values/fluent-bit/staging.yaml': values('') };
    const head = { ...base, 'values/fluent-bit/staging.yaml': values('    [INPUT]\n        Name kubernetes_events\n') };
    const found = run(base, head, 'watch-all').findings.filter((f) => f.ruleId === 'watch-all/fluent-bit-kubernetes');
    expect(found.map(show)).toEqual([`watch-all/fluent-bit-kubernetes ${found[0]?.severity} values/fluent-bit/staging.yaml:6 [staging]`]);
    expect(found[0].resource).toBe('DaemonSet/logging/logs-fluent-bit');
  });
});

describe('a chart directory with per-environment values files', () => {
  const chart = 'apiVersion: v2\nname: fluent-bit\nversion: 0.58.1\n';
  const inputs = (extra: string) => `config:\n  inputs: |\n    [INPUT]\n        Name tail\n        Path /var/log/containers/*.log\n${extra}`;
  const events = '    [INPUT]\n        Name kubernetes_events\n';
  const base = {
    '.blast-radius.yml': FLEET,
    'charts/fluent-bit/Chart.yaml': chart,
    'charts/fluent-bit/values.yaml': inputs(''),
    'charts/fluent-bit/values-staging.yaml': 'image:\n  tag: 5.1.1\n',
    'charts/fluent-bit/values-production.yaml': 'image:\n  tag: 5.1.0\n',
    'charts/fluent-bit/templates/daemonset.yaml': 'apiVersion: apps/v1\nkind: DaemonSet\nmetadata:\n  name: {{ include "fluent-bit.fullname" . }}\n',
  };

  it('maps the chart\'s values.yaml to every environment that deploys it', () => {
    const head = { ...base, 'charts/fluent-bit/values.yaml': inputs(events) };
    const found = run(base, head, 'watch-all').findings.filter((f) => f.ruleId === 'watch-all/fluent-bit-kubernetes');
    expect(found.map(show)).toEqual([`watch-all/fluent-bit-kubernetes critical charts/fluent-bit/values.yaml:7 [prod-eu,prod-us,staging]`]);
  });

  it('maps values-<env>.yaml to the clusters of that stage only', () => {
    const head = { ...base, 'charts/fluent-bit/values-staging.yaml': `image:\n  tag: 5.1.1\n${inputs(events)}` };
    const found = run(base, head, 'watch-all').findings.filter((f) => f.ruleId === 'watch-all/fluent-bit-kubernetes');
    expect(found.map((f) => `${f.file}:${f.line} [${f.clusters.join(',')}]`)).toEqual(['charts/fluent-bit/values-staging.yaml:9 [staging]']);
    // Staging is 60 nodes: the model's severity there, not production's.
    expect(found[0].severity).not.toBe('critical');
  });

  it('stays quiet when an environment file only bumps the image', () => {
    const withEvents = { ...base, 'charts/fluent-bit/values.yaml': inputs(events) };
    const head = { ...withEvents, 'charts/fluent-bit/values-production.yaml': 'image:\n  tag: 5.1.1\n' };
    expect(run(withEvents, head, 'watch-all').findings.map(show)).toEqual([]);
  });

  it('reports the changed values file\'s clusters as affected', () => {
    const head = { ...base, 'charts/fluent-bit/values-staging.yaml': 'image:\n  tag: 5.1.2\n' };
    const report = run(base, head);
    expect(report.clusters.filter((c) => c.affected).map((c) => c.name)).toEqual(['staging']);
  });
});

describe('an umbrella chart with the opentelemetry-collector subchart', () => {
  const chart = `apiVersion: v2
name: telemetry
version: 1.4.0
dependencies:
  - name: opentelemetry-collector
    alias: agent
    version: 0.170.0
    repository: https://open-telemetry.github.io/opentelemetry-helm-charts
    condition: agent.enabled
`;
  const values = (mode: string, extra = '') => `agent:
  enabled: true
  mode: ${mode}
  image:
    repository: otel/opentelemetry-collector-k8s
    tag: 0.139.0
  config:
    processors:
      k8sattributes:
        extract:
          metadata: [k8s.pod.name, k8s.namespace.name]
    service:
      pipelines:
        traces:
          processors: [k8sattributes, batch]
${extra}`;
  const repo = (valuesText: string) => ({
    '.blast-radius.yml': FLEET,
    'charts/telemetry/Chart.yaml': chart,
    'charts/telemetry/values.yaml': valuesText,
    'charts/telemetry/values-staging.yaml': 'agent:\n  resources: { limits: { memory: 256Mi } }\n',
    'charts/telemetry/values-prod.yaml': 'agent:\n  resources: { limits: { memory: 1Gi } }\n',
  });

  it('flags switching the subchart to daemonset mode with an unfiltered k8sattributes, on the values line, staging trap included', () => {
    const base = repo(values('deployment'));
    const head = repo(values('daemonset'));
    const found = run(base, head, 'watch-all').findings.filter((f) => f.ruleId === 'watch-all/otel-k8sattributes');
    expect(found.map(show)).toEqual([`watch-all/otel-k8sattributes critical charts/telemetry/values.yaml:${lineWith(head['charts/telemetry/values.yaml'], 'k8sattributes:')} [prod-eu,prod-us,staging]`]);
    expect(found[0].resource).toBe('DaemonSet/telemetry-agent-agent');
    expect(found[0].message).toContain('staging');
  });

  it('stays quiet on a harmless values change (resources, image tag) of the same daemonset', () => {
    const base = repo(values('daemonset'));
    const head = repo(values('daemonset').replace('tag: 0.139.0', 'tag: 0.140.0').replace('  enabled: true\n', '  enabled: true\n  resources: { limits: { cpu: "1" } }\n'));
    expect(run(base, head, 'watch-all').findings.map(show)).toEqual([]);
  });

  it('stays quiet when the preset adds k8sattributes: the chart filters it to the node', () => {
    const preset = `agent:\n  enabled: true\n  mode: daemonset\n  image: { repository: otel/opentelemetry-collector-k8s }\n  presets:\n    kubernetesAttributes:\n      enabled: true\n      extractAllPodLabels: true\n`;
    const found = run(repo(preset.replace('daemonset', 'deployment')), repo(preset), 'watch-all').findings;
    expect(found.filter((f) => f.severity === 'critical' || f.severity === 'high').map(show)).toEqual([]);
  });

  it('renders nothing for a subchart its condition turns off', () => {
    const off = values('daemonset').replace('  enabled: true\n', '  enabled: false\n');
    expect(run(repo(values('deployment')), repo(off), 'watch-all').findings.map(show)).toEqual([]);
  });

  it('points a prod-only switch at the prod values file and reaches only prod', () => {
    const base = repo(values('deployment'));
    const head = { ...base, 'charts/telemetry/values-prod.yaml': 'agent:\n  mode: daemonset\n  resources: { limits: { memory: 1Gi } }\n' };
    const found = run(base, head, 'watch-all').findings.filter((f) => f.ruleId === 'watch-all/otel-k8sattributes');
    // The processor is written in values.yaml; the clusters are prod's only.
    expect(found.map((f) => `${f.severity} ${f.file} [${f.clusters.join(',')}]`)).toEqual(['critical charts/telemetry/values.yaml [prod-eu,prod-us]']);
  });
});

describe('release discovery corner cases (review)', () => {
  const inputs = (extra: string, indent = '') => `${indent}config:\n${indent}  inputs: |\n${indent}    [INPUT]\n${indent}        Name tail\n${extra.replace(/^/gm, indent)}`;
  const events = '    [INPUT]\n        Name kubernetes_events\n';
  const fluent = (f: Finding[]) => f.filter((x) => x.ruleId === 'watch-all/fluent-bit-kubernetes').map((x) => `${x.file}:${x.line} [${x.clusters.join(',')}]`);

  it('keeps each ApplicationSet parameter set apart when the release name is fixed', () => {
    const appset = `apiVersion: argoproj.io/v1alpha1
kind: ApplicationSet
metadata: { name: logs, namespace: argocd }
spec:
  generators:
    - list:
        elements: [{ cluster: staging }, { cluster: prod-us }]
  template:
    metadata: { name: "logs-{{cluster}}" }
    spec:
      destination: { name: "{{cluster}}", namespace: logging }
      sources:
        - repoURL: https://fluent.github.io/helm-charts
          chart: fluent-bit
          targetRevision: 0.58.1
          helm:
            releaseName: fluent-bit
            valueFiles: ["$values/values/fluent-bit/{{cluster}}.yaml"]
        - { repoURL: "https://git.example.com/infra.git", ref: values }
`;
    const base = { '.blast-radius.yml': FLEET, 'argocd/logs.yaml': appset, 'values/fluent-bit/staging.yaml': inputs(''), 'values/fluent-bit/prod-us.yaml': inputs('') };
    const head = { ...base, 'values/fluent-bit/prod-us.yaml': inputs(events) };
    expect(fluent(run(base, head, 'watch-all').findings)).toEqual(['values/fluent-bit/prod-us.yaml:6 [prod-us]']);
  });

  it('judges a HelmRelease patched by one overlay in that overlay\'s cluster only, on a line of the base file', () => {
    const hr = `apiVersion: helm.toolkit.fluxcd.io/v2
kind: HelmRelease
metadata: { name: fluent-bit, namespace: logging }
spec:
  chart:
    spec: { chart: fluent-bit, sourceRef: { kind: HelmRepository, name: fluent } }
  values:
${inputs('', '    ')}`;
    const patch = `apiVersion: helm.toolkit.fluxcd.io/v2
kind: HelmRelease
metadata: { name: fluent-bit, namespace: logging }
spec:
  values:
${inputs(events, '    ')}`;
    const k = (...r: string[]) => `apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources: [${r.join(', ')}]\n`;
    const base = {
      '.blast-radius.yml': FLEET,
      'base/hr.yaml': hr,
      'base/kustomization.yaml': k('hr.yaml'),
      'clusters/staging/kustomization.yaml': k('../../base'),
      'clusters/prod-us/kustomization.yaml': k('../../base'),
    };
    const head = { ...base, 'clusters/prod-us/patch.yaml': patch, 'clusters/prod-us/kustomization.yaml': `${k('../../base')}patches:\n  - path: patch.yaml\n` };
    const found = run(base, head, 'watch-all').findings.filter((x) => x.ruleId === 'watch-all/fluent-bit-kubernetes');
    expect(found.map((x) => `${x.severity} ${x.file} [${x.clusters.join(',')}]`)).toEqual(['critical base/hr.yaml [prod-us]']);
    expect(found[0].line).toBeLessThanOrEqual(hr.split('\n').length);
  });

  it('reads valuesFrom from the ConfigMap of exactly that name', () => {
    const hr = `apiVersion: helm.toolkit.fluxcd.io/v2
kind: HelmRelease
metadata: { name: fluent-bit, namespace: logging }
spec:
  chart:
    spec: { chart: fluent-bit, sourceRef: { kind: HelmRepository, name: fluent } }
  valuesFrom:
    - { kind: ConfigMap, name: fluent-bit }
---
apiVersion: v1
kind: ConfigMap
metadata: { name: fluent-bit-dashboards, namespace: logging }
data: { dashboard.json: "{}" }
---
apiVersion: v1
kind: ConfigMap
metadata: { name: fluent-bit, namespace: logging }
data:
  values.yaml: |
${inputs(events, '    ')}`;
    const report = run({ '.blast-radius.yml': FLEET }, { '.blast-radius.yml': FLEET, 'clusters/prod-us/logs.yaml': hr }, 'watch-all');
    expect(fluent(report.findings)).toEqual([`clusters/prod-us/logs.yaml:${lineWith(hr, 'Name kubernetes_events')} [prod-us]`]);
    expect(report.notes.filter((n) => n.includes('valuesFrom'))).toEqual([]);
  });

  it('refuses values text that expands through aliases, with a note', () => {
    const levels = ['a: &a [x, x, x, x, x, x, x, x, x, x]'];
    for (let i = 1; i < 7; i++) levels.push(`${String.fromCharCode(97 + i)}: &${String.fromCharCode(97 + i)} [${Array(10).fill(`*${String.fromCharCode(96 + i)}`).join(', ')}]`);
    const app = `apiVersion: argoproj.io/v1alpha1
kind: Application
metadata: { name: otel, namespace: argocd }
spec:
  destination: { name: prod-us, namespace: otel }
  source:
    repoURL: https://open-telemetry.github.io/opentelemetry-helm-charts
    chart: opentelemetry-collector
    helm:
      values: |
        mode: daemonset
        bomb:
${levels.map((l) => `          ${l}`).join('\n')}
`;
    const started = Date.now();
    const report = run({ '.blast-radius.yml': FLEET }, { '.blast-radius.yml': FLEET, 'argocd/otel.yaml': app });
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(report.notes.some((n) => n.includes("helm.values is not a YAML mapping"))).toBe(true);
  });

  it('counts a chart an ApplicationSet deploys through a templated path once, in its destination', () => {
    const appset = `apiVersion: argoproj.io/v1alpha1
kind: ApplicationSet
metadata: { name: charts, namespace: argocd }
spec:
  generators:
    - git: { repoURL: "https://git.example.com/infra.git", revision: HEAD, directories: [{ path: "charts/*" }] }
  template:
    metadata: { name: "{{path.basename}}" }
    spec:
      destination: { name: prod-us, namespace: logging }
      source: { repoURL: "https://git.example.com/infra.git", path: "{{path}}" }
`;
    const base = { '.blast-radius.yml': FLEET, 'argocd/charts.yaml': appset, 'charts/fluent-bit/Chart.yaml': 'apiVersion: v2\nname: fluent-bit\nversion: 0.58.1\n', 'charts/fluent-bit/values.yaml': inputs('') };
    const head = { ...base, 'charts/fluent-bit/values.yaml': inputs(events) };
    expect(fluent(run(base, head, 'watch-all').findings)).toEqual(['charts/fluent-bit/values.yaml:6 [prod-us]']);
  });

  it('lets Flux valuesFiles replace the chart\'s values.yaml', () => {
    const hr = `apiVersion: helm.toolkit.fluxcd.io/v2
kind: HelmRelease
metadata: { name: fluent-bit, namespace: logging }
spec:
  chart:
    spec:
      chart: ./charts/fluent-bit
      sourceRef: { kind: GitRepository, name: infra }
      valuesFiles: [./charts/fluent-bit/values-prod.yaml]
`;
    const base = { '.blast-radius.yml': FLEET, 'clusters/prod-us/hr.yaml': hr, 'charts/fluent-bit/Chart.yaml': 'apiVersion: v2\nname: fluent-bit\nversion: 0.58.1\n', 'charts/fluent-bit/values.yaml': inputs(''), 'charts/fluent-bit/values-prod.yaml': 'image: { tag: 5.1.1 }\n' };
    // values.yaml is not deployed: a dangerous edit there reaches no cluster.
    expect(fluent(run(base, { ...base, 'charts/fluent-bit/values.yaml': inputs(events) }, 'watch-all').findings)).toEqual([]);
    expect(fluent(run(base, { ...base, 'charts/fluent-bit/values-prod.yaml': `image: { tag: 5.1.1 }\n${inputs(events)}` }, 'watch-all').findings)).toEqual(['charts/fluent-bit/values-prod.yaml:7 [prod-us]']);
  });

  it('does not read a repository file for a chart-repository source\'s plain valueFiles entry', () => {
    const app = `apiVersion: argoproj.io/v1alpha1
kind: Application
metadata: { name: fluent-bit, namespace: argocd }
spec:
  destination: { name: prod-us, namespace: logging }
  source: { repoURL: "https://fluent.github.io/helm-charts", chart: fluent-bit, targetRevision: 0.58.1, helm: { valueFiles: [values.yaml] } }
`;
    const base = { '.blast-radius.yml': FLEET, 'argocd/fluent-bit.yaml': app, 'values.yaml': inputs('') };
    const report = run(base, { ...base, 'values.yaml': inputs(events) }, 'watch-all');
    expect(fluent(report.findings)).toEqual([]);
    expect(report.notes.some((n) => n.includes('inside the chart package'))).toBe(true);
  });
});
