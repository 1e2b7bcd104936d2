// The generated fleet repo of scripts/bench.mjs (issue 11): 50 clusters, each a Kustomize overlay
// (clusters/<name>/kustomization.yaml) over shared bases — apps/<team>/<app>/ (Deployment, Service,
// ConfigMap with an embedded application config, HPA, PDB, ServiceAccount) and infra/ (node-agent
// DaemonSets with their RBAC and configs, namespaces, cluster roles) that every cluster includes — about
// 20,000 files and 100 MB at scale 1. Per-cluster team overlays pick ~60% of the teams (replicas for
// prod) and one strategic-merge patch tunes the agents. Written by one `git fast-import` stream: `main`,
// and `pr` bumping the image of one shared infra DaemonSet and adding a label to it. Deterministic: each
// team has its own seeded PRNG, so a smaller scale is a subset of a larger one (same teams, same apps).
// The templates it shares with the synthetic repo of scripts/bench.mjs live in ./manifests.mjs.
import { dataCmd, fastImport, rng } from './lib.mjs';
import {
  agentConfigMap, agentDaemonSet, agentRbac, appConfigMap, appDeployment, appImage, appService, fleetConfig, head, kustomization, pad, prometheusConfig,
} from './manifests.mjs';

/** The cluster whose own overlay branch `pr-cluster` changes (every size has it). */
const CLUSTER_PR = 'staging-1';

/** A cluster's patch of the first node agent: its memory limit. */
function agentPatch(memoryMi) {
  return `apiVersion: apps/v1
kind: DaemonSet
metadata:
  name: node-agent-00
  namespace: monitoring
spec:
  template:
    spec:
      containers:
        - name: agent
          resources:
            limits: { memory: ${memoryMi}Mi }
`;
}

/** The fleet's size at `scale` (1 = ~20,000 files, ~100 MB); `smoke`: ~300 files, 10 clusters. */
export function fleetSize(scale, smoke) {
  if (smoke) return { clusters: 10, teams: 2, appsPerTeam: 14, agents: 3, configKb: [4, 16] };
  return { clusters: 50, teams: Math.max(1, Math.round(40 * scale)), appsPerTeam: 65, agents: Math.max(2, Math.round(24 * scale)), configKb: [8, 56] };
}

function clusterList(n) {
  const out = [];
  const r = rng(0xc105);
  const regions = ['us-east', 'us-west', 'eu-west', 'eu-central', 'ap-south', 'ap-northeast'];
  const stages = n >= 50 ? { dev: 4, staging: 4, canary: 4 } : { dev: 1, staging: 1, canary: 1 };
  for (const [stage, count] of Object.entries(stages)) for (let i = 1; i <= count; i++) out.push({ name: `${stage}-${i}`, stage, nodes: r.int(10, 120) });
  for (let i = 0; out.length < n; i++) out.push({ name: `prod-${regions[i % regions.length]}-${Math.floor(i / regions.length) + 1}`, stage: 'prod', nodes: r.int(200, 5000) });
  return out;
}

/** The files of one app (seven manifests). */
function* appFiles(g, team, app, configKb) {
  const { int, pick } = g;
  const dir = `apps/${team}/${app}`;
  const meta = (apiVersion, kind) => head(apiVersion, kind, { name: app, namespace: team, part: team });
  yield [`${dir}/kustomization.yaml`, kustomization(['serviceaccount.yaml', 'deployment.yaml', 'service.yaml', 'configmap.yaml', 'hpa.yaml', 'pdb.yaml'])];
  yield [`${dir}/serviceaccount.yaml`, meta('v1', 'ServiceAccount')];
  yield [`${dir}/deployment.yaml`, appDeployment(g, team, app, () => appImage(g, team, app))];
  yield [`${dir}/service.yaml`, appService(team, app, { metrics: true })];
  yield [`${dir}/configmap.yaml`, appConfigMap(g, team, app, [configKb[0] * 1024, configKb[1] * 1024])];
  const min = int(2, 6);
  yield [`${dir}/hpa.yaml`, `${meta('autoscaling/v2', 'HorizontalPodAutoscaler')}spec:
  scaleTargetRef:
    apiVersion: apps/v1
    kind: Deployment
    name: ${app}
  minReplicas: ${min}
  maxReplicas: ${min + int(2, 40)}
  metrics:
    - type: Resource
      resource:
        name: cpu
        target: { type: Utilization, averageUtilization: ${int(50, 85)} }
`];
  yield [`${dir}/pdb.yaml`, `${meta('policy/v1', 'PodDisruptionBudget')}spec:
  ${g.r() < 0.5 ? `minAvailable: ${int(1, 2)}` : `maxUnavailable: ${pick(['1', '10%', '25%'])}`}
  selector:
    matchLabels:
      app.kubernetes.io/name: ${app}
`];
}

/** A node agent's DaemonSet: Prometheus at `image`; `extraLabel` one more label line (`key: value`). */
function prometheusDaemonSet(name, image, extraLabel) {
  return agentDaemonSet(name, { image, args: '--config.file=/etc/agent/prometheus.yml', extra: extraLabel ? `    ${extraLabel}\n` : '' });
}

