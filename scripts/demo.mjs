// `npm run demo`: the check on an embedded example of the failure it exists for.
//
// Builds a three-cluster fleet repo in a temp dir (canary-1 60 nodes, prod-us 4,800, prod-eu 3,200),
// then a `pr` branch that adds to the shared base a per-node telemetry DaemonSet whose RBAC lists and
// watches pods, nodes, services and endpoints cluster-wide, plus a fail-closed pod-mutating webhook:
// the shape of the 11 December 2024 OpenAI outage. Runs `dist/cli.js check --format text` on it and
// says which exit code the real check would have returned. Exits 0 then, or with the CLI's own code
// when the CLI itself failed (2 usage/config, 3 internal), so a broken demo is visible.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { devNull, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const CLI = fileURLToPath(new URL('../dist/cli.js', import.meta.url));
const FAIL_ON = 'high';

const CONFIG = `# Fleet of the demo: one canary cluster, two production clusters. Every overlay includes ../../base,
# so every cluster receives base/ through the Kustomize graph.
fleet:
  clusters:
    - name: canary-1
      nodes: 60
      stage: canary
      paths: ["clusters/canary-1/**"]
    - name: prod-us
      nodes: 4800
      stage: prod
      paths: ["clusters/prod-us/**"]
    - name: prod-eu
      nodes: 3200
      stage: prod
      paths: ["clusters/prod-eu/**"]
rollout:
  stages: [canary, prod]
failOn: ${FAIL_ON}
`;

const BASE_KUSTOMIZATION = `apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
resources:
  - namespace.yaml
  - checkout-deployment.yaml
`;

const NAMESPACE = `apiVersion: v1
kind: Namespace
metadata:
  name: shop
  labels:
    app.kubernetes.io/part-of: shop
`;

const DEPLOYMENT = `apiVersion: apps/v1
kind: Deployment
metadata:
  name: checkout
  namespace: shop
  labels:
    app.kubernetes.io/name: checkout
    app.kubernetes.io/part-of: shop
spec:
  replicas: 6
  revisionHistoryLimit: 5
  selector:
    matchLabels:
      app.kubernetes.io/name: checkout
  strategy:
    type: RollingUpdate
    rollingUpdate:
      maxSurge: 25%
      maxUnavailable: 0
  template:
    metadata:
      labels:
        app.kubernetes.io/name: checkout
        app.kubernetes.io/part-of: shop
    spec:
      containers:
        - name: checkout
          image: registry.example.com/shop/checkout:2.14.3
          ports:
            - name: http
              containerPort: 8080
          readinessProbe:
            httpGet:
              path: /healthz
              port: http
          resources:
            requests:
              cpu: 250m
              memory: 256Mi
            limits:
              memory: 512Mi
`;

const overlay = (cluster, replicas) => `apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
resources:
  - ../../base
labels:
  - pairs:
      example.com/cluster: ${cluster}
patches:
  - target:
      kind: Deployment
      name: checkout
    patch: |-
      - op: replace
        path: /spec/replicas
        value: ${replicas}
`;

const PR_BASE_KUSTOMIZATION = `apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
resources:
  - namespace.yaml
  - checkout-deployment.yaml
  - monitoring/namespace.yaml
  - monitoring/node-telemetry.yaml
  - monitoring/node-telemetry-injector.yaml
`;

const MONITORING_NAMESPACE = `apiVersion: v1
kind: Namespace
metadata:
  name: monitoring
  labels:
    app.kubernetes.io/part-of: observability
`;

