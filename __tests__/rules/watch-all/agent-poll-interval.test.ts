/**
 * Table tests of watch-all/agent-poll-interval. Each dangerous case has a safe twin (the same agent polling at
 * 1 s or slower, or with watch-all off and its lists bounded to its node). Lines are looked up in the case's
 * own YAML; inside a ConfigMap block they are the config line's own line.
 *
 * The Done-when, worked with the load model (src/load-model.ts, defaults: 30 pods per node, 8 KiB
 * objects, 3 API servers at 1.25e9 B/s, 2,000 requests/s, 5,000 services): a generic agent with
 * `poll_interval_ms: 100` watching pods, nodes and services makes N × 3 × 10 requests per second:
 * - 4,800 nodes: 144,000 req/s → ratio_rate 72 (and, watching them cluster-wide, relist 5.5 TiB → 27) →
 *   critical;
 * - 20 nodes: 600 req/s → ratio_rate 0.3 (relist 0.86 GiB → 0.004) → medium, so "at most medium" holds.
 */
import { describe, expect, it } from 'vitest';
import { agentPollInterval, detector, durationMs, entriesOf, snake } from '../../../rules/watch-all/agent-poll-interval.js';
import { configScope } from '../../../src/agents/kit.js';
import { agentConfigsOf } from '../../../src/agents/config.js';
import { agentLoad, loadParams } from '../../../src/load-model.js';
import { defaultConfig } from '../../../src/config.js';
import { treeFromFiles } from '../../../src/tree.js';
import { lineContaining, ruleTester, runCase, type ExpectedFinding } from '../../helpers/rule-tester.js';
import { HAS_CORPUS, readCorpus } from '../../helpers/corpus.js';

const RULE = 'watch-all/agent-poll-interval';

interface AgentSpec {
  kind?: string;
  name?: string;
  /** The ConfigMap key and its content (indented into a `|` block). */
  key?: string;
  config?: string;
  args?: string[];
  env?: Record<string, string>;
  annotations?: Record<string, string>;
  image?: string;
}

/** A per-node agent (DaemonSet) and the ConfigMap it mounts, in one file. */
function agent(a: AgentSpec = {}): string {
  const name = a.name ?? 'node-agent';
  const lines = [
    'apiVersion: apps/v1',
    `kind: ${a.kind ?? 'DaemonSet'}`,
    'metadata:',
    `  name: ${name}`,
    '  namespace: monitoring',
    ...(a.annotations ? ['  annotations:', ...Object.entries(a.annotations).map(([k, v]) => `    ${k}: ${JSON.stringify(v)}`)] : []),
    'spec:',
    '  selector:',
    `    matchLabels: {app: ${name}}`,
    '  template:',
    '    metadata:',
    `      labels: {app: ${name}}`,
    '    spec:',
    '      containers:',
    '      - name: agent',
    `        image: ${a.image ?? 'example.com/node-agent:2.1.0'}`,
  ];
  if (a.args) lines.push('        args:', ...a.args.map((x) => `        - ${JSON.stringify(x)}`));
  if (a.env) lines.push('        env:', ...Object.entries(a.env).map(([k, v]) => `        - {name: ${k}, value: ${JSON.stringify(v)}}`));
  lines.push('        volumeMounts: [{name: config, mountPath: /etc/agent}]', '      volumes:', '      - name: config', `        configMap: {name: ${name}-config}`);
  lines.push('---', 'apiVersion: v1', 'kind: ConfigMap', 'metadata:', `  name: ${name}-config`, '  namespace: monitoring', 'data:');
  if (a.config !== undefined) {
    lines.push(`  ${a.key ?? 'agent.yaml'}: |`, ...a.config.trimEnd().split('\n').map((l) => (l ? `    ${l}` : '')));
  } else lines.push('  unrelated: "x"');
  return `${lines.join('\n')}\n`;
}

