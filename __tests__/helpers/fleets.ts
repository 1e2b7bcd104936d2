/**
 * Fixtures most rule tests share. The test fleet: a 60-node canary and two production clusters (4,800 and 3,200
 * nodes; 8,060 in all), as `.blast-radius.yml` text.
 */

/** Three clusters, one folder each (`clusters/<name>/**`). */
export const FLEET = `fleet:
  clusters:
    - { name: canary-1, nodes: 60, stage: canary, paths: ["clusters/canary-1/**"] }
    - { name: prod-us, nodes: 4800, stage: prod, paths: ["clusters/prod-us/**"] }
    - { name: prod-eu, nodes: 3200, stage: prod, paths: ["clusters/prod-eu/**"] }
rollout: { stages: [canary, prod] }
`;

/** The same three clusters receiving every file. */
export const SHARED = FLEET.replace(/"clusters\/[a-z0-9-]+\/\*\*"/g, '"**"');

/** The kubeadm default Corefile (CoreDNS 1.11), unindented. */
export const KUBEADM_COREFILE = `.:53 {
    errors
    health {
       lameduck 5s
    }
    ready
    kubernetes cluster.local in-addr.arpa ip6.arpa {
       pods insecure
       fallthrough in-addr.arpa ip6.arpa
       ttl 30
    }
    prometheus :9153
    forward . /etc/resolv.conf {
       max_concurrent 1000
    }
    cache 30
    loop
    reload
    loadbalance
}`;

/** ClusterRoleBinding + ClusterRole letting `monitoring/node-agent` list and watch pods cluster-wide. */
export const NODE_AGENT_RBAC = `---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata:
  name: node-agent
roleRef:
  apiGroup: rbac.authorization.k8s.io
  kind: ClusterRole
  name: node-agent
subjects:
- {kind: ServiceAccount, name: node-agent, namespace: monitoring}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata:
  name: node-agent
rules: [{apiGroups: [""], resources: [pods], verbs: [get, list, watch]}]
`;