// The agent runs on every node and, by design (api-scope: cluster), lists and watches the whole
// cluster's pods, nodes, services and endpoints to enrich its telemetry.
const NODE_TELEMETRY = `apiVersion: v1
kind: ServiceAccount
metadata:
  name: node-telemetry
  namespace: monitoring
  labels:
    app.kubernetes.io/name: node-telemetry
    app.kubernetes.io/part-of: observability
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata:
  name: node-telemetry
  labels:
    app.kubernetes.io/name: node-telemetry
    app.kubernetes.io/part-of: observability
rules:
  - apiGroups: [""]
    resources: ["pods", "nodes", "services", "endpoints"]
    verbs: ["get", "list", "watch"]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata:
  name: node-telemetry
  labels:
    app.kubernetes.io/name: node-telemetry
    app.kubernetes.io/part-of: observability
roleRef:
  apiGroup: rbac.authorization.k8s.io
  kind: ClusterRole
  name: node-telemetry
subjects:
  - kind: ServiceAccount
    name: node-telemetry
    namespace: monitoring
---
apiVersion: apps/v1
kind: DaemonSet
metadata:
  name: node-telemetry
  namespace: monitoring
  labels:
    app.kubernetes.io/name: node-telemetry
    app.kubernetes.io/part-of: observability
  annotations:
    blast-radius.dev/api-scope: cluster
spec:
  selector:
    matchLabels:
      app.kubernetes.io/name: node-telemetry
  updateStrategy:
    type: RollingUpdate
    rollingUpdate:
      maxUnavailable: 10%
  template:
    metadata:
      labels:
        app.kubernetes.io/name: node-telemetry
        app.kubernetes.io/part-of: observability
    spec:
      serviceAccountName: node-telemetry
      priorityClassName: system-node-critical
      tolerations:
        - operator: Exists
      containers:
        - name: agent
          image: registry.example.com/observability/node-telemetry:1.8.0@sha256:4f6c0d5b9e3a1c7d8e2f0a9b6c5d4e3f2a1b0c9d8e7f6a5b4c3d2e1f0a9b8c7d
          args:
            - --watch=pods,nodes,services,endpoints
            - --export-interval=15s
          env:
            - name: NODE_NAME
              valueFrom:
                fieldRef:
                  fieldPath: spec.nodeName
          ports:
            - name: metrics
              containerPort: 9464
          resources:
            requests:
              cpu: 50m
              memory: 128Mi
            limits:
              memory: 256Mi
          securityContext:
            readOnlyRootFilesystem: true
            allowPrivilegeEscalation: false
`;

// failurePolicy is omitted, so it is Fail: every pod CREATE in every namespace (kube-system
// included, no namespaceSelector) waits on this webhook, and fails when it is down.
const INJECTOR = `apiVersion: v1
kind: Service
metadata:
  name: node-telemetry-injector
  namespace: monitoring
  labels:
    app.kubernetes.io/name: node-telemetry-injector
    app.kubernetes.io/part-of: observability
spec:
  selector:
    app.kubernetes.io/name: node-telemetry-injector
  ports:
    - name: https
      port: 443
      targetPort: 8443
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: node-telemetry-injector
  namespace: monitoring
  labels:
    app.kubernetes.io/name: node-telemetry-injector
    app.kubernetes.io/part-of: observability
spec:
  replicas: 2
  selector:
    matchLabels:
      app.kubernetes.io/name: node-telemetry-injector
  template:
    metadata:
      labels:
        app.kubernetes.io/name: node-telemetry-injector
        app.kubernetes.io/part-of: observability
    spec:
      containers:
        - name: injector
          image: registry.example.com/observability/node-telemetry-injector:1.8.0@sha256:9a8b7c6d5e4f3a2b1c0d9e8f7a6b5c4d3e2f1a0b9c8d7e6f5a4b3c2d1e0f9a8b
          args:
            - --tls-cert-file=/etc/webhook/tls/tls.crt
            - --tls-key-file=/etc/webhook/tls/tls.key
            - --inject-config=/etc/node-telemetry/inject.yaml
          ports:
            - name: https
              containerPort: 8443
          resources:
            requests:
              cpu: 100m
              memory: 64Mi
            limits:
              memory: 128Mi
          volumeMounts:
            - name: tls
              mountPath: /etc/webhook/tls
              readOnly: true
      volumes:
        - name: tls
          secret:
            secretName: node-telemetry-injector-tls
---
apiVersion: admissionregistration.k8s.io/v1
kind: MutatingWebhookConfiguration
metadata:
  name: node-telemetry-injector
  labels:
    app.kubernetes.io/name: node-telemetry-injector
    app.kubernetes.io/part-of: observability
webhooks:
  - name: inject.node-telemetry.example.com
    admissionReviewVersions: ["v1"]
    sideEffects: None
    timeoutSeconds: 10
    reinvocationPolicy: IfNeeded
    clientConfig:
      service:
        name: node-telemetry-injector
        namespace: monitoring
        path: /inject
        port: 443
    rules:
      - apiGroups: [""]
        apiVersions: ["v1"]
        operations: ["CREATE"]
        resources: ["pods"]
        scope: Namespaced
`;