const file = (text: string) => ({ 'infrastructure/monitoring/node-agent.yaml': text });
const fleet = (...clusters: Array<[string, number]>) => ({ fleet: { clusters: clusters.map(([name, nodes]) => ({ name, nodes, paths: ['**'] })) } });
const BIG = fleet(['big', 5000]);
const PROD = fleet(['prod-us', 4800]);
const TINY = fleet(['edge', 20]);
const SMALL = fleet(['staging', 100]);
const TRAP = fleet(['edge', 20], ['prod-us', 4800]);

const CM = 'ConfigMap/node-agent-config/data.agent.yaml';
const ARGS = 'DaemonSet/node-agent/spec.template.spec.containers.0';
const at = (severity: ExpectedFinding['severity'], text: string, needle: string, key: string, messageIncludes?: string[]): ExpectedFinding => ({
  severity,
  key,
  line: lineContaining(text, needle),
  ...(messageIncludes ? { messageIncludes } : {}),
});

// ---- fixtures -------------------------------------------------------------------------------------

// The Done-when agent, in the two ways a config says what it watches.
const doneWatchAll = agent({ config: 'watch_all_pods: true\nwatch_all_nodes: true\nwatch_all_services: true\npoll_interval_ms: 100\n' });
const doneList = agent({ config: 'kubernetes:\n  resources: [pods, nodes, services]\n  poll_interval_ms: 100\n' });
const doneListSlow = agent({ config: 'kubernetes:\n  resources: [pods, nodes, services]\n  poll_interval_ms: 1000\n' });

const watchPods = agent({ config: 'log_level: info\nwatch_all_pods: true\n' });
const watchPodsOff = agent({ config: 'log_level: info\nwatch_all_pods: false\nfield_selector: spec.nodeName=${NODE_NAME}\n' });
const watchAllList = agent({ config: 'collector:\n  watch: all\n  resources: [Pod, Node]\n' });
const watchNode = agent({ config: 'collector:\n  watch: node\n  resources: [Pod, Node]\n' });
const camel = agent({ config: 'watchAll: true\nlogLevel: info\n' });
const allNamespaces = agent({ config: 'watchAllNamespaces: true\nkinds: [pods, events]\n' });
const ini = agent({ key: 'agent.conf', config: '[service]\nlog_level = info\n\n[kubernetes]\nwatch_all_pods = true\nresync_period = 500ms\n' });
const iniSlow = agent({ key: 'agent.conf', config: '[service]\nlog_level = info\n\n[kubernetes]\nwatch_all_pods = false\nresync_period = 5m\nfield_selector = spec.nodeName=${NODE_NAME}\n' });
const toml = agent({ key: 'agent.toml', config: '[agent]\nname = "node"\n\n[agent.kubernetes]\nresources = ["pods", "nodes"]\npoll_interval = "250ms"\n' });
const argsFast = agent({ args: ['--log-level=info', '--resync-period=0.5s'] });
const argsSlow = agent({ args: ['--log-level=info', '--resync-period=30s'] });
const argsSplit = agent({ args: ['--poll-interval', '200ms', '--watch-all-pods'] });
const envFast = agent({ env: { LOG_LEVEL: 'info', POLL_INTERVAL_MS: '100' } });
const envSlow = agent({ env: { LOG_LEVEL: 'info', POLL_INTERVAL_MS: '10000' } });
const kindInKey = agent({ config: 'node_resync_period: 500ms\n' });
const bareSeconds = agent({ config: 'poll_interval: 0.5\n' });
const bareSecondsSlow = agent({ config: 'poll_interval: 500\n' });
const apiScrape = agent({ config: 'apiserver_scrape_interval: 200ms\n' });
const nodeFiltered = agent({ config: 'poll_interval_ms: 100\nfield_selector: spec.nodeName=${NODE_NAME}\n' });
const envStyle = agent({ key: 'POLL_INTERVAL_MS', config: '100\n' });
const goDuration = agent({ config: 'sync_interval: 1m30s\nlist_period: 1s\n' });
const zero = agent({ config: 'resync_period: 0\nresync_period_seconds: 0\n' });
const prometheus = agent({
  key: 'prometheus.yml',
  config: 'global:\n  scrape_interval: 500ms\nscrape_configs:\n- job_name: pods\n  scrape_interval: 100ms\n  kubernetes_sd_configs:\n  - role: pod\n',
});
const refresh = agent({ config: 'file_sd:\n  refresh_interval: 100ms\n' });
const deployment = agent({ kind: 'Deployment', config: 'watch_all_pods: true\npoll_interval_ms: 100\n' });
const kubeProxy = agent({ name: 'kube-proxy', image: 'registry.k8s.io/kube-proxy:v1.33.1', args: ['--iptables-sync-period=500ms'] });
const iptables = agent({ args: ['--iptables-sync-period=500ms', '--ipvs-min-sync-period=100ms'] });
const ignored = agent({
  config: 'watch_all_pods: true\npoll_interval_ms: 100\n',
  annotations: { 'blast-radius.dev/ignore': `${RULE} -- runs on three edge nodes only, by nodeSelector` },
});
const oddInput = agent({ config: 'watch_all: [1, 2]\npoll_interval: {a: 1}\nresync_period: "fast"\nwatch_all_pods: {x: true}\nresources: 7\n' }) +
  '---\n' + agent({ name: 'odd-ini', key: 'agent.conf', config: '[broken\npoll_interval = \nresync_period = 10xs\n= 5\n}\n' });

