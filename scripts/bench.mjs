// `npm run bench`: how long the whole CLI takes on a large repo, against the floor of simply
// reading and js-yaml-parsing every YAML file of the same tree.
//
//   node scripts/bench.mjs [--runs N] [--smoke] [--json] [--synthetic] [--keep] [--rss time|preload]
//
// The repo: /work/shared/corpus (`../shared/corpus` from the project root) copied under `corpus/`
// when it exists, else ~2,000 generated manifests (~15 MB); `--synthetic` forces the generated one.
// `main` holds it; branch `pr` changes 30 files (labels and images of existing manifests, a new
// DaemonSet with cluster-wide RBAC, a fail-closed webhook, two deletions, one rename).
// Floor and CLI are whole node processes, run alternately N times (default 7, the first discarded as
// warm-up); the medians are reported. Peak RSS comes from one more CLI run, measured by GNU time
// (`%M`) or, without it, by the CLI process itself (`process.resourceUsage().maxRSS` on exit, through
// an `--import` preload). `--smoke` uses ~300 files and 3 runs.
//
// The history case (issue 7, the revert-lock scan; target: it adds under 0.5 s): a second repo, the
// ~300-file generated fleet with 5,000 commits on `main` (smoke: 300) written by one `git fast-import`
// — image bumps, scalings, label and config edits as squash-merged pull requests (`… (#N)`), one in
// 100 a revert of a recent one (`git revert` messages, every fourth GitHub's squash-merge revert
// `Revert "… (#N)" (#M)` / `Reverts acme/infra#N`) — and `history.maxCommits` covering all of them.
// Branch `pr` re-applies the image bump the oldest revert undid, plus an unrelated label edit. The CLI
// (`--fail-on none`) runs alternately with its `.blast-radius.yml` and with `--config` of the same plus
// the three revert-lock rules off (no history read), N times, the first discarded; the difference of
// the medians is the scan's cost. The report must name that re-applied revert, else the bench fails.
//
// Progress goes to stderr; the result lines (and with `--json` one JSON object) to stdout. Exits 1
// when the CLI fails (exit code other than 0 or 1; in the history case, other than 0), its JSON
// report is invalid, or the history case's re-applied revert goes unreported. Targets are reported,
// not asserted, except the start-up one.
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import {
  chmodSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync,
} from 'node:fs';
import { devNull, tmpdir } from 'node:os';
import { basename, dirname, join, relative } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import yaml from 'js-yaml';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const CLI = join(ROOT, 'dist/cli.js');
const CORPUS = join(ROOT, '../shared/corpus');
const JS_YAML_URL = import.meta.resolve('js-yaml');
const GNU_TIME = '/usr/bin/time';
const CHANGED_TARGET = 30;
const SMOKE_FILES = 300;
const CLI_TIMEOUT_MS = 600_000;
const HISTORY_COMMITS = 5000;
const SMOKE_HISTORY_COMMITS = 300;
const HISTORY_TARGET_S = 0.5;

const { values: opt } = parseArgs({
  options: {
    runs: { type: 'string' },
    smoke: { type: 'boolean', default: false },
    json: { type: 'boolean', default: false },
    synthetic: { type: 'boolean', default: false },
    keep: { type: 'boolean', default: false },
    rss: { type: 'string' },
    help: { type: 'boolean', short: 'h', default: false },
  },
});
if (opt.help) {
  console.log('usage: node scripts/bench.mjs [--runs N] [--smoke] [--json] [--synthetic] [--keep] [--rss time|preload]');
  process.exit(0);
}
const runs = opt.runs === undefined ? (opt.smoke ? 3 : 7) : Number(opt.runs);
if (!Number.isInteger(runs) || runs < 2) fail('--runs must be an integer ≥ 2 (the first run is a warm-up)', 2);
if (opt.rss !== undefined && opt.rss !== 'time' && opt.rss !== 'preload') fail('--rss must be time or preload', 2);
if (!existsSync(CLI)) fail(`${CLI} is missing; run \`npm run build\` first (\`npm run bench\` does)`, 2);

function log(msg) {
  process.stderr.write(`bench: ${msg}\n`);
}
function fail(msg, code = 1) {
  process.stderr.write(`bench: ${msg}\n`);
  process.exit(code);
}

// ---------------------------------------------------------------------------------------------
// git

/** The environment of every git process: no user or system config, a fixed identity and date. */
function gitEnv() {
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('GIT_')));
  return {
    ...env,
    GIT_CONFIG_NOSYSTEM: '1',
    GIT_CONFIG_GLOBAL: devNull,
    GIT_AUTHOR_NAME: 'Bench',
    GIT_AUTHOR_EMAIL: 'bench@example.com',
    GIT_COMMITTER_NAME: 'Bench',
    GIT_COMMITTER_EMAIL: 'bench@example.com',
    GIT_AUTHOR_DATE: '1704067200 +0000',
    GIT_COMMITTER_DATE: '1704067200 +0000',
  };
}

function git(dir, ...args) {
  return execFileSync('git', args, {
    cwd: dir,
    encoding: 'utf8',
    maxBuffer: 256 * 1024 * 1024,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: gitEnv(),
  });
}

// ---------------------------------------------------------------------------------------------
// files

/** Repository-relative paths of all files under `dir` (skipping .git), sorted. */
function listFiles(dir) {
  const out = [];
  const walk = (d) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      if (e.name === '.git') continue;
      const p = join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.isFile()) out.push(relative(dir, p));
    }
  };
  walk(dir);
  return out.sort();
}

const isYaml = (p) => /\.ya?ml$/.test(p);

function writeFiles(dir, files) {
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), text);
  }
}

/** Every `step`-th item, so a subset spans the whole (sorted) list instead of its first folders. */
function spread(items, count) {
  if (items.length <= count) return items;
  const step = items.length / count;
  return Array.from({ length: count }, (_, i) => items[Math.floor(i * step)]);
}

// ---------------------------------------------------------------------------------------------
// the corpus

/** Copies the corpus (or a ~300-file spread of its YAML files) under `<repo>/corpus/`. */
function copyCorpus(repo, limit) {
  const all = listFiles(CORPUS);
  const chosen = limit ? spread(all.filter(isYaml), limit) : all;
  for (const rel of chosen) {
    const to = join(repo, 'corpus', rel);
    mkdirSync(dirname(to), { recursive: true });
    copyFileSync(join(CORPUS, rel), to);
    chmodSync(to, 0o644); // the corpus is read-only; the PR edits some copies
  }
}

// ---------------------------------------------------------------------------------------------
// the synthetic fleet repo (deterministic: a seeded PRNG, no clock)

