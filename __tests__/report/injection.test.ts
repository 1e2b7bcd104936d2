/**
 * Injection (issue 12): hostile strings in object names, namespaces, label and annotation values, ConfigMap
 * keys, cluster names and file / directory names go through the whole engine (every rule) into every report
 * format. Markdown must not gain an HTML element, a mention, an issue link, an autolink, a broken table or
 * code span, or a Mermaid directive; SARIF stays schema-valid with plain messages (no embedded links, no
 * control characters); text has no terminal escapes; JSON keeps the strings as data. Secret values (in
 * `stringData`, in base64 `data`, and in a Secret mounted as an agent config) never appear in any output.
 */
import { describe, expect, it } from 'vitest';
import { sarifValidator } from '../helpers/sarif-schema.js';
import { RULES } from '../../rules/index.js';
import { RULE_METAS, render, type Format } from '../../src/check.js';
import { parseConfig } from '../../src/config.js';
import { analyze } from '../../src/engine.js';
import { treeFromFiles } from '../../src/tree.js';
import type { ParsedFile, Report, ReportContext } from '../../src/types.js';
import { changeSetOf } from '../helpers/rule-tester.js';

/** Each hostile fragment, and what it must never become in Markdown. */
export const FRAGMENTS = [
  'x`code`y',
  'a|b||c',
  '<img src=x onerror=alert(1)>',
  '@org/team',
  '#123',
  'GH-42',
  ']]',
  '-->',
  '%%{init: {"theme":"dark"}}%%',
  'click A call alert(1)',
  '[x](https://evil.example/p)',
  'www.evil.example',
  '**bold** _em_ ~~s~~',
  '&lt;b&gt;',
  '\u202eevil',
  '\x1b[31mred',
];
/** One hostile string for fields YAML can hold (Kubernetes would reject it). */
const H = 'ünï cødé x`code`y a|b||c <img src=x onerror=alert(1)> @org/team #123 GH-42 ]] --> %%{init: {"theme":"dark"}}%% click A call alert(1) [x](https://evil.example/p) www.evil.example **bold** _em_ \u202eevil';
/** Hostile, yet valid for Kubernetes: DNS-1123 names and label values. */
const K8S_NAME = 'www.evil.example';
const K8S_LABEL = '__init__--x_y_';
/** A file / directory name: no `/` inside a segment, no newline. */
const DIR = 'apps/ü dir x`c`y a|b <img src=x onerror=alert(1)> @org #123 ]] --> %%{init}%% [x](javascript:alert(1))';
const FILE = `${DIR}/d ü|\`x\` <b>@team #9 %%{init}%%.yaml`;

/** Secret values: none of these may appear in any output. */
const SECRETS = ['s3cr3t-STRINGDATA-9f2c', 's3cr3t-DATA-77ab', 's3cr3t-AGENT-TOKEN-41d0', 's3cr3t-BROKEN-YAML-5e5e', 's3cr3t-AGENT-B64-c3c3'];
/**
 * Values of a Secret-held agent config that rules would quote in their messages (a scrape job's name, a keep
 * label's regex): src/agents/kit.ts `whatOf` leaves them out (the test at the end).
 */
const QUOTED_SECRETS = ['s3cr3t-JOB-NAME-0a0a', 's3cr3t-REGEX-1b1b'];
const b64 = (s: string) => Buffer.from(s).toString('base64');

const q = (s: string) => JSON.stringify(s);

/** Cluster names come from the base config, which allows `[A-Za-z0-9._-]`: emphasis and autolinks. */
const CONFIG = `fleet:
  clusters:
    - { name: c1__x__, nodes: 40, stage: canary, paths: [${q('apps/**')}] }
    - { name: www.prod.example, nodes: 5000, stage: prod, paths: [${q('apps/**')}] }
rollout:
  stages: [canary, prod]
`;