ruleTester(agentPollInterval).run({
  valid: [
    { name: 'resources listed, polled every 1,000 ms: not sub-second (twin of the Done-when list)', files: file(doneListSlow), config: PROD },
    { name: 'watch_all_pods: false with a spec.nodeName field selector (twin of watch_all_pods: true)', files: file(watchPodsOff), config: BIG },
    { name: 'watch: node is not watch: all', files: file(watchNode), config: BIG },
    { name: 'INI: watch-all off, 5 m resync, node field selector (twin of the INI case)', files: file(iniSlow), config: BIG },
    { name: 'args: --resync-period=30s (twin of 0.5s)', files: file(argsSlow), config: BIG },
    { name: 'env: POLL_INTERVAL_MS=10000 (twin of 100)', files: file(envSlow), config: BIG },
    { name: 'bare number without a unit suffix is seconds: poll_interval: 500', files: file(bareSecondsSlow), config: BIG },
    { name: 'Go durations of a second and more', files: file(goDuration), config: BIG },
    { name: 'an interval of 0 disables the resync', files: file(zero), config: BIG },
    { name: 'Prometheus scrape_interval polls targets, not the API server', files: file(prometheus), config: BIG },
    { name: 'refresh_interval re-reads files or DNS', files: file(refresh), config: BIG },
    { name: 'Deployment: not a per-node workload', files: file(deployment), config: BIG },
    { name: 'kube-proxy is node infrastructure', files: file(kubeProxy), config: BIG },
    { name: 'iptables / ipvs sync periods program the node, not the API server', files: file(iptables), config: BIG },
    { name: 'already on the base, reaching the same clusters', base: file(doneWatchAll), files: file(doneWatchAll), config: PROD },
    { name: 'rule turned off', files: file(doneWatchAll), config: { ...PROD, rules: { [RULE]: 'off' } } },
    { name: 'ignore annotation suppresses the finding', files: file(ignored), config: PROD, suppressed: [at('critical', ignored, 'poll_interval_ms: 100', `poll-interval:poll_interval_ms@${CM}`)] },
    { name: 'odd input never throws', files: file(oddInput), config: BIG },
  ],
  invalid: [
    {
      name: 'Done-when: watch_all_pods/nodes/services and poll_interval_ms: 100 on 4,800 nodes is critical',
      files: file(doneWatchAll),
      config: PROD,
      findings: [
        at('critical', doneWatchAll, 'poll_interval_ms: 100', `poll-interval:poll_interval_ms@${CM}`, [
          'per-node agent DaemonSet "monitoring/node-agent", config ConfigMap "node-agent-config" key "agent.yaml": "poll_interval_ms: 100" polls pods, nodes and services every 100 ms (sub-second) from every node, 3 requests per interval per agent',
          '"watch_all_pods: true", "watch_all_nodes: true" and "watch_all_services: true" read pods, nodes and services cluster-wide from every node',
          'prod-us (4,800 nodes): relist 5.5 TiB, 144,000 req/s, 72× capacity — overload',
        ]),
      ],
    },
    {
      name: 'Done-when: the same agent on 20 nodes is medium',
      files: file(doneWatchAll),
      config: TINY,
      findings: [at('medium', doneWatchAll, 'poll_interval_ms: 100', `poll-interval:poll_interval_ms@${CM}`, ['edge (20 nodes): relist 0.9 GiB, 600 req/s, 0.3× capacity — strains'])],
    },
    {
      name: 'Done-when staging trap: 20-node edge strains, 4,800-node production overloads',
      files: file(doneWatchAll),
      config: TRAP,
      findings: [at('critical', doneWatchAll, 'poll_interval_ms: 100', `poll-interval:poll_interval_ms@${CM}`, ['edge (20 nodes): relist 0.9 GiB, 600 req/s, 0.3× capacity — strains; prod-us (4,800 nodes): 5.5 TiB, 144,000 req/s, 72× — overload'])],
    },
    {
      name: 'Done-when, kinds from a resources list beside the interval: critical on 4,800 nodes',
      files: file(doneList),
      config: PROD,
      findings: [
        at('critical', doneList, 'poll_interval_ms: 100', `poll-interval:poll_interval_ms@${CM}`, [
          '"poll_interval_ms: 100" polls pods, nodes and services every 100 ms',
          'nothing in the config shows what scope the lists have',
          'prod-us (4,800 nodes): relist 0 B, 144,000 req/s, 72× capacity — overload',
        ]),
      ],
    },
    {
      name: 'Done-when, resources list: medium on 20 nodes',
      files: file(doneList),
      config: TINY,
      findings: [at('medium', doneList, 'poll_interval_ms: 100', `poll-interval:poll_interval_ms@${CM}`, ['600 req/s, 0.3× capacity — strains'])],
    },
    {
      name: 'watch_all_pods: true on 5,000 nodes: critical (pods-only cluster-wide watch, ratio 27)',
      files: file(watchPods),
      config: BIG,
      findings: [at('critical', watchPods, 'watch_all_pods: true', `watch-all:watch_all_pods@${CM}`, ['"watch_all_pods: true" reads pods cluster-wide from every node', 'big (5,000 nodes): relist 5.6 TiB, 27× capacity — overload'])],
    },
    {
      name: 'watch_all_pods: true on 100 nodes: low',
      files: file(watchPods),
      config: SMALL,
      findings: [at('low', watchPods, 'watch_all_pods: true', `watch-all:watch_all_pods@${CM}`, ['staging (100 nodes): relist 2.3 GiB, 0.01× capacity — passes'])],
    },
    {
      name: 'no config: unmapped, 5,000 nodes assumed',
      files: file(watchPods),
      findings: [at('critical', watchPods, 'watch_all_pods: true', `watch-all:watch_all_pods@${CM}`, ['unmapped (5,000 nodes, assumed)'])],
    },
    {
      name: 'watch: all with a resources list of Kind names',
      files: file(watchAllList),
      config: BIG,
      findings: [at('critical', watchAllList, 'watch: all', `watch-all:watch@${CM}`, ['"watch: all" reads pods and nodes cluster-wide from every node'])],
    },
    {
      name: 'watchAll: true (camel case) reads pods when nothing names a kind',
      files: file(camel),
      config: BIG,
      findings: [at('critical', camel, 'watchAll: true', `watch-all:watchAll@${CM}`, ['"watchAll: true" reads pods cluster-wide'])],
    },
    {
      name: 'watchAllNamespaces: true reads the config kinds in every namespace',
      files: file(allNamespaces),
      config: BIG,
      findings: [at('critical', allNamespaces, 'watchAllNamespaces', `watch-all:watchAllNamespaces@${CM}`, ['reads pods and events cluster-wide'])],
    },
    {
      name: 'INI: watch_all_pods = true and resync_period = 500ms',
      files: file(ini),
      config: BIG,
      findings: [
        at('critical', ini, 'resync_period = 500ms', 'poll-interval:resync_period@ConfigMap/node-agent-config/data.agent.conf', [
          '"resync_period: 500ms" polls pods every 500 ms (sub-second) from every node, 1 request per interval per agent; "watch_all_pods: true" reads pods cluster-wide',
          '10,000 req/s',
        ]),
      ],
    },
    {
      name: 'TOML: a kind list and poll_interval = "250ms" in one table',
      files: file(toml),
      config: BIG,
      // 5,000 × 2 × 4 = 40,000 req/s → 20× → critical.
      findings: [at('critical', toml, 'poll_interval = "250ms"', 'poll-interval:poll_interval@ConfigMap/node-agent-config/data.agent.toml', ['polls pods and nodes every 250 ms', '40,000 req/s, 20× capacity'])],
    },
    {
      name: 'container args: --resync-period=0.5s (5,000 × 2 = 10,000 req/s: high)',
      files: file(argsFast),
      config: BIG,
      findings: [at('high', argsFast, '--resync-period=0.5s', `poll-interval:resync-period@${ARGS}`, ['config "container agent": "--resync-period=0.5s" polls pods every 500 ms', '10,000 req/s, 5× capacity'])],
    },
    {
      name: 'container args: --poll-interval 200ms as two items, and a bare --watch-all-pods flag',
      files: file(argsSplit),
      config: BIG,
      findings: [at('critical', argsSplit, '"--poll-interval"', `poll-interval:poll-interval@${ARGS}`, ['"--poll-interval 200ms" polls pods every 200 ms', '"--watch-all-pods" reads pods cluster-wide'])],
    },
    {
      name: 'container env: POLL_INTERVAL_MS=100',
      files: file(envFast),
      config: BIG,
      findings: [at('critical', envFast, 'POLL_INTERVAL_MS', `poll-interval:POLL_INTERVAL_MS@${ARGS}`, ['"POLL_INTERVAL_MS=100" polls pods every 100 ms', '50,000 req/s'])],
    },
    {
      name: 'env-style ConfigMap key POLL_INTERVAL_MS holding 100',
      files: file(envStyle),
      config: BIG,
      findings: [at('critical', envStyle, '    100', 'poll-interval:POLL_INTERVAL_MS@ConfigMap/node-agent-config/data.POLL_INTERVAL_MS', ['"POLL_INTERVAL_MS: 100" polls pods every 100 ms'])],
    },
    {
      name: 'the kind named in the key: node_resync_period: 500ms polls nodes',
      files: file(kindInKey),
      config: BIG,
      findings: [at('high', kindInKey, 'node_resync_period', `poll-interval:node_resync_period@${CM}`, ['polls nodes every 500 ms', '10,000 req/s'])],
    },
    {
      name: 'a bare number without a unit suffix is seconds: poll_interval: 0.5',
      files: file(bareSeconds),
      config: BIG,
      findings: [at('high', bareSeconds, 'poll_interval: 0.5', `poll-interval:poll_interval@${CM}`, ['every 500 ms'])],
    },
    {
      name: 'an interval key that names the API: apiserver_scrape_interval: 200ms',
      files: file(apiScrape),
      config: BIG,
      findings: [at('critical', apiScrape, 'apiserver_scrape_interval', `poll-interval:apiserver_scrape_interval@${CM}`, ['every 200 ms', '25,000 req/s'])],
    },
    {
      name: 'node-filtered sub-second polling: the rate still grows with the cluster',
      files: file(nodeFiltered),
      config: BIG,
      findings: [at('critical', nodeFiltered, 'poll_interval_ms: 100', `poll-interval:poll_interval_ms@${CM}`, ['its lists carry a spec.nodeName field selector, so only the rate grows with the cluster', 'relist 1.1 GiB, 50,000 req/s'])],
    },
    {
      name: 'a PR that makes an existing agent poll faster is new (higher severity)',
      base: file(agent({ config: 'poll_interval_ms: 500\n' })),
      files: file(agent({ config: 'poll_interval_ms: 100\n' })),
      config: BIG,
      findings: [at('critical', agent({ config: 'poll_interval_ms: 100\n' }), 'poll_interval_ms: 100', `poll-interval:poll_interval_ms@${CM}`)],
    },
    {
      name: 'config severity override applies',
      files: file(doneWatchAll),
      config: { ...PROD, rules: { [RULE]: { severity: 'medium' } } },
      findings: [at('medium', doneWatchAll, 'poll_interval_ms: 100', `poll-interval:poll_interval_ms@${CM}`)],
    },
  ],
});