function prng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const CLUSTERS = [
  { name: 'dev-1', nodes: 40, stage: 'dev' },
  { name: 'staging-1', nodes: 120, stage: 'staging' },
  { name: 'canary-1', nodes: 60, stage: 'canary' },
  { name: 'prod-us-1', nodes: 4800, stage: 'prod' },
  { name: 'prod-us-2', nodes: 2600, stage: 'prod' },
  { name: 'prod-eu-1', nodes: 3200, stage: 'prod' },
  { name: 'prod-eu-2', nodes: 1800, stage: 'prod' },
  { name: 'prod-ap-1', nodes: 900, stage: 'prod' },
];

/**
 * ~2,000 files and ~15 MB (smoke: ~300 files): per team a kustomization and apps of four files
 * (kustomization, Deployment, Service, ConfigMap with an embedded application config), node agents
 * (DaemonSet, RBAC, agent config of three dialects), admission webhooks, cluster overlays and a config.
 */
function generate(smoke) {
  const r = prng(0x5eed);
  const int = (lo, hi) => lo + Math.floor(r() * (hi - lo + 1));
  const pick = (arr) => arr[Math.floor(r() * arr.length)];
  const hex = (n) => Array.from({ length: n }, () => '0123456789abcdef'[Math.floor(r() * 16)]).join('');
  const pad = (n, w = 3) => String(n).padStart(w, '0');
  const block = (text, n) => text.replace(/\n$/, '').split('\n').map((l) => (l ? ' '.repeat(n) + l : l)).join('\n');
  const size = smoke
    ? { teams: 4, appsPerTeam: 16, agents: 8, webhooks: 6 }
    : { teams: 20, appsPerTeam: 22, agents: 40, webhooks: 30 };
  const files = {};

  const labels = (name, part, n) =>
    block(`app.kubernetes.io/name: ${name}\napp.kubernetes.io/part-of: ${part}\napp.kubernetes.io/managed-by: kustomize\n`, n);

  const appConfig = (name, ns, target) => {
    let s = `server:\n  port: 8080\n  shutdownGracePeriod: ${int(10, 60)}s\n  maxConcurrentRequests: ${int(100, 4000)}\n`;
    s += 'features:\n';
    for (let i = 0; i < int(5, 30); i++) s += `  flag-${pad(i)}: ${r() < 0.5}\n`;
    s += 'upstreams:\n';
    const ups = int(3, 12);
    for (let i = 0; i < ups; i++) {
      s += `  - name: upstream-${i}\n    url: http://svc-${hex(6)}.${ns}.svc.cluster.local:8080\n`;
      s += `    timeoutMs: ${int(50, 5000)}\n    retries: ${int(0, 5)}\n    circuitBreaker: { maxFailures: ${int(3, 50)}, resetAfter: ${int(5, 120)}s }\n`;
    }
    s += 'routes:\n';
    for (let i = 0; s.length < target; i++) {
      s += `  - path: /api/v${int(1, 3)}/${name}/resource-${pad(i, 4)}\n    upstream: upstream-${int(0, ups - 1)}\n`;
      s += `    methods: [${pick(['GET', 'GET, POST', 'GET, PUT, DELETE', 'POST'])}]\n`;
      s += `    rateLimit: { rps: ${int(10, 2000)}, burst: ${int(10, 500)} }\n    cacheTtl: ${int(0, 600)}s\n`;
      s += `    headers: { x-route-id: "${hex(12)}", x-owner: "team-${hex(4)}" }\n`;
    }
    return s;
  };

  for (let t = 0; t < size.teams; t++) {
    const team = `team-${pad(t, 2)}`;
    const apps = [];
    for (let a = 0; a < size.appsPerTeam; a++) {
      const app = `${team}-svc-${pad(a)}`;
      apps.push(app);
      const dir = `apps/${team}/${app}`;
      const image = `registry.example.com/${team}/${app}:${int(1, 4)}.${int(0, 30)}.${int(0, 9)}`;
      files[`${dir}/kustomization.yaml`] =
        `apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n  - deployment.yaml\n  - service.yaml\n  - configmap.yaml\n`;
      const env = Array.from({ length: int(4, 14) }, (_, i) => `            - name: SETTING_${pad(i)}\n              value: "${hex(int(4, 24))}"`).join('\n');
      files[`${dir}/deployment.yaml`] = `apiVersion: apps/v1
kind: Deployment
metadata:
  name: ${app}
  namespace: ${team}
  labels:
${labels(app, team, 4)}
spec:
  replicas: ${int(2, 30)}
  revisionHistoryLimit: 5
  selector:
    matchLabels:
      app.kubernetes.io/name: ${app}
  strategy:
    type: RollingUpdate
    rollingUpdate:
      maxSurge: 25%
      maxUnavailable: ${pick(['0', '1', '10%', '25%'])}
  template:
    metadata:
      labels:
${labels(app, team, 8)}
      annotations:
        checksum/config: "${hex(64)}"
    spec:
      serviceAccountName: ${app}
      terminationGracePeriodSeconds: 30
      containers:
        - name: app
          image: ${image}
          args: ["--config=/etc/${app}/application.yaml"]
          ports:
            - name: http
              containerPort: 8080
            - name: metrics
              containerPort: 9090
          env:
${env}
          readinessProbe:
            httpGet: { path: /ready, port: http }
            periodSeconds: 10
          livenessProbe:
            httpGet: { path: /healthz, port: http }
            initialDelaySeconds: 15
          resources:
            requests: { cpu: ${int(1, 20) * 50}m, memory: ${int(1, 16) * 64}Mi }
            limits: { memory: ${int(17, 32) * 64}Mi }
          volumeMounts:
            - name: config
              mountPath: /etc/${app}
              readOnly: true
      volumes:
        - name: config
          configMap:
            name: ${app}-config
`;
      files[`${dir}/service.yaml`] = `apiVersion: v1
kind: Service
metadata:
  name: ${app}
  namespace: ${team}
  labels:
${labels(app, team, 4)}
spec:
  selector:
    app.kubernetes.io/name: ${app}
  ports:
    - name: http
      port: 80
      targetPort: http
`;
      files[`${dir}/configmap.yaml`] = `apiVersion: v1
kind: ConfigMap
metadata:
  name: ${app}-config
  namespace: ${team}
  labels:
${labels(app, team, 4)}
data:
  application.yaml: |
${block(appConfig(app, team, int(6000, 46000)), 4)}
  logging.properties: |
    root.level=${pick(['INFO', 'WARN', 'DEBUG'])}
    com.example.${team}.level=DEBUG
    format=json
`;
    }
    files[`apps/${team}/kustomization.yaml`] =
      `apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nnamespace: ${team}\nresources:\n${apps.map((a) => `  - ${a}`).join('\n')}\n`;
  }

  const agentConfig = (kind, name, nodeScoped, target) => {
    let s;
    if (kind === 0) {
      s = `receivers:\n  kubeletstats:\n    auth_type: serviceAccount\n    endpoint: https://\${env:K8S_NODE_NAME}:10250\n    collection_interval: 30s\n`;
      s += `  filelog:\n    include: [/var/log/pods/*/*/*.log]\nprocessors:\n  batch: {}\n  k8sattributes:\n    auth_type: serviceAccount\n`;
      if (nodeScoped) s += '    filter:\n      node_from_env_var: K8S_NODE_NAME\n';
      s += '    extract:\n      metadata: [k8s.pod.name, k8s.namespace.name, k8s.deployment.name, k8s.node.name]\n  transform:\n    log_statements:\n';
      for (let i = 0; s.length < target; i++) {
        s += `      - context: log\n        statements:\n          - set(attributes["rule.${pad(i, 4)}"], "${hex(16)}") where attributes["k8s.namespace.name"] == "ns-${hex(4)}"\n`;
      }
      s += 'exporters:\n  otlp:\n    endpoint: otel-gateway.monitoring.svc:4317\nservice:\n  pipelines:\n    logs: { receivers: [filelog], processors: [k8sattributes, transform, batch], exporters: [otlp] }\n';
    } else if (kind === 1) {
      s = 'global:\n  scrape_interval: 30s\nscrape_configs:\n';
      for (let i = 0; s.length < target; i++) {
        s += `  - job_name: ${name}-pods-${pad(i, 4)}\n    kubernetes_sd_configs:\n      - role: pod\n`;
        if (nodeScoped) s += '        selectors:\n          - role: pod\n            field: spec.nodeName=$(NODE_NAME)\n';
        s += `    relabel_configs:\n      - source_labels: [__meta_kubernetes_pod_annotation_prometheus_io_scrape_${i}]\n        action: keep\n        regex: "true"\n`;
        s += `      - source_labels: [__meta_kubernetes_namespace]\n        target_label: namespace\n      - target_label: shard\n        replacement: "${hex(8)}"\n`;
      }
    } else {
      s = '[SERVICE]\n    Flush        5\n    Log_Level    info\n[INPUT]\n    Name         tail\n    Path         /var/log/containers/*.log\n    Tag          kube.*\n';
      s += `[FILTER]\n    Name         kubernetes\n    Match        kube.*\n    Use_Kubelet  ${nodeScoped ? 'On' : 'Off'}\n`;
      for (let i = 0; s.length < target; i++) {
        s += `[FILTER]\n    Name         modify\n    Match        kube.ns-${hex(4)}.*\n    Add          rule_${pad(i, 4)} ${hex(16)}\n`;
      }
      s += '[OUTPUT]\n    Name         forward\n    Match        *\n    Host         log-gateway.logging.svc\n';
    }
    return s;
  };

  const agents = [];
  for (let g = 0; g < size.agents; g++) {
    const name = `node-agent-${pad(g, 2)}`;
    agents.push(name);
    const kind = g % 3;
    const nodeScoped = r() < 0.6;
    const dir = `infra/agents/${name}`;
    const key = ['collector.yaml', 'prometheus.yml', 'fluent-bit.conf'][kind];
    files[`${dir}/kustomization.yaml`] =
      'apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n  - rbac.yaml\n  - configmap.yaml\n  - daemonset.yaml\n';
    files[`${dir}/rbac.yaml`] = `apiVersion: v1
kind: ServiceAccount
metadata:
  name: ${name}
  namespace: monitoring
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata:
  name: ${name}
rules:
  - apiGroups: [""]
    resources: [${pick(['"pods"', '"pods", "nodes"', '"pods", "nodes", "services", "endpoints"', '"nodes/stats", "nodes/proxy"'])}]
    verbs: ["get", "list", "watch"]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata:
  name: ${name}
roleRef:
  apiGroup: rbac.authorization.k8s.io
  kind: ClusterRole
  name: ${name}
subjects:
  - kind: ServiceAccount
    name: ${name}
    namespace: monitoring
`;
    files[`${dir}/configmap.yaml`] = `apiVersion: v1
kind: ConfigMap
metadata:
  name: ${name}-config
  namespace: monitoring
  labels:
${labels(name, 'observability', 4)}
data:
  ${key}: |
${block(agentConfig(kind, name, nodeScoped, int(15000, 60000)), 4)}
`;
    files[`${dir}/daemonset.yaml`] = `apiVersion: apps/v1
kind: DaemonSet
metadata:
  name: ${name}
  namespace: monitoring
  labels:
${labels(name, 'observability', 4)}
  annotations:
    blast-radius.dev/api-scope: ${nodeScoped ? 'node' : 'cluster'}
spec:
  selector:
    matchLabels:
      app.kubernetes.io/name: ${name}
  updateStrategy:
    type: RollingUpdate
    rollingUpdate:
      maxUnavailable: ${pick(['1', '10%', '20%'])}
  template:
    metadata:
      labels:
${labels(name, 'observability', 8)}
    spec:
      serviceAccountName: ${name}
      priorityClassName: system-node-critical
      tolerations:
        - operator: Exists
      containers:
        - name: agent
          image: ${['otel/opentelemetry-collector-contrib', 'prom/prometheus', 'fluent/fluent-bit'][kind]}:${int(1, 3)}.${int(0, 99)}.${int(0, 9)}@sha256:${hex(64)}
          args: ["--config=/etc/agent/${key}"]
          env:
            - name: K8S_NODE_NAME
              valueFrom: { fieldRef: { fieldPath: spec.nodeName } }
            - name: NODE_NAME
              valueFrom: { fieldRef: { fieldPath: spec.nodeName } }
          resources:
            requests: { cpu: 100m, memory: 128Mi }
            limits: { memory: 512Mi }
          volumeMounts:
            - { name: config, mountPath: /etc/agent, readOnly: true }
            - { name: varlog, mountPath: /var/log, readOnly: true }
      volumes:
        - name: config
          configMap: { name: ${name}-config }
        - name: varlog
          hostPath: { path: /var/log }
`;
  }
  files['infra/agents/kustomization.yaml'] =
    `apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n${agents.map((a) => `  - ${a}`).join('\n')}\n`;

  const hooks = [];
  for (let w = 0; w < size.webhooks; w++) {
    const name = `policy-hook-${pad(w, 2)}`;
    hooks.push(`${name}.yaml`);
    const mutating = w % 2 === 0;
    const selector = r() < 0.5
      ? '    namespaceSelector:\n      matchExpressions:\n        - { key: kubernetes.io/metadata.name, operator: NotIn, values: [kube-system] }\n'
      : '';
    files[`infra/admission/${name}.yaml`] = `apiVersion: v1
kind: Service
metadata:
  name: ${name}
  namespace: admission
spec:
  selector:
    app.kubernetes.io/name: ${name}
  ports:
    - { name: https, port: 443, targetPort: 8443 }
---
apiVersion: admissionregistration.k8s.io/v1
kind: ${mutating ? 'MutatingWebhookConfiguration' : 'ValidatingWebhookConfiguration'}
metadata:
  name: ${name}
  labels:
${labels(name, 'admission', 4)}
webhooks:
  - name: ${name}.admission.example.com
    admissionReviewVersions: ["v1"]
    sideEffects: None
    failurePolicy: ${pick(['Fail', 'Ignore'])}
    timeoutSeconds: ${int(1, 10)}
${selector}    clientConfig:
      service: { name: ${name}, namespace: admission, path: /${mutating ? 'mutate' : 'validate'} }
    rules:
      - apiGroups: ["${pick(['', 'apps', 'networking.k8s.io'])}"]
        apiVersions: ["v1"]
        operations: ["CREATE", "UPDATE"]
        resources: ["${pick(['pods', 'deployments', 'ingresses', 'services'])}"]
`;
  }
  files['infra/admission/kustomization.yaml'] =
    `apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n${hooks.map((h) => `  - ${h}`).join('\n')}\n`;
  files['infra/kustomization.yaml'] =
    'apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n  - agents\n  - admission\n';

  const teams = Array.from({ length: size.teams }, (_, t) => `team-${pad(t, 2)}`);
  for (const c of CLUSTERS) {
    const mine = teams.filter(() => r() < 0.7);
    files[`clusters/${c.name}/kustomization.yaml`] =
      `apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n  - ../../infra\n${mine.map((t) => `  - ../../apps/${t}`).join('\n')}\n`;
  }
  files['.blast-radius.yml'] = `fleet:\n  clusters:\n${CLUSTERS.map(
    (c) => `    - { name: ${c.name}, nodes: ${c.nodes}, stage: ${c.stage}, paths: ["clusters/${c.name}/**"] }`,
  ).join('\n')}\nrollout:\n  stages: [dev, staging, canary, prod]\n`;
  return files;
}