/** Every file of the fleet at `size`, as [path, text]; `pr` holds the one file the pull request changes. */
function* fleetFiles(size) {
  const teams = Array.from({ length: size.teams }, (_, t) => `team-${pad(t, 2)}`);
  for (let t = 0; t < size.teams; t++) {
    const team = teams[t];
    const g = rng(0x7ea0000 + t);
    const apps = [];
    for (let a = 0; a < size.appsPerTeam; a++) {
      const app = `${team}-svc-${pad(a)}`;
      apps.push(app);
      yield* appFiles(g, team, app, size.configKb);
    }
    yield [`apps/${team}/namespace.yaml`, `apiVersion: v1\nkind: Namespace\nmetadata:\n  name: ${team}\n  labels:\n    example.com/team: ${team}\n`];
    yield [`apps/${team}/kustomization.yaml`, kustomization(['namespace.yaml', ...apps], { namespace: team })];
  }

  const g = rng(0x1afa);
  const agents = [];
  for (let i = 0; i < size.agents; i++) {
    const name = `node-agent-${pad(i, 2)}`;
    agents.push(name);
    const dir = `infra/agents/${name}`;
    yield [`${dir}/kustomization.yaml`, kustomization(['rbac.yaml', 'configmap.yaml', 'daemonset.yaml'])];
    yield [`${dir}/rbac.yaml`, agentRbac(g, name)];
    yield [`${dir}/configmap.yaml`, agentConfigMap(name, 'prometheus.yml', prometheusConfig(g, name, g.r() < 0.6, g.int(15000, 60000)))];
    yield [`${dir}/daemonset.yaml`, prometheusDaemonSet(name, agentImage(i))];
  }
  yield ['infra/agents/kustomization.yaml', kustomization(agents)];
  yield ['infra/namespaces.yaml', ['monitoring', 'platform'].map((n) => `apiVersion: v1\nkind: Namespace\nmetadata:\n  name: ${n}\n`).join('---\n')];
  yield ['infra/kustomization.yaml', kustomization(['namespaces.yaml', 'agents'])];

  const clusters = clusterList(size.clusters);
  const c = rng(0xc0ffee);
  for (const cl of clusters) {
    const mine = teams.filter(() => c.r() < 0.6);
    if (!mine.length) mine.push(teams[0]);
    const dir = `clusters/${cl.name}`;
    yield [`${dir}/kustomization.yaml`, kustomization(['../../infra', ...mine.map((t) => `teams/${t}`), 'cluster-config.yaml'], { tail: 'patches:\n  - path: patches/agents.yaml\n' })];
    yield [`${dir}/cluster-config.yaml`, `apiVersion: v1
kind: ConfigMap
metadata:
  name: cluster-config
  namespace: platform
data:
  cluster.name: ${cl.name}
  cluster.stage: ${cl.stage}
  cluster.nodes: "${cl.nodes}"
`];
    yield [`${dir}/patches/agents.yaml`, agentPatch(cl.stage === 'prod' ? 1024 : 512)];
    for (const t of mine) {
      const scaled = cl.stage === 'prod' ? `replicas:\n  - name: ${t}-svc-000\n    count: ${c.int(3, 12)}\n` : '';
      yield [`${dir}/teams/${t}/kustomization.yaml`, kustomization([`../../../../apps/${t}`], { tail: scaled })];
    }
  }
  yield ['.blast-radius.yml', fleetConfig(clusters)];
}

const agentImage = (i, tag = `v2.${50 + i}.0`) => `quay.io/prometheus/prometheus:${tag}`;

/**
 * Writes the fleet at `scale` into the empty repo `dir` (`main`, and `pr` from it) with one
 * `git fast-import`. Returns its counts and the pull request's path.
 */
export async function buildFleetRepo(dir, { scale = 1, smoke = false } = {}) {
  const size = fleetSize(scale, smoke);
  const fi = fastImport(dir);
  fi.write('feature done\n');
  fi.write(`commit refs/heads/main\nmark :1\ncommitter Bench <bench@example.com> 1704067200 +0000\n${dataCmd('Fleet manifests\n')}`);
  let files = 0;
  let bytes = 0;
  for (const [path, text] of fleetFiles(size)) {
    files++;
    bytes += Buffer.byteLength(text);
    fi.write(`M 100644 inline ${path}\n${dataCmd(text)}`);
    if (files % 500 === 0) await fi.drain();
  }
  // The pull request: one shared base every cluster includes (infra/agents/node-agent-00, patched by
  // every cluster too) gets a new image and a new label.
  const path = 'infra/agents/node-agent-00/daemonset.yaml';
  const after = prometheusDaemonSet('node-agent-00', agentImage(0, 'v2.55.1'), 'example.com/rollout-wave: "2"');
  fi.write(`commit refs/heads/pr\nmark :2\ncommitter Bench <bench@example.com> 1704070800 +0000\n${dataCmd('Bump node-agent-00 to v2.55.1\n')}from :1\nM 100644 inline ${path}\n${dataCmd(after)}`);
  // The most common fleet pull request: one cluster's own overlay (a staging cluster's agent patch) changes.
  const clusterPath = `clusters/${CLUSTER_PR}/patches/agents.yaml`;
  const clusterAfter = agentPatch(512).replace('memory: 512Mi', 'memory: 768Mi');
  fi.write(`commit refs/heads/pr-cluster\nmark :3\ncommitter Bench <bench@example.com> 1704070800 +0000\n${dataCmd(`Give the ${CLUSTER_PR} node agents more memory\n`)}from :1\nM 100644 inline ${clusterPath}\n${dataCmd(clusterAfter)}`);
  await fi.end();
  return { files, bytes, clusters: size.clusters, teams: size.teams, apps: size.teams * size.appsPerTeam, agents: size.agents, prPath: path, clusterPrPath: clusterPath };
}