describe('the Done-when holds in the load model', () => {
  const p = loadParams(defaultConfig());
  const profile = {
    watches: (['pods', 'nodes', 'services'] as const).map((resource) => ({ resource, scope: 'cluster' as const })),
    poll: { intervalMs: 100, kinds: 3 },
  };
  it('critical on 4,800 nodes', () => {
    const l = agentLoad(profile, 4800, p);
    expect(l.requestsPerSecond).toBe(144_000);
    expect(l.ratioRate).toBe(72);
    expect(l.severity).toBe('critical');
  });
  it('at most medium on 20 nodes (with or without the cluster-wide reads)', () => {
    const l = agentLoad(profile, 20, p);
    expect(l.requestsPerSecond).toBe(600);
    expect(l.ratio).toBeCloseTo(0.3, 5);
    expect(l.severity).toBe('medium');
    expect(agentLoad({ watches: [], poll: profile.poll }, 20, p).severity).toBe('medium');
  });
});

describe('parsing', () => {
  it('durations: Go strings, bare numbers by key suffix, nothing else', () => {
    expect(durationMs('100ms', 'poll_interval')).toBe(100);
    expect(durationMs('0.5s', 'resync')).toBe(500);
    expect(durationMs('1m30s', 'x')).toBe(90_000);
    expect(durationMs('250us', 'x')).toBeCloseTo(0.25);
    expect(durationMs(100, 'poll_interval_ms')).toBe(100);
    expect(durationMs('100', 'pollIntervalMs')).toBe(100);
    expect(durationMs(2, 'poll_interval_seconds')).toBe(2000);
    expect(durationMs(0.5, 'poll_interval')).toBe(500);
    expect(durationMs(1, 'poll_interval_minutes')).toBe(60_000);
    expect(durationMs('fast', 'x')).toBeUndefined();
    expect(durationMs('10xs', 'x')).toBeUndefined();
    expect(durationMs({}, 'x')).toBeUndefined();
  });
  it('key names in snake case', () => {
    expect(['watchAllPods', 'WATCH_ALL_PODS', '--watch-all-pods', 'resyncPeriod', 'poll.interval'].map(snake)).toEqual(['watch_all_pods', 'watch_all_pods', 'watch_all_pods', 'resync_period', 'poll_interval']);
  });
});