// ---------------------------------------------------------------------------------------------
// the pull request

const ADDED = {
  'daemonset.yaml': `apiVersion: v1
kind: ServiceAccount
metadata:
  name: bench-telemetry
  namespace: monitoring
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata:
  name: bench-telemetry
rules:
  - apiGroups: [""]
    resources: ["pods", "nodes", "services", "endpoints"]
    verbs: ["get", "list", "watch"]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata:
  name: bench-telemetry
roleRef: { apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: bench-telemetry }
subjects:
  - { kind: ServiceAccount, name: bench-telemetry, namespace: monitoring }
---
apiVersion: apps/v1
kind: DaemonSet
metadata:
  name: bench-telemetry
  namespace: monitoring
  labels: { app.kubernetes.io/name: bench-telemetry }
spec:
  selector:
    matchLabels: { app.kubernetes.io/name: bench-telemetry }
  template:
    metadata:
      labels: { app.kubernetes.io/name: bench-telemetry }
    spec:
      serviceAccountName: bench-telemetry
      tolerations: [{ operator: Exists }]
      containers:
        - name: agent
          image: otel/opentelemetry-collector-contrib:0.115.0
          args: ["--config=/etc/otel/collector.yaml"]
          resources:
            requests: { cpu: 50m, memory: 128Mi }
            limits: { memory: 256Mi }
          volumeMounts: [{ name: config, mountPath: /etc/otel }]
      volumes:
        - name: config
          configMap: { name: bench-telemetry-config }
`,
  'configmap.yaml': `apiVersion: v1
kind: ConfigMap
metadata:
  name: bench-telemetry-config
  namespace: monitoring
data:
  collector.yaml: |
    receivers:
      k8s_cluster:
        collection_interval: 10s
    processors:
      k8sattributes:
        auth_type: serviceAccount
        extract:
          metadata: [k8s.pod.name, k8s.namespace.name, k8s.node.name]
    exporters:
      otlp:
        endpoint: otel-gateway.monitoring.svc:4317
    service:
      pipelines:
        metrics: { receivers: [k8s_cluster], processors: [k8sattributes], exporters: [otlp] }
`,
  'webhook.yaml': `apiVersion: admissionregistration.k8s.io/v1
kind: MutatingWebhookConfiguration
metadata:
  name: bench-telemetry-injector
webhooks:
  - name: inject.bench-telemetry.example.com
    admissionReviewVersions: ["v1"]
    sideEffects: None
    clientConfig:
      service: { name: bench-telemetry-injector, namespace: monitoring, path: /inject }
    rules:
      - apiGroups: [""]
        apiVersions: ["v1"]
        operations: ["CREATE"]
        resources: ["pods"]
`,
};

