/**
 * Real-world goldens (issue 12): corpus files, each added on its own in a pull request to an empty
 * repository with the default config (no fleet: every file reaches the implicit cluster `unmapped`, 5,000
 * nodes assumed, which is not part of the fleet — so the canary family and fleet-fan-out stay quiet, and
 * workload-strategy findings are low). The expected live findings (rule, severity, line) were written from
 * RULEBOOK and docs/rules/ by reading each file, BEFORE the tool ran on it. Where the tool disagreed, the
 * case says who was judged right and why: an expectation corrected after the run carries a `corrected:`
 * comment; a case where the tool is judged wrong is `it.fails` with the expected behaviour and the RULEBOOK
 * section.
 *
 * Line conventions used (from the rule docs, and where the docs are silent, from each rule's table test):
 * new-daemonset → the DaemonSet's `metadata.name` line; workload-strategy `no-readiness` → the first
 * container's `- name:` line, `no-pdb` → the `replicas:` line; daemonset-cluster-watch → the
 * `serviceAccountName` line; tolerate-all-daemonset → the `operator: Exists` line; config-reading watch-all
 * rules → the line inside the ConfigMap block named in their doc.
 */
import { describe, expect, it } from 'vitest';
import { defaultConfig } from '../../src/config.js';
import { analyze } from '../../src/engine.js';
import { treeFromFiles } from '../../src/tree.js';
import type { ParsedFile, Severity } from '../../src/types.js';
import { RULES } from '../../rules/index.js';
import { readdirSync } from 'node:fs';
import { CORPUS_DIR, HAS_CORPUS, readCorpus } from '../helpers/corpus.js';
import { changeSetOf } from '../helpers/rule-tester.js';

type Expected = [rule: string, severity: Severity, line: number];

interface Golden {
  /** Corpus path `<owner>+<repo>/<path>`. */
  file: string;
  /** Live findings expected (rule, severity, line); order does not matter. */
  expected: Expected[];
  /** When set, the tool is judged wrong here: the case is `it.fails`, and this says why (RULEBOOK section). */
  toolWrong?: string;
}

const WS = 'canary/workload-strategy';
const NEW_DS = 'blast-radius/new-daemonset';
const DSCW = 'watch-all/daemonset-cluster-watch';