describe('evidence for watch-all/daemonset-cluster-watch (configScope)', () => {
  const scopeOf = (text: string) => {
    const t = treeFromFiles('head', [{ path: 'a.yaml', text }]);
    const ds = t.objects.find((o) => o.kind === 'DaemonSet')!;
    return configScope(ds, t.objects, [detector])?.scope;
  };
  it('watch-all reads cluster-wide; watch-all off with a node field selector is node-scoped; a poll alone says nothing', () => {
    expect(scopeOf(watchPods)).toBe('cluster');
    expect(scopeOf(watchPodsOff)).toBe('node');
    expect(scopeOf(doneList)).toBeUndefined();
    expect(scopeOf(nodeFiltered)).toBe('node');
  });
  it('reads every kind of entry', () => {
    const t = treeFromFiles('head', [{ path: 'a.yaml', text: argsSplit }]);
    const ds = t.objects.find((o) => o.kind === 'DaemonSet')!;
    const args = agentConfigsOf(ds, t.objects).find((c) => c.format === 'args')!;
    expect(entriesOf(args).map((e) => [e.key, e.value])).toEqual([
      ['poll-interval', '200ms'],
      ['watch-all-pods', 'true'],
    ]);
  });
});

// ---- real-world manifests -------------------------------------------------------------------------