function parses(text) {
  try {
    yaml.loadAll(text);
    return true;
  } catch {
    return false;
  }
}

/** `image: repo:tag[@digest]` → a new tag; null when the file has no plain image line. */
function bumpImage(text, n) {
  const re = /^(\s*(?:-\s+)?)image:\s*["']?([A-Za-z0-9][^\s"'#{}]*)["']?\s*$/m;
  const m = re.exec(text);
  if (!m) return null;
  const ref = m[2].replace(/@sha256:[0-9a-f]+$/, '');
  const colon = ref.lastIndexOf(':');
  const repo = colon > ref.lastIndexOf('/') ? ref.slice(0, colon) : ref;
  return text.replace(re, `${m[1]}image: ${repo}:bench-${n}`);
}

/** Adds a label under the first block `labels:` mapping; null when there is none. */
function addLabel(text, n) {
  const lines = text.split('\n');
  for (let i = 0; i < lines.length - 1; i++) {
    const m = /^(\s*)labels:\s*$/.exec(lines[i]);
    if (!m) continue;
    const child = /^(\s*)(\S)/.exec(lines[i + 1]);
    if (!child || child[1].length <= m[1].length || child[2] === '-' || child[2] === '#') continue;
    lines.splice(i + 1, 0, `${child[1]}bench.example.com/revision: "${n}"`);
    return lines.join('\n');
  }
  return null;
}

/** Keeps a kustomization next to `path` in step: removes, renames or adds its `resources:` entry. */
function fixKustomization(repo, path, change, changed) {
  const kpath = join(dirname(path), 'kustomization.yaml');
  const abs = join(repo, kpath);
  if (!existsSync(abs)) return;
  const text = readFileSync(abs, 'utf8');
  const name = basename(path);
  const entry = new RegExp(`^(\\s*-\\s+)${name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\s*$`, 'm');
  let next = text;
  if (change.type === 'delete') next = text.replace(entry, '').replace(/\n\n+/g, '\n');
  else if (change.type === 'rename') next = text.replace(entry, `$1${basename(change.to)}`);
  else if (change.type === 'add') next = text.replace(/^resources:\s*$/m, `resources:\n  - ${name}`);
  if (next !== text) {
    writeFileSync(abs, next);
    changed.add(kpath);
  }
}

/**
 * Makes the `pr` commit's changes in the work tree: three added files (in a new folder, referenced
 * from infra/kustomization.yaml when the repo has one), two deletions, one rename, and label or
 * image edits to existing manifests until CHANGED_TARGET paths have changed.
 */
