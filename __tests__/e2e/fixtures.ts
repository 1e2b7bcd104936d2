/** Manifests shared by the end-to-end tests. */

/** A fail-closed webhook over every pod of the cluster: `blast-radius/admission-webhook` high. */
export const FAIL_CLOSED_POD_WEBHOOK = `apiVersion: admissionregistration.k8s.io/v1
kind: MutatingWebhookConfiguration
metadata:
  name: pod-injector
webhooks:
  - name: inject.example.dev
    admissionReviewVersions: ["v1"]
    sideEffects: None
    failurePolicy: Fail
    clientConfig:
      service: { namespace: injector, name: injector-webhook, path: /mutate }
    rules:
      - apiGroups: [""]
        apiVersions: ["v1"]
        operations: ["CREATE"]
        resources: ["pods"]
`;

export const DEPLOYMENT = `apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: shop
spec:
  replicas: 3
  selector: { matchLabels: { app: web } }
  template:
    metadata: { labels: { app: web } }
    spec:
      containers:
        - name: web
          image: nginx:1.27.1
`;

export const FLEET_CONFIG = `fleet:
  clusters:
    - { name: canary-1, nodes: 60, stage: canary, paths: ["clusters/canary-1/**"] }
    - { name: prod-us, nodes: 4800, stage: prod, paths: ["clusters/prod-us/**"] }
    - { name: prod-eu, nodes: 3200, stage: prod, paths: ["clusters/prod-eu/**"] }
rollout:
  stages: [canary, prod]
`;

/** A base repository: a fleet of three clusters with one app each. */
export function fleetBase(): Record<string, string> {
  return {
    '.blast-radius.yml': FLEET_CONFIG,
    'clusters/canary-1/web.yaml': DEPLOYMENT,
    'clusters/prod-us/web.yaml': DEPLOYMENT,
    'clusters/prod-eu/web.yaml': DEPLOYMENT,
    'README.md': '# infra\n',
  };
}

/** "Billion laughs": 9 levels of 9 aliases, 461 bytes that expand to 9^9 nodes. */
export const ALIAS_BOMB = `a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]
b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]
c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]
d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]
e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]
f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]
g: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f]
h: &h [*g,*g,*g,*g,*g,*g,*g,*g,*g]
i: &i [*h,*h,*h,*h,*h,*h,*h,*h,*h]
`;

/** A document nested 5,000 levels deep. */
export const DEEP_DOCUMENT = 'apiVersion: v1\nkind: ConfigMap\nmetadata: { name: deep }\ndata:\n  x: ' + '['.repeat(5000) + ']'.repeat(5000) + '\n';

/** The December 2024 shape: a per-node agent whose ClusterRole lists and watches pods cluster-wide. */
export const AGENT = `apiVersion: apps/v1
kind: DaemonSet
metadata:
  name: node-telemetry
  namespace: monitoring
  annotations:
    blast-radius.dev/api-scope: cluster
spec:
  selector: { matchLabels: { app: node-telemetry } }
  template:
    metadata: { labels: { app: node-telemetry } }
    spec:
      serviceAccountName: node-telemetry
      containers:
        - name: agent
          image: registry.example.com/node-telemetry:1.4.2
---
apiVersion: v1
kind: ServiceAccount
metadata: { name: node-telemetry, namespace: monitoring }
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: { name: node-telemetry }
rules:
  - { apiGroups: [""], resources: [pods], verbs: [get, list, watch] }
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: { name: node-telemetry }
roleRef: { apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: node-telemetry }
subjects:
  - { kind: ServiceAccount, name: node-telemetry, namespace: monitoring }
`;