const GOLDENS: Golden[] = [
  // ── DataDog/helm-charts ──────────────────────────────────────────────────────────────────────────────
  // CSI node driver DaemonSet: new on 5,000 assumed nodes (medium); no container has a readiness probe
  // (low, unmapped is not the fleet); default ServiceAccount with no binding, no tolerations, not the agent
  // image (no DD_API_KEY): no watch-all finding. maxUnavailable 10% is quiet without a watch-all finding.
  {
    file: 'DataDog+helm-charts/test/datadog-csi-driver/baseline/CSI_Driver_default.yaml',
    expected: [
      [NEW_DS, 'medium', 6],
      [WS, 'low', 23],
    ],
  },
  // Private action runner: ClusterRole with named verbs only (pods get/list is not a wildcard); one-replica
  // Deployment. Nothing.
  { file: 'DataDog+helm-charts/test/private-action-runner/__snapshot__/enable-kubernetes-actions.yaml', expected: [] },

  // ── GoogleCloudPlatform/microservices-demo ──────────────────────────────────────────────────────────
  // One-replica Deployments (replicas unset = 1): quiet.
  { file: 'GoogleCloudPlatform+microservices-demo/kubernetes-manifests/frontend.yaml', expected: [] },
  { file: 'GoogleCloudPlatform+microservices-demo/kubernetes-manifests/loadgenerator.yaml', expected: [] },
  // Default-deny NetworkPolicy with no namespace: not kube-system nor a CNI namespace (C.7 CRIT-NP-1 is
  // about those namespaces only).
  { file: 'GoogleCloudPlatform+microservices-demo/kustomize/components/network-policies/network-policy-deny-all.yaml', expected: [] },

  // ── argoproj/argo-cd ────────────────────────────────────────────────────────────────────────────────
  // `*`/`*`/`*` ClusterRole with no binding in the unit: rbac-wildcard judges bindings ("roles nobody in
  // the unit binds" are quiet).
  { file: 'argoproj+argo-cd/manifests/cluster-rbac/application-controller/argocd-application-controller-clusterrole.yaml', expected: [] },
  // The binding alone: its role is not in the unit, so nothing to join (not cluster-admin).
  { file: 'argoproj+argo-cd/manifests/cluster-rbac/application-controller/argocd-application-controller-clusterrolebinding.yaml', expected: [] },
  // One-replica StatefulSet with a readiness probe.
  { file: 'argoproj+argo-cd/manifests/base/application-controller/argocd-application-controller-statefulset.yaml', expected: [] },

  // ── argoproj/argo-rollouts ──────────────────────────────────────────────────────────────────────────
  // Dashboard: named-verb ClusterRole (pods list/watch, no wildcard) bound to a one-replica Deployment.
  { file: 'argoproj+argo-rollouts/manifests/dashboard-install.yaml', expected: [] },

  // ── elastic/beats ───────────────────────────────────────────────────────────────────────────────────
  // Filebeat: new DaemonSet (medium: no live watch-all finding, because add_kubernetes_metadata at node scope
  // (`host: ${NODE_NAME}`) is node-scope evidence that settles daemonset-cluster-watch — beats-cluster-scope
  // doc "Node scope is quiet evidence"); no readiness probe (low). hostNetwork without privileged or a
  // tolerate-all toleration: no rule.
  {
    file: 'elastic+beats/deploy/kubernetes/filebeat-kubernetes.yaml',
    expected: [
      [NEW_DS, 'medium', 48],
      [WS, 'low', 66],
    ],
  },
  // Metricbeat: autodiscover `scope: cluster` + `unique: true` → SCALE-BEATS-3 lease polling, N/3.2 = 1,563
  // GETs/s at 5,000 nodes = 0.78× → medium (capped at medium), at the `unique` line. The unique provider's
  // state_* templates run on the leader only (not judged). Nothing shows node scope, and the ClusterRole
  // lets every replica list pods, nodes, events… cluster-wide: daemonset-cluster-watch at the model's
  // critical one level lower (scope unknown) → high, at serviceAccountName; so new-daemonset is high.
  // No readiness probe (low).
  {
    file: 'elastic+beats/deploy/kubernetes/metricbeat-kubernetes.yaml',
    expected: [
      ['watch-all/beats-cluster-scope', 'medium', 25],
      [DSCW, 'high', 148],
      [NEW_DS, 'high', 135],
      [WS, 'low', 153],
    ],
  },
  // ── fluent/helm-charts ──────────────────────────────────────────────────────────────────────────────
  // A values file alone, with no Chart.yaml beside it and no HelmRelease / Application naming the chart,
  // renders nothing (docs/helm.md: a chart directory is found by its Chart.yaml). Its top-level `kind:
  // DaemonSet` is a values key, not an object.
  { file: 'fluent+helm-charts/charts/fluent-bit/values.yaml', expected: [] },
  { file: 'fluent+helm-charts/charts/fluentd/values.yaml', expected: [] },

  // ── grafana/loki ────────────────────────────────────────────────────────────────────────────────────
  // A HelmRelease of a chart the tool has no knowledge of (a note, no finding) and a Job.
  { file: 'grafana+loki/production/helm/loki/test/integration/single-binary/log-generator.yaml', expected: [] },
  { file: 'grafana+loki/production/helm/loki/docs/examples/enterprise/batchjob.yaml', expected: [] },

  // ── kubernetes-sigs/metrics-server ──────────────────────────────────────────────────────────────────
  // One-replica Deployment in kube-system (not cluster DNS); named-verb RBAC (pods/nodes reads are not
  // wildcards; system:auth-delegator is not cluster-admin).
  { file: 'kubernetes-sigs+metrics-server/manifests/base/deployment.yaml', expected: [] },
  { file: 'kubernetes-sigs+metrics-server/manifests/base/rbac.yaml', expected: [] },

  // ── kyverno/kyverno ─────────────────────────────────────────────────────────────────────────────────
  // ClusterPolicy objects: no rule judges Kyverno policies (the NetworkPolicy inside a generate rule is
  // not an object of the repository).
  { file: 'kyverno+kyverno/test/best_practices/add_network_policy.yaml', expected: [] },
  { file: 'kyverno+kyverno/test/best_practices/disallow_privileged.yaml', expected: [] },

  // ── kubernetes/ingress-nginx ────────────────────────────────────────────────────────────────────────
  // Fail-closed webhook on ingresses only, no kube-system exclusion → medium `fail-closed` (C.1; the rule
  // doc makes non-pod/node/namespace resources medium) at `failurePolicy`; timeoutSeconds unset (10 s) →
  // medium `timeout`, at the webhook's `name` line. The controller Deployment has one replica and probes.
  {
    file: 'kubernetes+ingress-nginx/deploy/static/provider/baremetal/deploy.yaml',
    expected: [
      ['blast-radius/admission-webhook', 'medium', 655],
      ['blast-radius/admission-webhook', 'medium', 657],
    ],
  },
  {
    file: 'kubernetes+ingress-nginx/deploy/static/provider/aws/deploy.yaml',
    expected: [
      ['blast-radius/admission-webhook', 'medium', 661],
      ['blast-radius/admission-webhook', 'medium', 663],
    ],
  },
  // ── grafana/alloy (rendered helm tests) ─────────────────────────────────────────────────────────────
  // The DaemonSet alone: new on 5,000 assumed nodes (medium); it has a readiness probe; its ConfigMap and
  // RBAC are other files (absent here), so no watch-all finding.
  { file: 'grafana+alloy/operations/helm/tests/create-daemonset/alloy/templates/controllers/daemonset.yaml', expected: [[NEW_DS, 'medium', 6]] },
  // Keyed tolerations only (`key2 Exists` has a key): no tolerate-all; a custom nodeSelector.
  { file: 'grafana+alloy/operations/helm/tests/nodeselectors-and-tolerations/alloy/templates/controllers/daemonset.yaml', expected: [[NEW_DS, 'medium', 6]] },
  // Alloy's ClusterRole: named read verbs, no wildcard, no workload in the file.
  { file: 'grafana+alloy/operations/helm/tests/create-daemonset/alloy/templates/rbac.yaml', expected: [] },

  // ── open-telemetry/opentelemetry-helm-charts ────────────────────────────────────────────────────────
  // kube-stack: the daemonset collector's k8s_attributes has a node filter whose env var the CR sets, but
  // extracts k8s.deployment.name without deployment_name_from_replicaset → every node watches all
  // ReplicaSets (SCALE-OTEL-2, WARN: at most medium; 5,000 × 5,000 RS × 8 KiB = 0.91× → medium), at the
  // `- k8s.deployment.name` line. Its prometheus discovery is node-scoped by `spec.nodeName=${env:…}` /
  // `metadata.name=${env:…}` selectors. k8s_cluster / k8s_objects sit in the `deployment`-mode collector:
  // not per-node. No DaemonSet objects (new-daemonset counts kind DaemonSet only).
  {
    file: 'open-telemetry+opentelemetry-helm-charts/charts/opentelemetry-kube-stack/examples/no-leader-election-extension/rendered/collector.yaml',
    expected: [['watch-all/otel-k8sattributes', 'medium', 206]],
  },
  // kube-stack daemonset + k8s_objects WITH k8s_leader_elector → SCALE-OTEL-5 (WARN, at most medium:
  // N/3.2 lease GETs/s = 0.78× at 5,000 → medium) at the receiver line; k8s_attributes as above (line 44).
  {
    file: 'open-telemetry+opentelemetry-helm-charts/charts/opentelemetry-kube-stack/examples/daemonset-kubernetes-objects/rendered/collector.yaml',
    expected: [
      ['watch-all/otel-cluster-receivers', 'medium', 99],
      ['watch-all/otel-k8sattributes', 'medium', 44],
    ],
  },

  // ── projectcalico/calico ────────────────────────────────────────────────────────────────────────────
  // Calico's CSI node driver is a storage DaemonSet, not the CNI agent (C.4 lists calico-node, cilium…):
  // new DaemonSet (medium), no readiness probe (low). It tolerates both `master` and `control-plane`
  // (master-node-selector quiet) with keyed tolerations; default ServiceAccount, no binding.
  {
    file: 'projectcalico+calico/manifests/csi-driver.yaml',
    expected: [
      [NEW_DS, 'medium', 23],
      [WS, 'low', 48],
    ],
  },
  // calico-node on the etcd datastore (no DATASTORE_TYPE): a new CNI DaemonSet is high (network-daemonset
  // `new`, at its metadata.name); no Typha finding on etcd (SCALE-CNI-1 is about KDD); tolerate-all and
  // daemonset-cluster-watch leave CNI agents out; calico-kube-controllers has one replica and a probe.
  { file: 'projectcalico+calico/manifests/calico-etcd.yaml', expected: [['blast-radius/network-daemonset', 'high', 327]] },
  { file: 'projectcalico+calico/manifests/canal-etcd.yaml', expected: [['blast-radius/network-daemonset', 'high', 411]] },
  // Calico API server: an ingress-only NetworkPolicy in calico-apiserver (the class needs egress to the
  // API server, untouched), a one-replica Deployment with a probe, named-verb RBAC.
  { file: 'projectcalico+calico/manifests/apiserver.yaml', expected: [] },
  // ── prometheus-operator/kube-prometheus ─────────────────────────────────────────────────────────────
  // node-exporter: new DaemonSet (medium; its RBAC is in other files); a keyless `operator: Exists` with no
  // effect and only a `kubernetes.io/os` nodeSelector (every node has it) → tolerate-all medium (C.7
  // CRIT-TOL-1; hostNetwork + hostPID but no privileged container and no fleet, so not high); no readiness
  // probe (low). maxUnavailable 10% is quiet without a watch-all finding.
  // corrected: I expected the no-readiness finding at the container's `name:` (42); the tool points at the
  // container's list item (`- args:`, 29). The rule doc does not fix the line and its table test's needle
  // (`- name: main`) is that same item line, so the tool is right: the finding is about the container entry.
  {
    file: 'prometheus-operator+kube-prometheus/manifests/nodeExporter-daemonset.yaml',
    expected: [
      [NEW_DS, 'medium', 9],
      ['blast-radius/tolerate-all-daemonset', 'medium', 111],
      [WS, 'low', 29],
    ],
  },
  // prometheus-adapter: 2 replicas with probes; its PodDisruptionBudget is another file → no-pdb (low, at
  // `replicas:`), D.1.
  { file: 'prometheus-operator+kube-prometheus/manifests/prometheusAdapter-deployment.yaml', expected: [[WS, 'low', 12]] },
  // kube-state-metrics as a one-replica Deployment (never judged by the KSM DaemonSet rule).
  { file: 'prometheus-operator+kube-prometheus/manifests/kubeStateMetrics-deployment.yaml', expected: [] },

  // ── kubernetes/examples ─────────────────────────────────────────────────────────────────────────────
  // Archived monitoring agents: new DaemonSets (medium), no readiness probe (low, at the container's name).
  // Privileged + hostNetwork but no toleration at all: no tolerate-all finding.
  // corrected (newrelic): the no-readiness line is the container's list item (`- resources:`, 25), not its
  // `name:` (34), as for node-exporter above.
  {
    file: 'kubernetes+examples/_archived/newrelic/newrelic-daemonset.yaml',
    expected: [
      [NEW_DS, 'medium', 4],
      [WS, 'low', 25],
    ],
  },
  {
    file: 'kubernetes+examples/_archived/sysdig-cloud/sysdig-daemonset.yaml',
    expected: [
      [NEW_DS, 'medium', 6],
      [WS, 'low', 41],
    ],
  },

  // ── open-policy-agent/gatekeeper ────────────────────────────────────────────────────────────────────
  // kubebuilder's generated webhooks: check-ignore-label fails closed on namespace CREATE/UPDATE with no
  // namespaceSelector → high (C.1 CRIT-WH-1; namespaces are in the rule doc's high set) at failurePolicy;
  // timeoutSeconds unset (10 s) → medium timeout at its name. The two `Ignore` webhooks are quiet.
  {
    file: 'open-policy-agent+gatekeeper/config/webhook/manifests.yaml',
    expected: [
      ['blast-radius/admission-webhook', 'high', 43],
      ['blast-radius/admission-webhook', 'medium', 45],
    ],
  },
  // The kustomize patch alone: webhooks with no `rules` match no request, so failing closed (the v1
  // default) blocks nothing — quiet.
  { file: 'open-policy-agent+gatekeeper/config/webhook/webhook_patch.yaml', expected: [] },
  // A binding whose ClusterRole (manager-role) is not in the unit.
  { file: 'open-policy-agent+gatekeeper/config/rbac/role_binding.yaml', expected: [] },

  // ── fluxcd/flux2-kustomize-helm-example ─────────────────────────────────────────────────────────────
  // HelmReleases of charts the tool has no knowledge of (podinfo, cert-manager): a note, no finding.
  { file: 'fluxcd+flux2-kustomize-helm-example/apps/base/podinfo/release.yaml', expected: [] },
  { file: 'fluxcd+flux2-kustomize-helm-example/infrastructure/controllers/cert-manager.yaml', expected: [] },

  // ── cert-manager/cert-manager ───────────────────────────────────────────────────────────────────────
  // A CRD the PR adds is new: nothing can use a version of it yet (crd-versions compares with the base).
  { file: 'cert-manager+cert-manager/deploy/crds/cert-manager.io_certificates.yaml', expected: [] },
  { file: 'cert-manager+cert-manager/deploy/manifests/namespace.yaml', expected: [] },

  // ── values files without their Chart.yaml (no chart to model: nothing renders) ────────────────────────
  { file: 'vectordotdev+helm-charts/charts/vector/ci/agent-default-values.yaml', expected: [] },
  { file: 'vectordotdev+helm-charts/charts/vector/values.yaml', expected: [] },
  { file: 'grafana+helm-charts/charts/promtail/values.yaml', expected: [] },
  { file: 'grafana+helm-charts/charts/promtail/ci/default-values.yaml', expected: [] },
  { file: 'prometheus-community+helm-charts/charts/prometheus-blackbox-exporter/ci/daemonset-values.yml', expected: [] },
  { file: 'prometheus-community+helm-charts/charts/kube-state-metrics/values.yaml', expected: [] },
  // ── DataDog/helm-charts (chart baselines) ───────────────────────────────────────────────────────────
  // Windows node agent: the agent container sets DD_CLUSTER_AGENT_ENABLED=true and
  // DD_KUBELET_USE_API_SERVER=false → datadog-agent quiet, and that is node-scope evidence for
  // daemonset-cluster-watch (datadog-agent doc "Quiet"), so the new DaemonSet is medium. It has probes; a
  // keyed Windows toleration; the cluster agent is one replica; the orchestrator-explorer ClusterRole's
  // `*` resources are limited to named API groups (rbac-wildcard: quiet).
  { file: 'DataDog+helm-charts/test/datadog/baseline/manifests/default_all_windows.yaml', expected: [[NEW_DS, 'medium', 926]] },
  // daemonset_default: the same node agent (medium new DaemonSet) plus the datadog-operator, whose
  // ClusterRole grants `*` on both webhook configuration kinds, bound to its ServiceAccount → rbac-wildcard
  // `sensitive` high at that rule's `resources` line (C.6 CRIT-RBAC-1; the rule doc names this very case).
  {
    file: 'DataDog+helm-charts/test/datadog/baseline/manifests/daemonset_default.yaml',
    expected: [
      ['blast-radius/rbac-wildcard', 'high', 488],
      [NEW_DS, 'medium', 1849],
    ],
  },

  // ── argoproj/argo-rollouts (more) ───────────────────────────────────────────────────────────────────
  // One-replica controller; ClusterRoles that only aggregate into the built-in admin/edit/view (not
  // covered by rbac-wildcard, and bound by nobody in the unit).
  { file: 'argoproj+argo-rollouts/manifests/base/argo-rollouts-deployment.yaml', expected: [] },
  { file: 'argoproj+argo-rollouts/manifests/base/argo-rollouts-aggregate-roles.yaml', expected: [] },
  // ── further files (to 60) ───────────────────────────────────────────────────────────────────────────
  // ingress-nginx for kind: the controller tolerates `master` AND `control-plane` (master-node-selector
  // quiet: the same selection also accepts control-plane), nodeSelector `ingress-ready`; webhook as above.
  {
    file: 'kubernetes+ingress-nginx/deploy/static/provider/kind/deploy.yaml',
    expected: [
      ['blast-radius/admission-webhook', 'medium', 666],
      ['blast-radius/admission-webhook', 'medium', 668],
    ],
  },
  // The OpenTelemetry operator's webhooks all fail open (`failurePolicy: Ignore`): quiet (C.1 is about
  // Fail), even on pods and with a 10 s timeout (the timeout finding needs a fail-closed one).
  {
    file: 'open-telemetry+opentelemetry-helm-charts/charts/opentelemetry-kube-stack/examples/daemonset-kubernetes-objects/rendered/opentelemetry-operator/admission-webhooks/operator-webhook-with-cert-manager.yaml',
    expected: [],
  },
  // Datadog `confd` baseline: the node agent's own confd holds only redisdb (no kubernetes_state_core on the
  // node agent: SCALE-DD-3 quiet; the KSM core check sits in the cluster agent's confd with
  // cluster_check); datadog-operator `*` on webhook configurations (high sensitive, its resources line);
  // the new node agent DaemonSet (medium, node-scoped by DD_CLUSTER_AGENT_ENABLED=true); the cluster checks
  // runner has 2 replicas and no PodDisruptionBudget (no-pdb, low, at `replicas:`).
  {
    file: 'DataDog+helm-charts/test/datadog/baseline/manifests/confd.yaml',
    expected: [
      ['blast-radius/rbac-wildcard', 'high', 541],
      [NEW_DS, 'medium', 1920],
      [WS, 'low', 2710],
    ],
  },
  // An `extensions/v1beta1` DaemonSet: new-daemonset counts kind DaemonSet in any API group (medium).
  // corrected: I expected no workload-strategy finding because its doc scopes the rule to `apps/v1`; the
  // tool reports the missing readiness probe (low, at the container item, line 14). RULEBOOK D.1 ROLL-W-3
  // ("readinessProbe absent on DaemonSet/Deployment containers") does not depend on the API version, and
  // new-daemonset already judges any group, so the tool is right by RULEBOOK; the rule doc's "(`apps/v1`)"
  // is narrower than the rule (a doc inconsistency, reported).
  {
    file: 'kubernetes+examples/_archived/volumes/flexvolume/deploy/ds.yaml',
    expected: [
      [NEW_DS, 'medium', 4],
      [WS, 'low', 14],
    ],
  },
  // ClusterRoleBindings of people's groups (and the built-in `edit`): rbac-wildcard is about workload
  // identities only.
  { file: 'kubernetes+examples/_archived/podsecuritypolicy/rbac/bindings.yaml', expected: [] },
  {
    file: 'kubernetes+examples/_archived/newrelic-infrastructure/newrelic-infra-daemonset.yaml',
    expected: [
      [NEW_DS, 'medium', 4],
      [WS, 'low', 22],
    ],
  },
  // hostNetwork Alloy DaemonSet with a readiness probe and no toleration: only the new DaemonSet.
  { file: 'grafana+alloy/operations/helm/tests/create-daemonset-hostnetwork/alloy/templates/controllers/daemonset.yaml', expected: [[NEW_DS, 'medium', 6]] },
  // prometheus-operator: one replica; `--watch-referenced-objects-in-all-namespaces` is on a Deployment
  // (agent-poll-interval judges per-node agents only).
  { file: 'prometheus-operator+kube-prometheus/manifests/prometheusOperator-deployment.yaml', expected: [] },
];

