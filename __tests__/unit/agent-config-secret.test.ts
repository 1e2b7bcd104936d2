/**
 * Agent configs read from Secrets (src/agents/config.ts, `dataOf`; src/joins.ts): a per-node agent's Secret
 * mounted as a volume or a projected volume source is read like a ConfigMap, from its `stringData` keys
 * (which win) and then its `data` keys decoded from base64. A decoded key has no lines of its own: a finding
 * inside it points at the key. A Secret read only through the environment is not a config file; invalid
 * base64 is skipped. Checked through watch-all/prometheus-sd on a Prometheus DaemonSet discovering endpoints
 * (critical at 5,000 nodes), each dangerous case with its safe twin.
 */
import { describe, expect, it } from 'vitest';
import { agentConfigsOf } from '../../src/agents/config.js';
import { defaultConfig } from '../../src/config.js';
import { buildFleet } from '../../src/fleet.js';
import { treeFromFiles } from '../../src/tree.js';
import { prometheusSd } from '../../rules/watch-all/prometheus-sd.js';
import { lineContaining, runCase, type ExpectedFinding } from '../helpers/rule-tester.js';

const BIG = { fleet: { clusters: [{ name: 'big', nodes: 5000, paths: ['**'] }] } };
const FILE = 'monitoring/prometheus-agent.yaml';
const KEY_NAME = 'prometheus.yml';

const ENDPOINTS = `scrape_configs:
  - job_name: kubernetes-service-endpoints
    kubernetes_sd_configs:
      - role: endpoints`;
const STATIC = `scrape_configs:
  - job_name: self
    static_configs:
      - targets: [localhost:9090]`;
const b64 = (text: string) => Buffer.from(text, 'utf8').toString('base64');
const block = (text: string) => `|\n${text.split('\n').map((l) => `    ${l}`).join('\n')}`;

/** The DaemonSet's `volumes:` entry (one YAML flow mapping) mounting the object `agent-config`. */
const VOLUME = '{name: config, secret: {secretName: agent-config}}';
const PROJECTED = '{name: config, projected: {sources: [{configMap: {name: other}}, {secret: {name: agent-config}}]}}';
const CONFIGMAP_VOLUME = '{name: config, configMap: {name: agent-config}}';

/** A Prometheus agent DaemonSet (no RBAC: the config is the evidence) and the object holding its config. */
function agent(volume: string | null, holder: string, container = ''): string {
  return `apiVersion: apps/v1
kind: DaemonSet
metadata: {name: prometheus-agent, namespace: monitoring}
spec:
  selector: {matchLabels: {app: prometheus-agent}}
  template:
    metadata: {labels: {app: prometheus-agent}}
    spec:
      serviceAccountName: prometheus-agent
      containers:
        - name: agent
          image: quay.io/prometheus/prometheus:v3.5.0
          args: ["--config.file=/etc/agent/${KEY_NAME}", "--agent"]${container}
${volume ? `      volumes:\n        - ${volume}\n` : ''}---
apiVersion: v1
metadata: {name: agent-config, namespace: monitoring}
${holder}
`;
}
/** A Secret's body: `stringData` and / or `data` entries, each `[key, YAML value]`. */
const secret = (stringData: Array<[string, string]>, data: Array<[string, string]> = []) =>
  [
    'kind: Secret',
    'type: Opaque',
    ...(stringData.length ? ['stringData:', ...stringData.map(([k, v]) => `  ${k}: ${v}`)] : []),
    ...(data.length ? ['data:', ...data.map(([k, v]) => `  ${k}: ${v}`)] : []),
  ].join('\n');

const key = (holder: string) => `scrape_configs/kubernetes-service-endpoints/endpoints@${holder}`;
const IN_STRING_DATA = key(`Secret/agent-config/stringData.${KEY_NAME}`);
const IN_DATA = key(`Secret/agent-config/data.${KEY_NAME}`);
const IN_CONFIGMAP = key(`ConfigMap/agent-config/data.${KEY_NAME}`);

const STRING_DATA = agent(VOLUME, secret([[KEY_NAME, block(ENDPOINTS)]]));
const STRING_DATA_PROJECTED = agent(PROJECTED, secret([[KEY_NAME, block(ENDPOINTS)]]));
const DATA = agent(VOLUME, secret([], [[KEY_NAME, b64(ENDPOINTS)]]));
const DATA_PROJECTED = agent(PROJECTED, secret([], [[KEY_NAME, b64(ENDPOINTS)]]));
const CONFIGMAP = agent(CONFIGMAP_VOLUME, `kind: ConfigMap\ndata:\n  ${KEY_NAME}: ${block(ENDPOINTS)}`);
const STRING_DATA_WINS_SAFE = agent(VOLUME, secret([[KEY_NAME, block(STATIC)]], [[KEY_NAME, b64(ENDPOINTS)]]));
const STRING_DATA_WINS_DANGEROUS = agent(VOLUME, secret([[KEY_NAME, block(ENDPOINTS)]], [[KEY_NAME, b64(STATIC)]]));
const ENV_ONLY = agent(
  null,
  secret([[KEY_NAME, block(ENDPOINTS)]]),
  '\n          envFrom: [{secretRef: {name: agent-config}}]\n          env: [{name: CONFIG, valueFrom: {secretKeyRef: {name: agent-config, key: prometheus.yml}}}]',
);
const INVALID_B64 = agent(VOLUME, secret([], [[KEY_NAME, '"not base64!! role: endpoints"'], ['other.yml', '"%%%"']]));

