// The manifest templates the bench's two generators share: the synthetic repo of scripts/bench.mjs
// (`generate()`: the corpus stand-in and the history case's files) and the fleet of scripts/bench/fleet.mjs.
// Every template that draws from the PRNG takes the generator's `g` (`rng()` of ./lib.mjs) and draws in
// the order its text reads, so a generator's output depends only on its seed and the order of its calls.

/** `n` zero-padded to `w` digits. */
export const pad = (n, w = 3) => String(n).padStart(w, '0');

/** `text` indented by `n` spaces (blank lines stay empty), without its final newline. */
export const block = (text, n) => text.replace(/\n$/, '').split('\n').map((l) => (l ? ' '.repeat(n) + l : l)).join('\n');

/** The three `app.kubernetes.io/*` labels, indented by `n`, without a final newline. */
export function labels(name, part, n) {
  return block(`app.kubernetes.io/name: ${name}\napp.kubernetes.io/part-of: ${part}\napp.kubernetes.io/managed-by: kustomize\n`, n);
}

/**
 * An object's head down to its labels: `apiVersion`, `kind`, `metadata` with `name`, `namespace` and the
 * labels of `app` (part of `part`), then `extra` (more lines under `metadata`, each ending in a newline).
 */
export function head(apiVersion, kind, { name, namespace, app = name, part, extra = '' }) {
  return `apiVersion: ${apiVersion}
kind: ${kind}
metadata:
  name: ${name}
  namespace: ${namespace}
  labels:
${labels(app, part, 4)}
${extra}`;
}

/** A kustomization of `resources`, with `namespace` when given and `tail` (more fields) after them. */
export function kustomization(resources, { namespace, tail = '' } = {}) {
  return `apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\n${namespace ? `namespace: ${namespace}\n` : ''}resources:\n${resources.map((r) => `  - ${r}\n`).join('')}${tail}`;
}

/** `.blast-radius.yml` for `clusters` ({ name, nodes, stage }), each owning `clusters/<name>/**`. */
export function fleetConfig(clusters) {
  return `fleet:\n  clusters:\n${clusters.map(
    (c) => `    - { name: ${c.name}, nodes: ${c.nodes}, stage: ${c.stage}, paths: ["clusters/${c.name}/**"] }`,
  ).join('\n')}\nrollout:\n  stages: [dev, staging, canary, prod]\n`;
}

// ---------------------------------------------------------------------------------------------
// an app: Deployment, Service, ConfigMap with an embedded application config

/** An app's image, `registry.example.com/<team>/<app>:<x.y.z>`. */
export function appImage(g, team, app) {
  const { int } = g;
  return `registry.example.com/${team}/${app}:${int(1, 4)}.${int(0, 30)}.${int(0, 9)}`;
}

/** An application config of at least `target` characters (its routes fill it up). */
export function appConfig(g, name, ns, target) {
  const { int, pick, hex, r } = g;
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
}

/**
 * The app's Deployment. `image` is its image, or a function giving it, called where the image stands in
 * the text (after the replicas, strategy and checksum draws) — the two generators draw it at different times.
 */