function run(file: string) {
  const text = readCorpus(file);
  const head = { [file]: text };
  const cache = new Map<string, ParsedFile>();
  const toInputs = (files: Record<string, string>) => Object.entries(files).map(([path, t]) => ({ path, text: t }));
  const { report } = analyze({
    changes: changeSetOf({}, head),
    base: treeFromFiles('base', [], cache),
    head: treeFromFiles('head', toInputs(head), cache),
    config: defaultConfig(),
    rules: RULES,
  });
  return report;
}

const fmt = (e: Expected) => `${e[1]} ${e[0]} line ${e[2]}`;

describe.skipIf(!HAS_CORPUS)('real-world goldens: one corpus file added to an empty repository (default config)', () => {
  it('covers at least 2 files of every upstream repository folder', () => {
    const perRepo = new Map<string, number>();
    for (const g of GOLDENS) perRepo.set(g.file.split('/')[0], (perRepo.get(g.file.split('/')[0]) ?? 0) + 1);
    console.log(`goldens: ${GOLDENS.length} files; per repository: ${[...perRepo].map(([r, n]) => `${r} ${n}`).join(', ')}`);
    expect(new Set(GOLDENS.map((g) => g.file)).size).toBe(GOLDENS.length);
  });
  for (const g of GOLDENS) {
    const test = g.toolWrong ? it.fails : it;
    test(g.file, () => {
      const report = run(g.file);
      expect(report.notes.filter((n) => n.startsWith('internal error'))).toEqual([]);
      const actual = report.findings.filter((f) => !f.suppressed).map((f) => `${f.severity} ${f.ruleId} line ${f.line}`).sort();
      expect(actual).toEqual(g.expected.map(fmt).sort());
    });
  }
});