const BASE_FILES = {
  '.blast-radius.yml': CONFIG,
  'base/kustomization.yaml': BASE_KUSTOMIZATION,
  'base/namespace.yaml': NAMESPACE,
  'base/checkout-deployment.yaml': DEPLOYMENT,
  'clusters/canary-1/kustomization.yaml': overlay('canary-1', 2),
  'clusters/prod-us/kustomization.yaml': overlay('prod-us', 24),
  'clusters/prod-eu/kustomization.yaml': overlay('prod-eu', 16),
};

const PR_FILES = {
  'base/kustomization.yaml': PR_BASE_KUSTOMIZATION,
  'base/monitoring/namespace.yaml': MONITORING_NAMESPACE,
  'base/monitoring/node-telemetry.yaml': NODE_TELEMETRY,
  'base/monitoring/node-telemetry-injector.yaml': INJECTOR,
};

/** git in `dir` with a fixed identity and no system or user config. */
function git(dir, ...args) {
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('GIT_')));
  return execFileSync('git', args, {
    cwd: dir,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
    env: {
      ...env,
      GIT_CONFIG_NOSYSTEM: '1',
      GIT_CONFIG_GLOBAL: devNull,
      GIT_AUTHOR_NAME: 'Demo',
      GIT_AUTHOR_EMAIL: 'demo@example.com',
      GIT_COMMITTER_NAME: 'Demo',
      GIT_COMMITTER_EMAIL: 'demo@example.com',
    },
  });
}

function write(dir, files) {
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), text);
  }
}

if (!existsSync(CLI)) {
  console.error(`demo: ${CLI} is missing; run \`npm run build\` first (\`npm run demo\` does).`);
  process.exit(2);
}

const dir = mkdtempSync(join(tmpdir(), 'blast-radius-demo-'));
const cleanup = () => rmSync(dir, { recursive: true, force: true });
process.on('SIGINT', () => {
  cleanup();
  process.exit(130);
});

let code;
try {
  git(dir, '-c', 'init.defaultBranch=main', 'init', '--quiet');
  git(dir, 'config', 'commit.gpgsign', 'false');
  write(dir, BASE_FILES);
  git(dir, 'add', '--all');
  git(dir, 'commit', '--quiet', '--no-verify', '-m', 'Fleet: checkout service on canary-1, prod-us, prod-eu');
  git(dir, 'checkout', '--quiet', '-b', 'pr');
  write(dir, PR_FILES);
  git(dir, 'add', '--all');
  git(dir, 'commit', '--quiet', '--no-verify', '-m', 'Add node-telemetry agent and its pod injector to the shared base');

  console.log('Demo PR: adds the node-telemetry DaemonSet (cluster-wide list/watch of pods, nodes, services,');
  console.log('endpoints) and a pod-mutating webhook to base/, which every cluster includes.');
  console.log(`$ blast-radius check --repo <tmp> --base main --head pr --format text --fail-on ${FAIL_ON}\n`);

  // stdout is inherited, so the report goes straight to the terminal (in colour when it is a TTY).
  const r = spawnSync(
    process.execPath,
    [CLI, 'check', '--repo', dir, '--base', 'main', '--head', 'pr', '--format', 'text', '--fail-on', FAIL_ON],
    { stdio: ['ignore', 'inherit', 'pipe'], encoding: 'utf8', timeout: 120_000 },
  );
  if (r.error || r.status === null) {
    process.stderr.write(r.stderr ?? '');
    console.error(`demo: the check did not finish: ${r.error?.message ?? `killed by ${r.signal}`}`);
    code = 3;
  } else if (r.status !== 0 && r.status !== 1) {
    process.stderr.write(r.stderr);
    console.error(`demo: the check failed with exit code ${r.status}`);
    code = r.status;
  } else {
    process.stderr.write(r.stderr);
    console.log(`\nThe real check would have exited with code ${r.status} (fail-on ${FAIL_ON}).`);
    code = 0;
  }
} catch (e) {
  console.error(`demo: ${e.stderr?.trim() || e.message}`);
  code = 3;
} finally {
  cleanup();
}
process.exit(code);