export function appDeployment(g, team, app, image) {
  const { int, pick, hex } = g;
  const env = Array.from({ length: int(4, 14) }, (_, i) => `            - name: SETTING_${pad(i)}\n              value: "${hex(int(4, 24))}"`).join('\n');
  return `${head('apps/v1', 'Deployment', { name: app, namespace: team, part: team })}spec:
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
          image: ${typeof image === 'function' ? image() : image}
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
}

/** The app's Service: port 80 to `http`, and with `metrics` 9090 to `metrics` as well. */
export function appService(team, app, { metrics = false } = {}) {
  return `${head('v1', 'Service', { name: app, namespace: team, part: team })}spec:
  selector:
    app.kubernetes.io/name: ${app}
  ports:
    - name: http
      port: 80
      targetPort: http
${metrics ? '    - name: metrics\n      port: 9090\n      targetPort: metrics\n' : ''}`;
}

/** The app's ConfigMap: an application config of `[lo, hi]` characters (drawn) and logging properties. */
export function appConfigMap(g, team, app, [lo, hi]) {
  const { int, pick } = g;
  return `${head('v1', 'ConfigMap', { name: `${app}-config`, namespace: team, app, part: team })}data:
  application.yaml: |
${block(appConfig(g, app, team, int(lo, hi)), 4)}
  logging.properties: |
    root.level=${pick(['INFO', 'WARN', 'DEBUG'])}
    com.example.${team}.level=DEBUG
    format=json
`;
}

// ---------------------------------------------------------------------------------------------
// a node agent (in namespace monitoring): RBAC, a config, a DaemonSet

/** The agent's ServiceAccount, ClusterRole (its resources drawn) and ClusterRoleBinding. */
export function agentRbac(g, name) {
  return `apiVersion: v1
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
    resources: [${g.pick(['"pods"', '"pods", "nodes"', '"pods", "nodes", "services", "endpoints"', '"nodes/stats", "nodes/proxy"'])}]
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
}

/** A Prometheus agent config of at least `target` characters; `nodeScoped`: pods of its own node only. */
export function prometheusConfig(g, name, nodeScoped, target) {
  const { hex } = g;
  let s = 'global:\n  scrape_interval: 30s\nscrape_configs:\n';
  for (let i = 0; s.length < target; i++) {
    s += `  - job_name: ${name}-pods-${pad(i, 4)}\n    kubernetes_sd_configs:\n      - role: pod\n`;
    if (nodeScoped) s += '        selectors:\n          - role: pod\n            field: spec.nodeName=$(NODE_NAME)\n';
    s += `    relabel_configs:\n      - source_labels: [__meta_kubernetes_pod_annotation_prometheus_io_scrape_${i}]\n        action: keep\n        regex: "true"\n`;
    s += `      - source_labels: [__meta_kubernetes_namespace]\n        target_label: namespace\n      - target_label: shard\n        replacement: "${hex(8)}"\n`;
  }
  return s;
}

/** The agent's ConfigMap `<name>-config`, holding `config` under `key`. */
export function agentConfigMap(name, key, config) {
  return `${head('v1', 'ConfigMap', { name: `${name}-config`, namespace: 'monitoring', app: name, part: 'observability' })}data:
  ${key}: |
${block(config, 4)}
`;
}

/**
 * The agent's DaemonSet: `image` run with `args`, its config mounted at /etc/agent, the node's name in
 * each of `env`; `extra` more lines under `metadata` (see head()); `varlog`: the host's /var/log mounted too.
 */
export function agentDaemonSet(name, { image, args, maxUnavailable = '10%', env = ['NODE_NAME'], extra = '', varlog = false }) {
  return `${head('apps/v1', 'DaemonSet', { name, namespace: 'monitoring', part: 'observability', extra })}spec:
  selector:
    matchLabels:
      app.kubernetes.io/name: ${name}
  updateStrategy:
    type: RollingUpdate
    rollingUpdate:
      maxUnavailable: ${maxUnavailable}
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
          image: ${image}
          args: ["${args}"]
          env:
${env.map((e) => `            - name: ${e}\n              valueFrom: { fieldRef: { fieldPath: spec.nodeName } }\n`).join('')}          resources:
            requests: { cpu: 100m, memory: 128Mi }
            limits: { memory: 512Mi }
          volumeMounts:
            - { name: config, mountPath: /etc/agent, readOnly: true }
${varlog ? '            - { name: varlog, mountPath: /var/log, readOnly: true }\n' : ''}      volumes:
        - name: config
          configMap: { name: ${name}-config }
${varlog ? '        - name: varlog\n          hostPath: { path: /var/log }\n' : ''}`;
}