function makePr(repo) {
  const files = listFiles(repo).filter(isYaml);
  const changed = new Set();
  const synthetic = existsSync(join(repo, 'infra/kustomization.yaml'));
  const addDir = synthetic ? 'infra/bench-telemetry' : 'bench-telemetry';
  for (const [name, text] of Object.entries(ADDED)) {
    writeFiles(repo, { [`${addDir}/${name}`]: text });
    changed.add(`${addDir}/${name}`);
  }
  if (synthetic) {
    writeFiles(repo, {
      [`${addDir}/kustomization.yaml`]:
        `apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n${Object.keys(ADDED).map((f) => `  - ${f}`).join('\n')}\n`,
    });
    changed.add(`${addDir}/kustomization.yaml`);
    fixKustomization(repo, `infra/${basename(addDir)}`, { type: 'add' }, changed);
  }

  // Removals and the rename take plain manifests (not kustomizations) spread over the tree.
  const plain = spread(files.filter((f) => basename(f) !== 'kustomization.yaml'), 40);
  const [del1, del2, ren] = [plain[5], plain[17], plain[29]];
  for (const f of [del1, del2]) {
    git(repo, 'rm', '--quiet', f);
    changed.add(f);
    fixKustomization(repo, f, { type: 'delete' }, changed);
  }
  const to = join(dirname(ren), `moved-${basename(ren)}`);
  git(repo, 'mv', ren, to);
  changed.add(ren);
  changed.add(to);
  fixKustomization(repo, ren, { type: 'rename', to }, changed);

  // Edits: workloads first, then any other manifest with labels or an image.
  const workload = (t) => /^kind:\s*(Deployment|DaemonSet|StatefulSet)\s*$/m.test(t);
  const candidates = [];
  for (const f of files) {
    if (changed.has(f) || basename(f) === 'kustomization.yaml') continue;
    const text = readFileSync(join(repo, f), 'utf8');
    if (/^\s*labels:\s*$/m.test(text) || /^\s*(?:-\s+)?image:\s*\S/m.test(text)) candidates.push({ f, text, w: workload(text) });
  }
  // Spread the edits over the tree; the full lists follow in case some candidates cannot be edited.
  const needed = CHANGED_TARGET + 1 - changed.size; // the rename counts twice in `changed`
  const workloads = candidates.filter((c) => c.w);
  const others = candidates.filter((c) => !c.w);
  const ordered = [...spread(workloads, needed), ...spread(others, needed), ...workloads, ...others];
  let n = 0;
  for (const { f, text } of ordered) {
    if (changed.size >= CHANGED_TARGET + 1) break;
    if (changed.has(f)) continue;
    if (text.length > 2_000_000 || !parses(text)) continue; // Helm templates and the like stay untouched
    n++;
    let next = n % 3 === 1 ? addLabel(text, n) : bumpImage(text, n);
    if (n % 3 === 0 && next) next = addLabel(next, n) ?? next;
    next ??= addLabel(text, n) ?? bumpImage(text, n);
    if (!next || next === text || !parses(next)) continue;
    writeFileSync(join(repo, f), next);
    changed.add(f);
  }
}

// ---------------------------------------------------------------------------------------------
// the history case (issue 7): the revert-lock scan of a long history

/**
 * A `git fast-import` process: `write` streams commands; `mark(n)` asks for a mark's sha (`get-mark`,
 * answered on stdout once the commit is written), which a `git revert`-style message must quote.
 */
