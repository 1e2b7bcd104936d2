/**
 * Fixtures of the canary rule tests: a Deployment / DaemonSet writer, Kustomize layouts and fleets with
 * stages. The test fleet (helpers/fleets.ts FLEET): canary-1 (60 nodes, stage canary), prod-us (4,800) and
 * prod-eu (3,200), stage prod.
 */
import { readdirSync } from 'node:fs';
import { CORPUS_DIR, HAS_CORPUS, readCorpus } from '../../helpers/corpus.js';

export { FLEET, SHARED } from '../../helpers/fleets.js';
export { HAS_CORPUS } from '../../helpers/corpus.js';

/** Three stages, one cluster folder each: dev-1 (20), staging-1 (100), prod-us (4,800), prod-eu (3,200). */
export const THREE_STAGES = `fleet:
  clusters:
    - { name: dev-1, nodes: 20, stage: dev, paths: ["clusters/dev-1/**"] }
    - { name: staging-1, nodes: 100, stage: staging, paths: ["clusters/staging-1/**"] }
    - { name: prod-us, nodes: 4800, stage: prod, paths: ["clusters/prod-us/**"] }
    - { name: prod-eu, nodes: 3200, stage: prod, paths: ["clusters/prod-eu/**"] }
rollout: { stages: [dev, staging, prod] }
`;

/** Two production clusters and nothing before them. */
export const PROD_ONLY = `fleet:
  clusters:
    - { name: prod-us, nodes: 4800, stage: prod, paths: ["clusters/prod-us/**"] }
    - { name: prod-eu, nodes: 3200, stage: prod, paths: ["clusters/prod-eu/**"] }
`;

/** A canary and four production clusters. */
export const FOUR_PROD = `fleet:
  clusters:
    - { name: canary-1, nodes: 60, stage: canary, paths: ["clusters/canary-1/**"] }
    - { name: prod-a, nodes: 1000, stage: prod, paths: ["clusters/prod-a/**"] }
    - { name: prod-b, nodes: 2000, stage: prod, paths: ["clusters/prod-b/**"] }
    - { name: prod-c, nodes: 3000, stage: prod, paths: ["clusters/prod-c/**"] }
    - { name: prod-d, nodes: 4000, stage: prod, paths: ["clusters/prod-d/**"] }
rollout: { stages: [canary, prod] }
`;

export interface WorkloadOpts {
  kind?: string;
  name?: string;
  image?: string;
  replicas?: number;
  label?: string;
  env?: string;
  apiVersion?: string;
}

/** A workload `shop/<name>` (Deployment by default) with one container `app`. */
export function workload(o: WorkloadOpts = {}): string {
  const name = o.name ?? 'web';
  return [
    `apiVersion: ${o.apiVersion ?? 'apps/v1'}`,
    `kind: ${o.kind ?? 'Deployment'}`,
    'metadata:',
    `  name: ${name}`,
    '  namespace: shop',
    ...(o.label ? ['  labels:', `    team: ${o.label}`] : []),
    'spec:',
    ...(o.replicas !== undefined ? [`  replicas: ${o.replicas}`] : []),
    '  selector:',
    `    matchLabels: {app: ${name}}`,
    '  template:',
    '    metadata:',
    `      labels: {app: ${name}}`,
    '    spec:',
    '      containers:',
    '      - name: app',
    `        image: ${o.image ?? 'example.com/web:1.0.0'}`,
    ...(o.env ? ['        env:', `        - {name: MODE, value: ${o.env}}`] : []),
    '',
  ].join('\n');
}

export const V1 = 'example.com/web:1.0.0';
export const V2 = 'example.com/web:2.0.0';
export const V3 = 'example.com/web:3.0.0';

/** An Argo Rollouts Rollout `shop/web` with canary steps (or a blue-green one when `steps` is 0). */
export function rollout(image: string, steps = 3): string {
  const strategy =
    steps > 0
      ? ['  strategy:', '    canary:', '      steps:', ...['- setWeight: 10', '- pause: {duration: 10m}', '- setWeight: 50', '- pause: {}'].slice(0, steps).map((s) => `      ${s}`)]
      : ['  strategy:', '    blueGreen: {activeService: web, autoPromotionEnabled: false}'];
  return workload({ image }).replace('apiVersion: apps/v1\nkind: Deployment', 'apiVersion: argoproj.io/v1alpha1\nkind: Rollout').replace('  selector:', `${strategy.join('\n')}\n  selector:`);
}

/** A Flagger Canary for Deployment `shop/web`. */
export const FLAGGER = `---
apiVersion: flagger.app/v1beta1
kind: Canary
metadata:
  name: web
  namespace: shop
spec:
  targetRef: {apiVersion: apps/v1, kind: Deployment, name: web}
  analysis: {interval: 1m, threshold: 5, maxWeight: 50, stepWeight: 10}
`;

/** The same file in each cluster's folder: `clusters/<name>/web.yaml`. */
export function perCluster(files: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(files).map(([c, text]) => [`clusters/${c}/web.yaml`, text]));
}

/** A Kustomize base `base/web.yaml` under one overlay per cluster, each with an optional `images:` pin. */
export function kustomize(baseImage: string, pins: Record<string, string | undefined>): Record<string, string> {
  const out: Record<string, string> = {
    'base/web.yaml': workload({ image: baseImage }),
    'base/kustomization.yaml': 'resources: [web.yaml]\n',
  };
  for (const [c, tag] of Object.entries(pins)) {
    out[`clusters/${c}/kustomization.yaml`] = `resources: [../../base]\n${tag ? `images:\n- name: example.com/web\n  newTag: ${tag}\n` : ''}`;
  }
  return out;
}

/**
 * kubernetes-sigs/metrics-server `manifests/` from the corpus (zero-config: `overlays/test`, `overlays/test-ha`
 * are stage test; `overlays/release`, `overlays/release-ha`, `overlays/release-ha-1.21+` are prod), with
 * `edit` applied to the file at `path` (relative to `manifests/`) on the head. Empty when the corpus is absent.
 */
export function metricsServer(path: string, edit: (text: string) => string): { base: Record<string, string>; files: Record<string, string> } {
  if (!HAS_CORPUS) return { base: {}, files: {} };
  const root = 'kubernetes-sigs+metrics-server/manifests';
  const dir = CORPUS_DIR + root;
  const base: Record<string, string> = {};
  const walk = (d: string) => {
    for (const n of readdirSync(d, { withFileTypes: true })) {
      if (n.isDirectory()) walk(`${d}/${n.name}`);
      else if (/\.ya?ml$/.test(n.name)) base[`${d.slice(dir.length + 1)}/${n.name}`.replace(/^\//, '')] = readCorpus(`${root}/${d.slice(dir.length + 1)}/${n.name}`.replace('//', '/'));
    }
  };
  walk(dir);
  const files = { ...base, [path]: edit(base[path]) };
  return { base: prefix(base), files: prefix(files) };
}

const prefix = (files: Record<string, string>) => Object.fromEntries(Object.entries(files).map(([p, t]) => [`manifests/${p}`, t]));