const at = (severity: ExpectedFinding['severity'], text: string, needle: string, k: string): ExpectedFinding => ({ severity, key: k, line: lineContaining(text, needle) });

describe('agent configs in Secrets (watch-all/prometheus-sd)', () => {
  it.each<[string, string, ExpectedFinding[]]>([
    ['secret volume, stringData: read, the finding at the line inside the key', STRING_DATA, [at('critical', STRING_DATA, '- role: endpoints', IN_STRING_DATA)]],
    ['projected secret source, stringData', STRING_DATA_PROJECTED, [at('critical', STRING_DATA_PROJECTED, '- role: endpoints', IN_STRING_DATA)]],
    ['secret volume, base64 data: decoded, the finding at the key', DATA, [at('critical', DATA, `${KEY_NAME}: `, IN_DATA)]],
    ['projected secret source, base64 data', DATA_PROJECTED, [at('critical', DATA_PROJECTED, `${KEY_NAME}: `, IN_DATA)]],
    ['stringData wins over data of the same key (dangerous stringData, safe data)', STRING_DATA_WINS_DANGEROUS, [at('critical', STRING_DATA_WINS_DANGEROUS, '- role: endpoints', IN_STRING_DATA)]],
    ['stringData wins over data of the same key (safe stringData, dangerous data)', STRING_DATA_WINS_SAFE, []],
    ['a Secret read only through envFrom secretRef / secretKeyRef: not a config file', ENV_ONLY, []],
    ['invalid base64 data: skipped', INVALID_B64, []],
    ['the ConfigMap twin', CONFIGMAP, [at('critical', CONFIGMAP, '- role: endpoints', IN_CONFIGMAP)]],
  ])('%s', (_name, text, expected) => {
    const result = runCase(prometheusSd, { name: _name, files: { [FILE]: text }, config: BIG });
    expect(result.notes, 'the rule threw').toEqual([]);
    expect(result.live.map((f) => ({ severity: f.severity, key: f.key, line: f.line }))).toEqual(expected);
  });

  it('gives the same finding for the config in stringData, base64 data or a ConfigMap, but for the holder, line and the values a Secret keeps to itself', () => {
    const of = (text: string) => runCase(prometheusSd, { name: 'x', files: { [FILE]: text }, config: BIG }).live;
    const [s, d, c] = [of(STRING_DATA), of(DATA), of(CONFIGMAP)];
    const holder = (m: string) => m.replace(/(Secret|ConfigMap) "agent-config"/g, '<holder> "agent-config"');
    const neutral = (f: (typeof s)[number]) => ({ severity: f.severity, key: f.key.replace(/@.*$/, ''), message: holder(f.message) });
    expect(s).toHaveLength(1);
    // The Secret's finding quotes none of its config's values (src/agents/kit.ts whatOf): the ConfigMap's
    // names the job and the role.
    expect(c[0].message).toContain('job "kubernetes-service-endpoints"');
    expect(s[0].message).not.toContain('kubernetes-service-endpoints');
    const withoutValues = (f: (typeof s)[number]) => ({ ...neutral(f), message: neutral(f).message.replace(/: scrape_configs job "[^"]*" kubernetes_sd_configs role "[^"]*"/, ': scrape_configs job "…" kubernetes_sd_configs role "…"') });
    expect(s.map(neutral)).toEqual(c.map(withoutValues));
    expect(d.map(neutral)).toEqual(c.map(withoutValues));
  });
});

describe('agentConfigsOf: Secret keys', () => {
  const configsOf = (text: string) => {
    const t = treeFromFiles('head', [{ path: FILE, text }]);
    const { head } = buildFleet(defaultConfig(), t, t);
    const ds = head.objects.find((o) => o.kind === 'DaemonSet')!;
    // The configs held by other objects (not the container's own args).
    return agentConfigsOf(ds, head.objects)
      .filter((c) => c.holder !== ds)
      .map((c) => ({ holder: c.holder.ref, path: c.path.join('.'), text: c.text }));
  };

  it.each<[string, string, Array<{ holder: string; path: string; text: string }>]>([
    ['stringData', STRING_DATA, [{ holder: 'Secret/monitoring/agent-config', path: `stringData.${KEY_NAME}`, text: `${ENDPOINTS}\n` }]],
    ['base64 data, decoded', DATA, [{ holder: 'Secret/monitoring/agent-config', path: `data.${KEY_NAME}`, text: ENDPOINTS }]],
    ['stringData over data of the same key', STRING_DATA_WINS_SAFE, [{ holder: 'Secret/monitoring/agent-config', path: `stringData.${KEY_NAME}`, text: `${STATIC}\n` }]],
    ['invalid base64: no config, no throw', INVALID_B64, []],
    ['an envFrom-only Secret: no config', ENV_ONLY, []],
  ])('%s', (_name, text, expected) => {
    expect(configsOf(text)).toEqual(expected);
  });
});