function fastImport(dir) {
  const p = spawn('git', ['fast-import', '--quiet', '--done'], { cwd: dir, env: gitEnv(), stdio: ['pipe', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  const waiting = [];
  const answer = () => {
    for (let nl = out.indexOf('\n'); nl >= 0 && waiting.length; nl = out.indexOf('\n')) {
      waiting.shift().resolve(out.slice(0, nl));
      out = out.slice(nl + 1);
    }
  };
  p.stdout.setEncoding('utf8').on('data', (d) => {
    out += d;
    answer();
  });
  p.stderr.setEncoding('utf8').on('data', (d) => (err += d));
  p.stdin.on('error', () => undefined); // a dead fast-import shows in its exit code and stderr
  const closed = new Promise((resolve) => p.on('close', resolve));
  const failed = (code) => new Error(`git fast-import failed (exit ${code}): ${err.trim().slice(-2000)}`);
  closed.then((code) => waiting.splice(0).forEach((w) => w.reject(failed(code))));
  return {
    write: (text) => p.stdin.write(text),
    mark: (n) =>
      new Promise((resolve, reject) => {
        waiting.push({ resolve, reject });
        p.stdin.write(`get-mark :${n}\n`);
        answer();
      }),
    async end() {
      p.stdin.end('done\n');
      const code = await closed;
      if (code !== 0) throw failed(code);
    },
  };
}

/** A fast-import `data` block. */
const dataCmd = (text) => `data ${Buffer.byteLength(text)}\n${text}\n`;

/** Small edits to the generated manifests, each as `get` (the current value) and `set` (a new one). */
const EDITS = {
  image: {
    re: /^(\s*image: registry\.example\.com\/[^\s:]+:)(\S+)$/m,
    file: 'deployment.yaml',
    subject: (app, v) => `Bump ${app} to ${v}`,
  },
  replicas: {
    re: /^(  replicas: )(\d+)$/m,
    file: 'deployment.yaml',
    subject: (app, v) => `Scale ${app} to ${v} replicas`,
  },
  label: {
    re: /^(    example\.com\/on-call: )(\S+)$/m,
    file: 'deployment.yaml',
    subject: (app, v) => `Hand ${app} over to on-call ${v}`,
  },
  tuning: {
    re: /^(\s+maxConcurrentRequests: )(\d+)$/m,
    file: 'configmap.yaml',
    subject: (app, v) => `Raise ${app} maxConcurrentRequests to ${v}`,
  },
};

function getValue(kind, text) {
  return EDITS[kind].re.exec(text)?.[2] ?? null;
}

function setValue(kind, text, value) {
  if (EDITS[kind].re.test(text)) return text.replace(EDITS[kind].re, (_, key) => `${key}${value}`);
  if (kind !== 'label') throw new Error(`no ${kind} to edit`);
  // The first on-call label goes first under metadata.labels (the Deployment's own labels).
  return text.replace(/^(  labels:\n)/m, `$1    example.com/on-call: ${value}\n`);
}

/**
 * Writes, through one `git fast-import`, `main` with `commits` commits on a ~300-file generated fleet
 * repo (`.blast-radius.yml`: `history.maxCommits: commits`): squash-merged pull requests that bump an
 * image, scale, relabel or tune an app (subjects ending in `(#N)`), one in 100 of them a revert of a
 * recent one — `git revert` messages (`This reverts commit <sha>.`), every fourth one GitHub's
 * squash-merge revert (`Revert "<subject> (#N)" (#M)`, `Reverts acme/infra#N`). Branch `pr` then
 * re-applies the change the oldest image revert undid, plus one unrelated label edit.
 * Returns the config text, the number of reverts and the one `pr` re-applies (shas, file, value).
 */
async function buildHistory(dir, commits) {
  const r = prng(0x4157);
  const int = (lo, hi) => lo + Math.floor(r() * (hi - lo + 1));
  const files = generate(true);
  files['.blast-radius.yml'] += `history:\n  maxCommits: ${commits}\n`;
  const apps = Object.keys(files)
    .filter((f) => f.endsWith('/deployment.yaml'))
    .map((f) => dirname(f));
  const fi = fastImport(dir);
  fi.write('feature done\n');
  let time = 1704067200 - commits * 3600;
  let pr = 1000;
  const made = []; // per commit: { mark, subject, pr, path, before, kind, value, revert }
  const lastChange = new Map(); // path → index in `made` of the commit that last changed it
  const commit = (ref, message, changes, from) => {
    const mark = made.length + 1;
    time += 1800 + int(0, 3600);
    let s = `commit ${ref}\nmark :${mark}\ncommitter Bench <bench@example.com> ${time} +0000\n${dataCmd(message)}`;
    if (from) s += `from :${from}\n`;
    for (const [path, text] of Object.entries(changes)) s += `M 100644 inline ${path}\n${dataCmd(text)}`;
    fi.write(s);
    return mark;
  };

  commit('refs/heads/main', 'Initial import of the fleet manifests\n', files);
  made.push({ mark: 1, subject: 'Initial import', revert: true });
  const reverts = [];
  for (let i = 1; i < commits; i++) {
    if (i % 100 === 37) {
      // A revert of one of the last 20 changes whose file nothing has touched since: the exact inverse.
      const candidates = [];
      for (let j = made.length - 1; j >= Math.max(1, made.length - 20); j--) {
        const c = made[j];
        if (!c.revert && !c.reverted && lastChange.get(c.path) === j) candidates.push(j);
      }
      if (candidates.length) {
        const j = candidates[int(0, candidates.length - 1)];
        const original = made[j];
        const squash = reverts.length % 4 === 1;
        const subject = squash ? `Revert "${original.subject} (#${original.pr})" (#${++pr})` : `Revert "${original.subject} (#${original.pr})"`;
        const message = squash
          ? `${subject}\n\nReverts acme/infra#${original.pr}\n`
          : `${subject}\n\nThis reverts commit ${await fi.mark(original.mark)}.\n`;
        original.reverted = true;
        files[original.path] = original.before;
        const mark = commit('refs/heads/main', message, { [original.path]: original.before });
        lastChange.set(original.path, made.length);
        made.push({ mark, subject, path: original.path, revert: true });
        reverts.push({ mark, original: j, squash });
        continue;
      }
    }
    const x = r();
    const kind = x < 0.45 ? 'image' : x < 0.7 ? 'replicas' : x < 0.9 ? 'label' : 'tuning';
    const app = apps[int(0, apps.length - 1)];
    const path = `${app}/${EDITS[kind].file}`;
    const before = files[path];
    const old = getValue(kind, before);
    let value;
    do {
      value = kind === 'image' ? `${int(1, 4)}.${i}.${int(0, 9)}` : kind === 'replicas' ? String(int(2, 40)) : kind === 'label' ? `rota-${int(1, 60)}` : String(int(100, 4000));
    } while (value === old);
    const after = setValue(kind, before, value);
    files[path] = after;
    const subject = EDITS[kind].subject(basename(app), value);
    const mark = commit('refs/heads/main', `${subject} (#${++pr})\n`, { [path]: after });
    lastChange.set(path, made.length);
    made.push({ mark, subject, pr, path, before, kind, value });
  }
  const mainMark = made.length;

  // `pr`: the oldest reverted image bump comes back, next to an unrelated label edit.
  const target = reverts.find((v) => made[v.original].kind === 'image');
  if (!target) throw new Error('the generated history has no reverted image bump');
  const original = made[target.original];
  const other = apps.find((a) => a !== dirname(original.path));
  const prChanges = {
    [original.path]: setValue('image', files[original.path], original.value),
    [`${other}/deployment.yaml`]: setValue('label', files[`${other}/deployment.yaml`], 'rota-bench-pr'),
  };
  commit('refs/heads/pr', `Roll ${basename(dirname(original.path))} forward again\n`, prChanges, mainMark);
  const shas = {
    revert: await fi.mark(target.mark),
    original: await fi.mark(original.mark),
  };
  await fi.end();
  return {
    config: files['.blast-radius.yml'],
    reverts: reverts.length,
    squashReverts: reverts.filter((v) => v.squash).length,
    reapplied: { ...shas, path: original.path, value: original.value },
  };
}

// ---------------------------------------------------------------------------------------------
// measuring

const FLOOR_SCRIPT = `
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as yaml from ${JSON.stringify(JS_YAML_URL)};
let files = 0, bytes = 0, docs = 0, errors = 0;
const walk = (dir) => {
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    if (e.name === '.git') continue;
    const p = join(dir, e.name);
    if (e.isDirectory()) walk(p);
    else if (e.isFile() && /\\.ya?ml$/.test(e.name)) {
      const text = readFileSync(p, 'utf8');
      files++;
      bytes += Buffer.byteLength(text);
      try { docs += yaml.loadAll(text).length; } catch { errors++; }
    }
  }
};
walk(process.argv[2]);
process.stdout.write(JSON.stringify({ files, bytes, docs, errors }));
`;

const RSS_PRELOAD = `
import { writeFileSync } from 'node:fs';
process.on('exit', () => writeFileSync(process.env.BENCH_RSS_FILE, String(process.resourceUsage().maxRSS)));
`;

function timed(cmd, args) {
  const t0 = process.hrtime.bigint();
  const r = spawnSync(cmd, args, { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024, timeout: CLI_TIMEOUT_MS, stdio: ['ignore', 'pipe', 'pipe'] });
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  return { ...r, ms };
}

function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

function cliFailed(r, what) {
  const why = r.error ? r.error.message : r.status === null ? `killed by ${r.signal}` : `exit code ${r.status}`;
  process.stderr.write((r.stderr ?? '').slice(-4000));
  fail(`the CLI failed (${what}): ${why}`);
}

// ---------------------------------------------------------------------------------------------

const tmp = mkdtempSync(join(tmpdir(), 'blast-radius-bench-'));
const repo = join(tmp, 'repo');
mkdirSync(repo);
process.on('exit', () => {
  if (opt.keep) process.stderr.write(`bench: kept ${tmp}\n`);
  else rmSync(tmp, { recursive: true, force: true });
});
process.on('SIGINT', () => process.exit(130));

const useCorpus = !opt.synthetic && existsSync(CORPUS) && statSync(CORPUS).isDirectory();
const source = useCorpus ? `corpus ${CORPUS}` : 'synthetic';
log(`building the ${opt.smoke ? 'smoke' : 'full'} repo (${source}) in ${repo}`);
git(repo, '-c', 'init.defaultBranch=main', 'init', '--quiet');
git(repo, 'config', 'commit.gpgsign', 'false');
git(repo, 'config', 'gc.auto', '0');
if (useCorpus) copyCorpus(repo, opt.smoke ? SMOKE_FILES : 0);
else writeFiles(repo, generate(opt.smoke));
git(repo, 'add', '--all');
git(repo, 'commit', '--quiet', '--no-verify', '-m', 'base');
git(repo, 'checkout', '--quiet', '-b', 'pr');
makePr(repo);
git(repo, 'add', '--all');
git(repo, 'commit', '--quiet', '--no-verify', '-m', 'pr');
// Pack the objects, as a clone or a CI fetch has them: loose objects make every git read several times
// slower than anything a user's checkout sees.
git(repo, 'gc', '--quiet');
const nameStatus = git(repo, 'diff', '--name-status', '-M', 'main...pr').trim().split('\n');
const changed = nameStatus.length;
const byStatus = {};
for (const l of nameStatus) byStatus[l[0]] = (byStatus[l[0]] ?? 0) + 1;
log(`pr: ${changed} changed paths (${Object.entries(byStatus).map(([k, v]) => `${v} ${{ M: 'modified', A: 'added', D: 'deleted', R: 'renamed' }[k] ?? k}`).join(', ')})`);

const floorScript = join(tmp, 'floor.mjs');
writeFileSync(floorScript, FLOOR_SCRIPT);
const cliArgs = ['check', '--repo', repo, '--base', 'main', '--head', 'pr', '--format', 'json'];

const floorMs = [];
const cliMs = [];
let floorInfo;
let cliCode;
for (let i = 0; i < runs; i++) {
  const f = timed(process.execPath, [floorScript, repo]);
  if (f.status !== 0) {
    process.stderr.write(f.stderr ?? '');
    fail(`the floor script failed: ${f.error?.message ?? `exit code ${f.status}`}`);
  }
  floorInfo = JSON.parse(f.stdout);
  const c = timed(process.execPath, [CLI, ...cliArgs, '--output', devNull]);
  if (c.error || (c.status !== 0 && c.status !== 1)) cliFailed(c, `run ${i + 1}`);
  cliCode = c.status;
  log(`run ${i + 1}/${runs}: floor ${Math.round(f.ms)} ms, cli ${Math.round(c.ms)} ms (exit ${c.status})${i === 0 ? ' — warm-up, discarded' : ''}`);
  if (i > 0) {
    floorMs.push(f.ms);
    cliMs.push(c.ms);
  }
}

// One more CLI run, for peak RSS and to check the report itself.
const reportFile = join(tmp, 'report.json');
const rssFile = join(tmp, 'rss');
const hasGnuTime = existsSync(GNU_TIME) && /^\d+\s*$/.test(spawnSync(GNU_TIME, ['-f', '%M', 'true'], { encoding: 'utf8' }).stderr ?? '');
const rssMethod = opt.rss ?? (hasGnuTime ? 'time' : 'preload');
if (rssMethod === 'time' && !hasGnuTime) fail(`--rss time needs GNU time at ${GNU_TIME}`, 2);
let rr;
if (rssMethod === 'time') {
  rr = timed(GNU_TIME, ['-f', '%M', '-o', rssFile, process.execPath, CLI, ...cliArgs, '--output', reportFile]);
} else {
  const preload = join(tmp, 'rss-preload.mjs');
  writeFileSync(preload, RSS_PRELOAD);
  process.env.BENCH_RSS_FILE = rssFile;
  rr = timed(process.execPath, ['--import', pathToFileURL(preload).href, CLI, ...cliArgs, '--output', reportFile]);
}
if (rr.error || (rr.status !== 0 && rr.status !== 1)) cliFailed(rr, 'peak-RSS run');
const rssKb = Number(readFileSync(rssFile, 'utf8').trim().split('\n').pop());
if (!Number.isFinite(rssKb) || rssKb <= 0) fail(`could not read the peak RSS (${rssMethod})`);

let report;
try {
  report = JSON.parse(readFileSync(reportFile, 'utf8'));
} catch (e) {
  fail(`the CLI's JSON report is not valid JSON: ${e.message}`);
}
const problems = [];
if (report?.schemaVersion !== 1) problems.push('schemaVersion is not 1');
if (typeof report?.score !== 'number') problems.push('score is not a number');
if (typeof report?.level !== 'string') problems.push('level is not a string');
for (const k of ['findings', 'clusters', 'errors', 'notes']) if (!Array.isArray(report?.[k])) problems.push(`${k} is not an array`);
if (typeof report?.stats?.changedFiles !== 'number') problems.push('stats.changedFiles is not a number');
if (problems.length) fail(`the CLI's JSON report is invalid: ${problems.join('; ')}`);
if (rr.stdout) log(`note: the CLI wrote ${rr.stdout.length} bytes to stdout although --output was given`);
if (rr.status !== cliCode) log(`note: exit code changed between runs (${cliCode} → ${rr.status})`);

// Start-up: `--help` loads only the small CLI entry, so it should cost about what node itself does.
const nodeMs = [];
const helpMs = [];
for (let i = 0; i < runs; i++) {
  const n = timed(process.execPath, ['-e', '0']);
  const h = timed(process.execPath, [CLI, '--help']);
  if (h.status !== 0) fail(`blast-radius --help exited ${h.status}`);
  if (i > 0) {
    nodeMs.push(n.ms);
    helpMs.push(h.ms);
  }
}

// The history case: the same CLI with and without the revert-lock scan of `historyCommits` commits.
const historyCommits = opt.smoke ? SMOKE_HISTORY_COMMITS : HISTORY_COMMITS;
const hrepo = join(tmp, 'history');
mkdirSync(hrepo);
log(`building the history repo (${historyCommits.toLocaleString('en-US')} commits on main) in ${hrepo}`);
const hBuildStart = process.hrtime.bigint();
git(hrepo, '-c', 'init.defaultBranch=main', 'init', '--quiet');
git(hrepo, 'config', 'gc.auto', '0');
let built;
try {
  built = await buildHistory(hrepo, historyCommits);
} catch (e) {
  fail(`building the history repo failed: ${e.message}`);
}
// Packed like a fresh clone (no commit-graph: a clone has none, and the scan must not lean on one).
git(hrepo, '-c', 'gc.writeCommitGraph=false', 'gc', '--quiet');
const historyCount = Number(git(hrepo, 'rev-list', '--count', 'main').trim());
log(
  `history repo: ${historyCount} commits on main, ${built.reverts} reverts (${built.squashReverts} squash-merge style), built in ${Math.round(Number(process.hrtime.bigint() - hBuildStart) / 1e6)} ms; ` +
    `pr re-applies ${built.reapplied.path} image tag ${built.reapplied.value} (${built.reapplied.original.slice(0, 7)}, reverted by ${built.reapplied.revert.slice(0, 7)})`,
);
const noScanConfig = join(tmp, 'history-no-scan.yml');
writeFileSync(
  noScanConfig,
  `${built.config}rules:\n  revert-lock/reapplied-revert: off\n  revert-lock/unlocked-revert: off\n  revert-lock/locked-object: off\n`,
);
const hArgs = ['check', '--repo', hrepo, '--base', 'main', '--head', 'pr', '--format', 'json', '--fail-on', 'none'];
const hReport = (c, what) => {
  try {
    return JSON.parse(c.stdout);
  } catch (e) {
    fail(`the CLI's JSON report (${what}) is not valid JSON: ${e.message}`);
  }
};
const withScanMs = [];
const withoutScanMs = [];
let withReport;
let withoutReport;
for (let i = 0; i < runs; i++) {
  const a = timed(process.execPath, [CLI, ...hArgs]);
  if (a.error || a.status !== 0) cliFailed(a, `history case with the scan, run ${i + 1}`);
  const b = timed(process.execPath, [CLI, ...hArgs, '--config', noScanConfig]);
  if (b.error || b.status !== 0) cliFailed(b, `history case without the scan, run ${i + 1}`);
  log(`history run ${i + 1}/${runs}: with the scan ${Math.round(a.ms)} ms, without ${Math.round(b.ms)} ms${i === 0 ? ' — warm-up, discarded' : ''}`);
  if (i > 0) {
    withScanMs.push(a.ms);
    withoutScanMs.push(b.ms);
  }
  if (i === runs - 1) {
    withReport = hReport(a, 'with the scan');
    withoutReport = hReport(b, 'without the scan');
  }
}
// The scan must have found the re-applied revert: a scan that found nothing measures nothing.
const reapplied = (withReport.findings ?? []).filter((f) => f.ruleId === 'revert-lock/reapplied-revert');
// (The JSON report names the revert by its short sha in the message.)
const expected = reapplied.find((f) => f.file === built.reapplied.path && f.message.includes(built.reapplied.revert.slice(0, 7)));
if (!expected) {
  fail(
    `history case: the CLI did not report the re-applied revert ${built.reapplied.revert.slice(0, 7)} (revert-lock/reapplied-revert findings: ${reapplied.length}` +
      `${reapplied.length ? `: ${reapplied.map((f) => f.message).join(' / ')}` : ''}; notes: ${JSON.stringify(withReport.notes ?? [])}); rerun with --keep to inspect ${hrepo}`,
  );
}
const leaked = (withoutReport.findings ?? []).filter((f) => String(f.ruleId).startsWith('revert-lock/'));
if (leaked.length) fail(`history case: with the revert-lock rules off, the CLI still reported ${leaked.length} revert-lock finding(s); the comparison would be meaningless`);
const historyResult = {
  commits: historyCount,
  maxCommits: historyCommits,
  scanned: Math.min(historyCount, historyCommits),
  reverts: built.reverts,
  squashReverts: built.squashReverts,
  withScanSeconds: Number((median(withScanMs) / 1000).toFixed(3)),
  withoutScanSeconds: Number((median(withoutScanMs) / 1000).toFixed(3)),
  scanSeconds: Number(((median(withScanMs) - median(withoutScanMs)) / 1000).toFixed(3)),
  targetSeconds: HISTORY_TARGET_S,
  withScanRunsMs: withScanMs.map(Math.round),
  withoutScanRunsMs: withoutScanMs.map(Math.round),
  finding: { severity: expected.severity, revert: built.reapplied.revert, original: built.reapplied.original },
};
log(`history report: ${expected.severity} ${expected.ruleId}: ${expected.message}`);

const result = {
  source: useCorpus ? 'corpus' : 'synthetic',
  smoke: opt.smoke,
  runs,
  files: floorInfo.files,
  bytes: floorInfo.bytes,
  yamlDocuments: floorInfo.docs,
  yamlErrors: floorInfo.errors,
  changed,
  floorMs: Math.round(median(floorMs)),
  cliMs: Math.round(median(cliMs)),
  ratio: Number((median(cliMs) / median(floorMs)).toFixed(2)),
  peakRssMb: Math.round(rssKb / 1024),
  rssMethod,
  floorRunsMs: floorMs.map(Math.round),
  cliRunsMs: cliMs.map(Math.round),
  cli: {
    exitCode: rr.status,
    level: report.level,
    score: report.score,
    findings: report.findings.length,
    errors: report.errors.length,
    notes: report.notes.length,
    changedFiles: report.stats.changedFiles,
    resources: report.stats.resources,
    unparsedFiles: report.stats.unparsedFiles,
    durationMs: report.stats.durationMs,
  },
  startup: { nodeMs: Math.round(median(nodeMs)), helpMs: Math.round(median(helpMs)), ratio: Number((median(helpMs) / median(nodeMs)).toFixed(2)) },
  history: historyResult,
  node: process.version,
};

log(`${result.files} YAML files, ${(result.bytes / 1048576).toFixed(1)} MB, ${result.yamlDocuments} documents (${result.yamlErrors} files js-yaml rejects)`);
log(`cli report: exit ${rr.status}, level ${report.level}, score ${report.score}, ${report.findings.length} findings, ${report.errors.length} errors, ${report.notes.length} notes, stats ${JSON.stringify(report.stats)}`);
console.log(
  `floor ${result.floorMs} ms | cli ${result.cliMs} ms | ratio ${result.ratio.toFixed(2)} | peak RSS ${result.peakRssMb} MB | files ${result.files} | changed ${changed}`,
);
console.log(`startup: node -e 0 ${result.startup.nodeMs} ms | blast-radius --help ${result.startup.helpMs} ms | ratio ${result.startup.ratio.toFixed(2)}`);
const h = historyResult;
console.log(
  `history: ${h.commits.toLocaleString('en-US')} commits | cli ${h.withScanSeconds.toFixed(2)} s with the scan, ${h.withoutScanSeconds.toFixed(2)} s without | scan adds ${h.scanSeconds.toFixed(2)} s (target < ${HISTORY_TARGET_S} s)`,
);
if (h.scanSeconds >= HISTORY_TARGET_S) log(`note: the history scan adds ${h.scanSeconds} s, over the ${HISTORY_TARGET_S} s target (reported, not asserted)`);
if (opt.json) console.log(JSON.stringify(result));
// The start-up target (issue 2): --help within 2.5× of node itself.
if (result.startup.ratio > 2.5) fail(`blast-radius --help takes ${result.startup.ratio}× the time of node -e 0 (target: 2.5× at most)`);