function daemonSet(name: string, ns: string, label: string, annotations: Record<string, string>, extra = ''): string {
  return `apiVersion: apps/v1
kind: DaemonSet
metadata:
  name: ${q(name)}
  namespace: ${q(ns)}
  labels: { app: ${q(label)} }
  annotations: ${JSON.stringify(annotations)}
spec:
  selector: { matchLabels: { app: ${q(label)} } }
  template:
    metadata: { labels: { app: ${q(label)} } }
    spec:
      serviceAccountName: ${q(name)}
      tolerations: [{ operator: Exists }]
      containers:
        - name: ${q(name)}
          image: registry.example.com/agent:1.0
${extra}`;
}

const RBAC = (name: string, ns: string) => `---
apiVersion: v1
kind: ServiceAccount
metadata: { name: ${q(name)}, namespace: ${q(ns)} }
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: { name: ${q(name)} }
rules:
  - { apiGroups: ["*"], resources: ["*"], verbs: ["*"] }
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: { name: ${q(name)} }
roleRef: { apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: ${q(name)} }
subjects:
  - { kind: ServiceAccount, name: ${q(name)}, namespace: ${q(ns)} }
`;

/** A per-node agent whose config is a Secret (stringData), with a token beside the flagged entries. */
const SECRET_AGENT = `${daemonSet('node-agent', 'monitoring', 'node-agent', {}, `          volumeMounts: [{ name: cfg, mountPath: /etc/agent }]
      volumes:
        - { name: cfg, secret: { secretName: agent-config } }
        - { name: cfg2, secret: { secretName: agent-config-b64 } }
`)}---
apiVersion: v1
kind: Secret
metadata: { name: agent-config, namespace: monitoring }
stringData:
  agent.yaml: |
    watch_all_pods: true
    watch_all_nodes: ${SECRETS[2]}
    poll_interval_ms: 100
    api_token: ${SECRETS[2]}
    kubernetes_sd_configs: [{ role: pod, bearer_token: ${SECRETS[2]} }]
---
apiVersion: v1
kind: Secret
metadata: { name: agent-config-b64, namespace: monitoring }
data:
  fluent-bit.conf: ${b64(`[INPUT]\n    Name kubernetes_events\n    Tag  ${SECRETS[4]}\n\n[FILTER]\n    Name kubernetes\n    Match kube.*\n    Kube_Token_File ${SECRETS[4]}\n    Kube_Meta_Cache_TTL 60\n`)}
`;

const WEBHOOK = `apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingWebhookConfiguration
metadata: { name: ${q(H)}, annotations: { blast-radius.dev/ignore: ${q('blast-radius/admission-webhook -- ' + H)} } }
webhooks:
  - name: ${q(H)}
    admissionReviewVersions: ["v1"]
    sideEffects: None
    failurePolicy: Fail
    clientConfig: { url: ${q('https://evil.example/' + H)} }
    rules: [{ apiGroups: ["*"], apiVersions: ["*"], operations: ["*"], resources: ["*"] }]
  - name: ${q(K8S_NAME)}
    admissionReviewVersions: ["v1"]
    sideEffects: None
    failurePolicy: Fail
    clientConfig: { service: { namespace: ${q(H)}, name: ${q(H)} } }
    rules: [{ apiGroups: [""], apiVersions: ["v1"], operations: ["CREATE"], resources: ["pods"] }]
`;

const FLUENT_CM = `${daemonSet('fluent-bit', 'logging', K8S_LABEL, {}, `          volumeMounts: [{ name: config, mountPath: /fluent-bit/etc/conf }]
      volumes: [{ name: config, configMap: { name: fluent-bit } }]
`)}---
apiVersion: v1
kind: ConfigMap
metadata: { name: fluent-bit, namespace: logging }
data:
  ${q('k`e`y|<img src=x onerror=alert(1)>@org/team#1 %%{init}%%.conf')}: |
    [INPUT]
        Name kubernetes_events
        Tag  ${H.replace(/\n/g, ' ')}

    [FILTER]
        Name                kubernetes
        Match               kube.*
        Kube_Meta_Cache_TTL 60
`;