const KUBE_STACK = 'open-telemetry+opentelemetry-helm-charts/charts/opentelemetry-kube-stack/examples/default/rendered/collector.yaml';
const METRICBEAT = 'elastic+beats/deploy/kubernetes/metricbeat-kubernetes.yaml';
const DATADOG = 'DataDog+helm-charts/test/datadog/baseline/manifests/daemonset_default.yaml';
const CALICO = 'projectcalico+calico/manifests/canal-etcd.yaml';

if (HAS_CORPUS) {
  const kubeStack = readCorpus(KUBE_STACK);
  const metricbeat = readCorpus(METRICBEAT);
  const datadog = readCorpus(DATADOG);
  const calico = readCorpus(CALICO);
  // A copy with the daemonset collector's Prometheus scrape_interval made sub-second: still not API polling.
  const kubeStackFast = kubeStack.replace(/scrape_interval: 30s/g, 'scrape_interval: 100ms');

  // Expected from RULEBOOK A.0 and the issue before the rule ran (no config: unmapped, 5,000 nodes assumed):
  // none of these agents uses generic watch-all or polling keys, so the rule must be quiet on all of them:
  // - opentelemetry-kube-stack default: daemonset collector with Prometheus scrape_interval (15s / 30s) and
  //   kubeletstats collection_interval — scrape targets and the kubelet, not the API server;
  // - metricbeat: `period: 10s` module settings (not a poll/resync key);
  // - datadog daemonset_default: DD_AGENT_IPC_CONFIG_REFRESH_INTERVAL=60 (agent IPC, not the API server);
  // - canal-etcd: FELIX_IPTABLESREFRESHINTERVAL=60 (and canal is node infrastructure anyway).
  describe('real-world manifests: the edits really happen', () => {
    it('the sub-second copy differs from the original', () => {
      expect(kubeStackFast).not.toBe(kubeStack);
      expect(kubeStackFast).toContain('scrape_interval: 100ms');
    });
  });
  ruleTester(agentPollInterval).run({
    valid: [
      { name: 'opentelemetry-kube-stack default collector', files: { [KUBE_STACK]: kubeStack } },
      { name: 'opentelemetry-kube-stack with scrape_interval: 100ms (targets, not the API server)', files: { [KUBE_STACK]: kubeStackFast } },
      { name: 'metricbeat-kubernetes.yaml', files: { [METRICBEAT]: metricbeat } },
      { name: 'datadog daemonset_default', files: { [DATADOG]: datadog } },
      { name: 'canal-etcd', files: { [CALICO]: calico } },
    ],
    invalid: [
      {
        // The same metricbeat DaemonSet with a generic sub-second resync added to its container env.
        name: 'metricbeat with RESYNC_PERIOD=500ms added to the container env',
        files: { [METRICBEAT]: metricbeat.replace('        - name: ELASTICSEARCH_HOST\n', '        - name: RESYNC_PERIOD\n          value: 500ms\n        - name: ELASTICSEARCH_HOST\n') },
        findings: [
          {
            severity: 'high',
            key: 'poll-interval:RESYNC_PERIOD@DaemonSet/metricbeat/spec.template.spec.containers.0',
            line: lineContaining(metricbeat.replace('        - name: ELASTICSEARCH_HOST\n', '        - name: RESYNC_PERIOD\n          value: 500ms\n        - name: ELASTICSEARCH_HOST\n'), 'value: 500ms'),
            messageIncludes: ['DaemonSet "kube-system/metricbeat"', '"RESYNC_PERIOD=500ms" polls pods every 500 ms', 'unmapped (5,000 nodes, assumed)'],
          },
        ],
      },
    ],
  });
  it('corpus fixtures give no finding at all (not even suppressed)', () => {
    for (const [p, text] of [[KUBE_STACK, kubeStack], [METRICBEAT, metricbeat], [DATADOG, datadog]] as const) {
      const r = runCase(agentPollInterval, { name: p, files: { [p]: text } });
      expect([...r.live, ...r.suppressed]).toEqual([]);
    }
  });
} else {
  describe.skip('real-world manifests (../shared/corpus is absent)', () => {
    it('skipped', () => {});
  });
}