/** Kinds that make a corpus file one the snapshot below lists (workloads, webhooks, RBAC, agent configs). */
const SNAPSHOT_KINDS = new Set(['Deployment', 'DaemonSet', 'StatefulSet', 'ValidatingWebhookConfiguration', 'MutatingWebhookConfiguration', 'ClusterRole', 'Role', 'ClusterRoleBinding', 'RoleBinding', 'ConfigMap', 'OpenTelemetryCollector', 'PrometheusAgent']);

function corpusYamlFiles(dir = ''): string[] {
  const out: string[] = [];
  for (const e of readdirSync(CORPUS_DIR + dir, { withFileTypes: true })) {
    const p = dir ? `${dir}/${e.name}` : e.name;
    if (e.isDirectory()) out.push(...corpusYamlFiles(p));
    else if (/\.ya?ml$/.test(e.name)) out.push(p);
  }
  return out.sort();
}

// A SNAPSHOT, not reviewed expectations: what the tool finds today on every other corpus file with a
// workload, webhook, RBAC or agent config, each added alone to an empty repository. A change to it is a
// change of behaviour on real files: review the diff, then update with `npx vitest run -u`.
describe.skipIf(!HAS_CORPUS)('corpus snapshot: every other file with a workload, webhook, RBAC or agent config', () => {
  it('matches the recorded findings (snapshot)', async () => {
    const golden = new Set(GOLDENS.map((g) => g.file));
    const lines: string[] = [];
    for (const file of HAS_CORPUS ? corpusYamlFiles() : []) {
      if (golden.has(file)) continue;
      const parsed = treeFromFiles('head', [{ path: file, text: readCorpus(file) }]);
      if (!parsed.objects.some((o) => SNAPSHOT_KINDS.has(o.kind))) continue;
      const report = run(file);
      expect(report.notes.filter((n) => n.startsWith('internal error')), file).toEqual([]);
      const found = report.findings.filter((f) => !f.suppressed).map((f) => `${f.severity} ${f.ruleId} line ${f.line}`).sort();
      lines.push(`${file}: ${found.length ? found.join('; ') : 'none'}`);
    }
    expect(lines.length).toBeGreaterThan(500);
    await expect(`${lines.join('\n')}\n`).toMatchFileSnapshot('__snapshots__/corpus-findings.snapshot.txt');
  }, 120_000);
});