export const BASE: Record<string, string> = {
  '.blast-radius.yml': CONFIG,
  // Deleted by the change: deletion findings name these.
  'apps/old.yaml': `apiVersion: v1
kind: Namespace
metadata: { name: ${q(H)} }
---
apiVersion: v1
kind: Secret
metadata: { name: ${q('db-' + K8S_NAME)}, namespace: kube-system }
stringData: { password: ${SECRETS[0]} }
data: { token: ${b64(SECRETS[1])} }
---
${daemonSet(H, H, H, {})}`,
  'apps/keep.yaml': `apiVersion: v1\nkind: ConfigMap\nmetadata: { name: keep, namespace: default }\ndata: { a: "1" }\n`,
};

/** Promtail's chart writes its config to a Secret: a Prometheus-style agent whose config is one. */
const PROM_SECRET_AGENT = `${daemonSet('prom-agent', 'monitoring', 'prom-agent', {}, `          args: ["--config.file=/etc/agent/prometheus.yml", "--agent"]
          volumeMounts: [{ name: config, mountPath: /etc/agent }]
      volumes: [{ name: config, secret: { secretName: prom-agent } }]
`)}---
apiVersion: v1
kind: Secret
metadata: { name: prom-agent, namespace: monitoring }
stringData:
  prometheus.yml: |
    scrape_configs:
      - job_name: ${QUOTED_SECRETS[0]}
        kubernetes_sd_configs:
          - role: pod
        relabel_configs:
          - source_labels: [__meta_kubernetes_pod_node_name]
            action: keep
            regex: ${QUOTED_SECRETS[1]}
`;

/** The head with the Secret-held Prometheus config (kept apart: its leak is not fixed yet). */
export const HEAD_WITH_PROM_SECRET = (): Record<string, string> => ({ ...HEAD, 'apps/prom-secret.yaml': PROM_SECRET_AGENT });

export const HEAD: Record<string, string> = {
  '.blast-radius.yml': CONFIG,
  'apps/keep.yaml': BASE['apps/keep.yaml'],
  [FILE]: daemonSet(H, H, H, { 'blast-radius.dev/api-scope': H, 'blast-radius.dev/ignore': `watch-all -- ${H}` }) + RBAC(H, H),
  [`${DIR}/k8s-valid.yaml`]: daemonSet(K8S_NAME, 'a--b', K8S_LABEL, { 'blast-radius.dev/api-scope': `${H}` }) + RBAC(K8S_NAME, 'a--b'),
  'apps/webhook.yaml': WEBHOOK,
  'apps/fluent.yaml': FLUENT_CM,
  'apps/secret-agent.yaml': SECRET_AGENT + RBAC('node-agent', 'monitoring'),
  'apps/secrets.yaml': `apiVersion: v1
kind: Secret
metadata: { name: ${q(H)}, namespace: kube-system, annotations: { note: ${q(H)} } }
type: Opaque
stringData: { ${q('key ' + H)}: ${SECRETS[0]} }
data: { token: ${b64(SECRETS[1])} }
`,
  // A broken Secret: the YAML error must not quote the value.
  'apps/broken-secret.yaml': `apiVersion: v1\nkind: Secret\nmetadata: { name: broken }\nstringData:\n  password: ${SECRETS[3]}\n    bad: [\n`,
  // A broken file whose YAML error quotes hostile text.
  [`${DIR}/broken.yaml`]: `kind: ConfigMap\nmetadata: { name: x }\ndata:\n  a: ${q(H)}\n  - ${H.replace(/[#"]/g, '')}\n`,
};

export function runAll(head: Record<string, string> = HEAD): { report: Report; ctx: ReportContext } {
  const parsed = parseConfig(CONFIG, RULE_METAS.map((m) => m.id));
  if (!parsed.ok) throw new Error(JSON.stringify(parsed.problems));
  const cache = new Map<string, ParsedFile>();
  const inputs = (files: Record<string, string>) => Object.entries(files).map(([path, text]) => ({ path, text }));
  const { report } = analyze({
    changes: changeSetOf(BASE, head),
    base: treeFromFiles('base', inputs(BASE), cache),
    head: treeFromFiles('head', inputs(head), cache),
    config: parsed.config,
    rules: RULES,
    labels: [H],
    notes: [`a note ${H}`],
  });
  return { report, ctx: { rules: RULE_METAS, base: 'main' + H, head: 'a'.repeat(40), failOn: 'high', exitCode: 1 } };
}

// ——— invariants, shared with the end-to-end test ———

/** HTML tags the report itself writes. */
const OWN_TAGS = new Set(['<!-- blast-radius -->', '<details>', '</details>', '<summary>', '</summary>', '<br>']);

/** Problems of a Markdown report (empty when it is safe). */
export function markdownProblems(md: string): string[] {
  const problems: string[] = [];
  for (const tag of md.match(/<[^>\n]*>?/g) ?? []) if (!OWN_TAGS.has(tag)) problems.push(`HTML: ${tag}`);
  const mention = md.match(/(^|[^\w`])@[A-Za-z0-9]/m);
  if (mention) problems.push(`mention: ${mention[0]}`);
  // `#` of the report's own entities (`&#96;`) is no issue reference.
  const issue = md.match(/((?<!&)#|\bGH-)\d/i);
  if (issue) problems.push(`issue link: ${issue[0]}`);
  const auto = md.match(/https?:\/\/|www\./i);
  if (auto) problems.push(`autolink: ${md.slice(Math.max(0, auto.index! - 20), auto.index! + 30)}`);
  if (/\]\(/.test(md)) problems.push('Markdown link');
  if (/[\u202a-\u202e\u2066-\u2069\x00-\x08\x0b-\x1f\x7f]/.test(md)) problems.push('bidi or control character');
  // Code fences: only the report's own Mermaid blocks, whose lines are fixed strings and numbers.
  const lines = md.split('\n');
  let inFence = false;
  for (const l of lines) {
    if (l.startsWith('```')) {
      if (!inFence && l !== '```mermaid') problems.push(`fence: ${l}`);
      if (inFence && l !== '```') problems.push(`fence end: ${l}`);
      inFence = !inFence;
      continue;
    }
    if (inFence && !MERMAID_LINE.some((re) => re.test(l))) problems.push(`Mermaid line: ${l}`);
  }
  if (inFence) problems.push('unclosed fence');
  // Backticks only in the report's own code spans: an even number per line, and none of the hostile text.
  for (const l of lines) if (((l.match(/`/g) ?? []).length) % 2 !== 0 && !l.startsWith('```')) problems.push(`odd backticks: ${l}`);
  // Tables: every row has as many cell separators as its header.
  let cols = -1;
  for (const l of lines) {
    if (!l.startsWith('|')) {
      cols = -1;
      continue;
    }
    const n = (l.match(/\|/g) ?? []).length;
    if (cols < 0) cols = n;
    else if (n !== cols) problems.push(`table row with ${n} separators, header has ${cols}: ${l.slice(0, 120)}`);
  }
  // Outside the Mermaid blocks, Mermaid syntax is plain text; inside them, the line patterns above hold.
  const prose = md.replace(/^```mermaid\n[\s\S]*?^```$/gm, '').replace(MARKER, '');
  for (const f of ['x`code`y', '<img', ']]', '-->', '**bold**']) if (prose.includes(f)) problems.push(`raw fragment ${f}: ${around(prose, f)}`);
  return problems;
}

const around = (s: string, f: string) => s.slice(Math.max(0, s.indexOf(f) - 60), s.indexOf(f) + 60);
const MARKER = '<!-- blast-radius -->';

const MERMAID_LINE = [
  /^xychart-beta$/,
  /^ {2}title "Capacity used by cluster size"$/,
  /^ {2}x-axis "nodes" \[("[0-9.,kKM]+"(, )?)+\]$/,
  /^ {2}y-axis "ratio to capacity" 0 --> [0-9.]+$/,
  /^ {2}(bar|line) \[([0-9.]+(, )?)+\]$/,
];

/** Problems of a SARIF log (schema, plain messages). */
export function sarifProblems(text: string): string[] {
  const log = JSON.parse(text);
  const problems: string[] = [];
  if (!validate(log)) problems.push(JSON.stringify(validate.errors));
  const messages: string[] = [];
  for (const r of log.runs[0].results ?? []) messages.push(r.message.text, r.suppressions?.[0]?.justification ?? '');
  for (const n of log.runs[0].invocations[0].toolExecutionNotifications ?? []) messages.push(n.message.text);
  for (const m of messages) {
    // SARIF §3.11.6: `[text](target)` in a plain-text message is an embedded link; literal brackets are escaped.
    if (/(^|[^\\])[[\]]/.test(m)) problems.push(`unescaped bracket: ${m.slice(0, 200)}`);
    if (/[\u202a-\u202e\u2066-\u2069\x00-\x08\x0b-\x1f\x7f-\x9f]/.test(m)) problems.push(`bidi or control character: ${JSON.stringify(m.slice(0, 200))}`);
  }
  for (const r of log.runs[0].results ?? []) {
    const uri: string | undefined = r.locations?.[0]?.physicalLocation?.artifactLocation?.uri;
    if (uri !== undefined && !/^[A-Za-z0-9\-._~%!$&'()*+,;=:@/]*$/.test(uri)) problems.push(`unencoded uri ${uri}`);
  }
  return problems;
}

const validate = sarifValidator();

/** Problems of a text report: no terminal escapes or bidi overrides from the repository. */
export function textProblems(text: string): string[] {
  return /[\u202a-\u202e\u2066-\u2069\x00-\x08\x0b-\x1f\x7f-\x9f]/.test(text) ? ['control or bidi character in text output'] : [];
}

/** Secret values found in an output (plain, base64, or JSON-escaped). */
export function secretLeaks(out: string, secrets: readonly string[] = SECRETS): string[] {
  return secrets.filter((s) => out.includes(s) || out.includes(b64(s)) || out.includes(s.slice(0, 12)));
}

export { SECRETS, QUOTED_SECRETS, H };

// The end-to-end test imports the helpers above; it sets this flag so these tests do not run twice.
const imported = (globalThis as { __injectionHelpersOnly?: boolean }).__injectionHelpersOnly === true;

if (!imported) describe('injection through the engine into every format', () => {
  const { report, ctx } = runAll();
  const outputs = Object.fromEntries((['markdown', 'sarif', 'text', 'json'] as Format[]).map((f) => [f, render(report, ctx, f)])) as Record<Format, string>;

  it('the hostile fixture reaches the report (the test exercises what it claims)', () => {
    expect(report.notes.filter((n) => n.startsWith('internal error'))).toEqual([]);
    const json = outputs.json;
    // Hostile names, files, annotation values, ConfigMap keys and cluster names are in the data.
    expect(json).toContain(JSON.stringify(FILE).slice(1, -1));
    expect(report.findings.some((f) => f.resource?.includes('<img src=x onerror=alert(1)>'))).toBe(true);
    expect(report.findings.some((f) => f.suppressed && f.suppressedBy?.includes('@org/team'))).toBe(true);
    expect(report.findings.some((f) => f.message.includes('k`e`y|'))).toBe(true);
    expect(report.findings.some((f) => f.message.includes('%%{init'))).toBe(true);
    expect(report.findings.some((f) => f.clusters.includes('www.prod.example'))).toBe(true);
    expect(report.findings.some((f) => f.file?.startsWith(DIR))).toBe(true);
    expect(report.errors.length).toBeGreaterThan(0);
    // A load table and its Mermaid chart are rendered.
    expect(outputs.markdown).toContain('```mermaid');
    expect(report.findings.some((f) => f.resource === 'DaemonSet/monitoring/node-agent' && !f.suppressed)).toBe(true);
  });

  it('Markdown: no HTML, mention, issue link, autolink, broken table or code span, or Mermaid directive', () => {
    expect(markdownProblems(outputs.markdown)).toEqual([]);
  });

  it('Markdown: the escaped names still read as the names', () => {
    // Entities and zero-width spaces only: decoding them gives the original text back.
    const decoded = outputs.markdown
      .replace(/\u200b/g, '')
      .replace(/&#(\d+);/g, (_, n) => String.fromCharCode(Number(n)))
      .replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&quot;/g, '"').replace(/&amp;/g, '&');
    expect(decoded).toContain('<img src=x onerror=alert(1)> @org/team #123 GH-42');
  });

  it('SARIF: valid per the schema, plain messages, encoded URIs', () => {
    expect(sarifProblems(outputs.sarif)).toEqual([]);
  });

  it('text: no terminal escapes or bidi overrides', () => {
    expect(textProblems(outputs.text)).toEqual([]);
  });

  it('JSON: parses and keeps hostile strings as data', () => {
    const parsed = JSON.parse(outputs.json);
    expect(parsed.findings.some((f: { file: string | null }) => f.file === FILE)).toBe(true);
  });

  it.each(['markdown', 'sarif', 'text', 'json'] as Format[])('%s: no Secret value appears', (format) => {
    expect(secretLeaks(outputs[format])).toEqual([]);
  });

  it('hostile strings in every single fragment, one at a time, in an object name and file name', () => {
    for (const frag of FRAGMENTS) {
      const name = `n ${frag} n`;
      const file = `apps/${frag.replace(/\//g, '∕')}.yaml`;
      const cache = new Map<string, ParsedFile>();
      const head = { '.blast-radius.yml': CONFIG, [file]: daemonSet(name, frag, frag, { 'blast-radius.dev/api-scope': frag }) + RBAC(name, frag) };
      const base = { '.blast-radius.yml': CONFIG };
      const parsed = parseConfig(CONFIG, RULE_METAS.map((m) => m.id));
      if (!parsed.ok) throw new Error('config');
      const inputs = (files: Record<string, string>) => Object.entries(files).map(([path, text]) => ({ path, text }));
      const { report: r } = analyze({ changes: changeSetOf(base, head), base: treeFromFiles('base', inputs(base), cache), head: treeFromFiles('head', inputs(head), cache), config: parsed.config, rules: RULES });
      expect(r.findings.length, frag).toBeGreaterThan(0);
      const c = { ...ctx, base: 'b'.repeat(40) };
      expect(markdownProblems(render(r, c, 'markdown')), frag).toEqual([]);
      expect(sarifProblems(render(r, c, 'sarif')), frag).toEqual([]);
      expect(textProblems(render(r, c, 'text')), frag).toEqual([]);
    }
  });

  // watch-all rules quote values of the configs they judge (here prometheus-sd's scrape job name); for a
  // config held in a Secret, src/agents/kit.ts `whatOf` leaves every quoted value out of the message.
  it('a Secret-held agent config: quoted config values do not appear in any format', () => {
    const r = runAll(HEAD_WITH_PROM_SECRET());
    expect(r.report.findings.some((f) => f.message.includes('Secret "prom-agent"'))).toBe(true);
    for (const format of ['markdown', 'sarif', 'text', 'json'] as Format[]) expect(secretLeaks(render(r.report, r.ctx, format), QUOTED_SECRETS), format).toEqual([]);
  });
});
