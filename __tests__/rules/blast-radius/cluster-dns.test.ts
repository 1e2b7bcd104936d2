/**
 * Table tests of blast-radius/cluster-dns, plus unit tests of the Corefile parser (src/corefile.ts) it
 * reads with. Lines are looked up in each case's own YAML. The corpus holds no CoreDNS ConfigMap or
 * Deployment (only kube-prometheus's CoreDNS ServiceMonitor), so there are no real-world cases here.
 */
import { describe, expect, it } from 'vitest';
import { clusterDns, isKubeDnsConfigMap, kubeDnsConfigOf } from '../../../rules/blast-radius/cluster-dns.js';
import type { KubeObject } from '../../../src/types.js';
import { cacheSettings, cacheTtlOf, canonical, goDuration, kubernetesTtl, normalizeKey, parseCorefile, parseDirectives, serveStaleOf } from '../../../src/corefile.js';
import { lineContaining, ruleTester, runCase, type ExpectedFinding } from '../../helpers/rule-tester.js';
import { FLEET, KUBEADM_COREFILE, SHARED } from '../../helpers/fleets.js';

const lineOf = lineContaining;


const CANARY = 'clusters/canary-1/coredns.yaml';
const PROD_US = 'clusters/prod-us/coredns.yaml';
const PROD_EU = 'clusters/prod-eu/coredns.yaml';
const COMMON = 'infrastructure/coredns.yaml';

/** The kubeadm default Corefile (CoreDNS 1.11). */
const DEFAULT_COREFILE = KUBEADM_COREFILE;

interface CmSpec {
  name?: string;
  namespace?: string;
  corefile?: string;
  /** Extra data keys (literal blocks). */
  extra?: Record<string, string>;
  annotations?: Record<string, string>;
}

function block(text: string): string[] {
  return text.split('\n').map((l) => (l === '' ? '' : `    ${l}`));
}

function cm(c: CmSpec = {}): string {
  const lines = ['apiVersion: v1', 'kind: ConfigMap', 'metadata:', `  name: ${c.name ?? 'coredns'}`, `  namespace: ${c.namespace ?? 'kube-system'}`];
  if (c.annotations) lines.push('  annotations:', ...Object.entries(c.annotations).map(([k, v]) => `    ${k}: ${JSON.stringify(v)}`));
  lines.push('data:');
  if (c.corefile !== undefined) lines.push('  Corefile: |', ...block(c.corefile));
  for (const [k, v] of Object.entries(c.extra ?? {})) lines.push(`  ${k}: |`, ...block(v));
  return `${lines.join('\n')}\n`;
}

const edit = (from: string, to: string, text = DEFAULT_COREFILE) => {
  if (!text.includes(from)) throw new Error(`fixture: ${from} not found`);
  return text.replace(from, to);
};

interface DeploySpec {
  image?: string;
  replicas?: number | null;
  maxUnavailable?: string | number | null;
  strategyType?: string;
  annotations?: Record<string, string>;
  templateAnnotations?: Record<string, string>;
  name?: string;
}

function deploy(d: DeploySpec = {}): string {
  const lines = ['apiVersion: apps/v1', 'kind: Deployment', 'metadata:', `  name: ${d.name ?? 'coredns'}`, '  namespace: kube-system', '  labels:', '    k8s-app: kube-dns'];
  if (d.annotations) lines.push('  annotations:', ...Object.entries(d.annotations).map(([k, v]) => `    ${k}: ${JSON.stringify(v)}`));
  lines.push('spec:');
  if (d.replicas !== null) lines.push(`  replicas: ${d.replicas ?? 2}`);
  lines.push('  strategy:', `    type: ${d.strategyType ?? 'RollingUpdate'}`);
  if (d.strategyType !== 'Recreate' && d.maxUnavailable !== null) {
    lines.push('    rollingUpdate:', `      maxUnavailable: ${typeof d.maxUnavailable === 'string' ? JSON.stringify(d.maxUnavailable) : (d.maxUnavailable ?? 1)}`);
  }
  lines.push('  selector:', '    matchLabels:', '      k8s-app: kube-dns', '  template:', '    metadata:', '      labels:', '        k8s-app: kube-dns');
  if (d.templateAnnotations) lines.push('      annotations:', ...Object.entries(d.templateAnnotations).map(([k, v]) => `        ${k}: ${JSON.stringify(v)}`));
  lines.push(
    '    spec:',
    '      priorityClassName: system-cluster-critical',
    '      serviceAccountName: coredns',
    '      containers:',
    '      - name: coredns',
    `        image: ${d.image ?? 'registry.k8s.io/coredns/coredns:v1.11.1'}`,
    '        args: ["-conf", "/etc/coredns/Corefile"]',
    '        livenessProbe:',
    '          httpGet: {path: /health, port: 8080}',
    '        readinessProbe:',
    '          httpGet: {path: /ready, port: 8181}',
  );
  return `${lines.join('\n')}\n`;
}

const HPA = `---
apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata:
  name: coredns
  namespace: kube-system
spec:
  scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: coredns}
  minReplicas: 2
  maxReplicas: 10
`;

const base = cm({ corefile: DEFAULT_COREFILE });
const WHY = 'CoreDNS answers SERVFAIL for Kubernetes records until it has synced with the API server';
const OPENAI = '"DNS caching made the issue far less visible until the rollouts had begun fleet-wide"';

// Corefile variants
const commented = cm({ corefile: edit('    cache 30', '    # cache for 30 s (kubeadm default)\n    cache 30 # seconds').replace('    loop', '    loop   # detect forwarding loops') });
const reindented = cm({ corefile: edit('    forward . /etc/resolv.conf {\n       max_concurrent 1000\n    }', '\n\tforward   .   /etc/resolv.conf   {\n\t\tmax_concurrent    1000\n\n\t}') });
const reordered = cm({ corefile: edit('    errors\n    health {\n       lameduck 5s\n    }', '    health {\n       lameduck 5s\n    }\n    errors') });
const withLog = cm({ corefile: edit('    errors', '    errors\n    log') });
const forwardChanged = cm({ corefile: edit('forward . /etc/resolv.conf', 'forward . 10.0.0.53 10.0.1.53') });
const maxConcurrent = cm({ corefile: edit('max_concurrent 1000', 'max_concurrent 100') });
const cache10 = cm({ corefile: edit('cache 30', 'cache 10') });
const cache60 = cm({ corefile: edit('cache 30', 'cache 60') });
const noCache = cm({ corefile: edit('    cache 30\n', '') });
const k8sDefaultTtl = cm({ corefile: edit('       ttl 30\n', '') });
const staleCache = cm({ corefile: edit('    cache 30', '    cache 30 {\n        serve_stale\n    }') });
const stubDomain = cm({ corefile: `${DEFAULT_COREFILE}\ncorp.example.com:53 {\n    errors\n    cache 30\n    forward . 10.150.0.1\n}` });
const withRewrite = cm({ corefile: edit('    errors', '    errors\n    rewrite name regex (.*)\\.corp\\.internal {1}.svc.cluster.local') });
const healthPort = cm({ corefile: edit('    health {', '    health :8081 {') });
const lameduck = cm({ corefile: edit('lameduck 5s', 'lameduck 10s') });
const nodeHostsBase = cm({ corefile: DEFAULT_COREFILE, extra: { NodeHosts: '10.0.0.1 node-1' } });
const nodeHostsHead = cm({ corefile: DEFAULT_COREFILE, extra: { NodeHosts: '10.0.0.1 node-1\n10.0.0.2 node-2' } });
const otherNamespace = cm({ namespace: 'monitoring', corefile: DEFAULT_COREFILE });
const otherNamespaceChanged = cm({ namespace: 'monitoring', corefile: edit('forward . /etc/resolv.conf', 'forward . 8.8.8.8') });
const annotatedCm = cm({ corefile: DEFAULT_COREFILE, annotations: { 'example.com/owner': 'dns-team' } });

const customBase = cm({ name: 'coredns-custom', extra: { 'placeholder.txt': 'nothing' } });
const customLog = cm({ name: 'coredns-custom', extra: { 'placeholder.txt': 'nothing', 'log.override': 'log' } });
const customServer = cm({ name: 'coredns-custom', extra: { 'placeholder.txt': 'nothing', 'corp.server': 'corp.example.com:53 {\n    forward . 10.150.0.1\n}' } });

// Deployment variants
const dep = deploy();
const depImage = deploy({ image: 'registry.k8s.io/coredns/coredns:v1.11.3' });
const depAnnotated = deploy({ annotations: { 'example.com/owner': 'dns-team' } });
const depChecksum = deploy({ templateAnnotations: { 'checksum/config': 'abc123' } });
const dep4 = deploy({ replicas: 4 });
const dep4to2 = deploy({ replicas: 2 });
const dep3 = deploy({ replicas: 3 });
const depNoReplicas = deploy({ replicas: null });
const depMore = deploy({ replicas: 5 });
const dep4half = deploy({ replicas: 4, maxUnavailable: '50%' });
const dep4quarter = deploy({ replicas: 4, maxUnavailable: '25%' });
const dep8two = deploy({ replicas: 8, maxUnavailable: 2 });
const depRecreate = deploy({ strategyType: 'Recreate' });
const otherDeploy = deploy({ name: 'dns-tester' }).replace('    k8s-app: kube-dns\n', '    app: dns-tester\n');
const otherDeployImage = deploy({ name: 'dns-tester', image: 'example.com/dns-tester:2' }).replace('    k8s-app: kube-dns\n', '    app: dns-tester\n');

const f = (severity: ExpectedFinding['severity'], key: string, text: string, needle: string, messageIncludes?: string[], nth = 1): ExpectedFinding => ({
  severity,
  key,
  line: lineOf(text, needle, nth),
  ...(messageIncludes ? { messageIncludes } : {}),
});

ruleTester(clusterDns).run({
  valid: [
    { name: 'an unchanged CoreDNS ConfigMap and Deployment', config: SHARED, base: { [COMMON]: `${base}---\n${dep}` }, files: { [COMMON]: `${base}---\n${dep}` } },
    { name: 'a comment-only Corefile edit, fleet-wide', config: SHARED, base: { [COMMON]: base }, files: { [COMMON]: commented } },
    { name: 'a whitespace-only Corefile edit (indentation, tabs, blank lines)', config: SHARED, base: { [COMMON]: base }, files: { [COMMON]: reindented } },
    { name: 'two different plugins swapped (CoreDNS orders the chain itself)', config: SHARED, base: { [COMMON]: base }, files: { [COMMON]: reordered } },
    { name: 'an annotation added to the CoreDNS ConfigMap', config: SHARED, base: { [COMMON]: base }, files: { [COMMON]: annotatedCm } },
    { name: 'a non-Corefile key of the coredns ConfigMap changed (NodeHosts)', config: SHARED, base: { [COMMON]: nodeHostsBase }, files: { [COMMON]: nodeHostsHead } },
    { name: 'a ConfigMap named coredns outside kube-system', config: SHARED, base: { [COMMON]: otherNamespace }, files: { [COMMON]: otherNamespaceChanged } },
    {
      name: 'a non-DNS ConfigMap holding a Corefile',
      config: SHARED,
      base: { [COMMON]: cm({ name: 'my-dns', corefile: DEFAULT_COREFILE }) },
      files: { [COMMON]: cm({ name: 'my-dns', corefile: edit('forward . /etc/resolv.conf', 'forward . 8.8.8.8') }) },
    },
    { name: 'a Deployment annotation-only edit (metadata.annotations)', config: SHARED, base: { [COMMON]: dep }, files: { [COMMON]: depAnnotated } },
    { name: 'replicas raised', config: SHARED, base: { [COMMON]: dep }, files: { [COMMON]: depMore } },
    { name: 'replicas removed with an HPA on the Deployment', config: FLEET, base: { [CANARY]: dep3 + HPA }, files: { [CANARY]: depNoReplicas + HPA } },
    { name: 'maxUnavailable 25 % of 4 replicas', config: FLEET, base: { [CANARY]: dep4 }, files: { [CANARY]: dep4quarter } },
    { name: 'maxUnavailable 1 of 2 replicas (the kubeadm default) with replicas unchanged', config: FLEET, base: { [CANARY]: dep }, files: { [CANARY]: deploy({ maxUnavailable: 1 }) } },
    { name: 'an image bump of some other Deployment in kube-system', config: SHARED, base: { [COMMON]: otherDeploy }, files: { [COMMON]: otherDeployImage } },
    { name: 'a CoreDNS ConfigMap deleted (left to blast-radius/deletion)', config: FLEET, base: { [CANARY]: base, 'clusters/canary-1/x.yaml': dep }, files: { 'clusters/canary-1/x.yaml': dep } },
    {
      name: 'the ConfigMap moved to another file of the same cluster',
      config: FLEET,
      base: { [CANARY]: base },
      files: { 'clusters/canary-1/dns/coredns.yaml': base },
    },
    {
      name: 'odd input: data as a string, Corefile as a map, spec as a string',
      config: FLEET,
      base: {
        [CANARY]: 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: coredns, namespace: kube-system}\ndata: nope\n---\napiVersion: apps/v1\nkind: Deployment\nmetadata: {name: coredns, namespace: kube-system}\nspec: nope\n',
      },
      files: {
        [CANARY]: 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: coredns, namespace: kube-system}\ndata:\n  Corefile: {a: 1}\n---\napiVersion: apps/v1\nkind: Deployment\nmetadata: {name: coredns, namespace: kube-system}\nspec: [1, 2]\n',
      },
    },
    {
      name: 'odd input: replicas and maxUnavailable as words',
      config: FLEET,
      base: { [CANARY]: deploy({ maxUnavailable: 'lots' }).replace('replicas: 2', 'replicas: many') },
      files: { [CANARY]: deploy({ maxUnavailable: 'more' }).replace('replicas: 2', 'replicas: few') },
    },
  ],
  invalid: [
    {
      name: 'a log plugin added: low',
      config: FLEET,
      base: { [CANARY]: base },
      files: { [CANARY]: withLog },
      findings: [f('low', 'corefile', withLog, '    log', ['changes plugin "log" (added) in server block ".:53"', 'in cluster "canary-1" (60 nodes)', 'do not change the answers'])],
    },
    {
      name: 'a forward change on one cluster: medium',
      config: FLEET,
      base: { [CANARY]: base, [PROD_US]: base },
      files: { [CANARY]: forwardChanged, [PROD_US]: base },
      findings: [
        f('medium', 'corefile', forwardChanged, 'forward . 10.0.0.53', [
          'the CoreDNS configuration in ConfigMap "kube-system/coredns" changes plugin "forward" in server block ".:53", in cluster "canary-1" (60 nodes)',
          WHY,
          OPENAI,
          'the reload plugin applies it in every CoreDNS pod within about 1 to 2 minutes',
          'wait at least 30 s between stages (cache TTL 30 s in the head Corefile)',
        ]),
      ],
    },
    {
      name: 'a forward change in a shared file reaching the whole fleet: high',
      config: SHARED,
      base: { [COMMON]: base },
      files: { [COMMON]: forwardChanged },
      findings: [
        f('high', 'corefile', forwardChanged, 'forward . 10.0.0.53', [
          'in 3 clusters, 8,060 nodes: canary-1 (60), prod-eu (3,200), prod-us (4,800)',
          'one merge takes it to every cluster of the fleet, so no stage can catch a failure first',
          'wait at least 30 s between stages',
        ]),
      ],
    },
    {
      name: 'the same forward change in every per-cluster file: high on each',
      config: FLEET,
      base: { [CANARY]: base, [PROD_US]: base, [PROD_EU]: base },
      files: { [CANARY]: forwardChanged, [PROD_US]: forwardChanged, [PROD_EU]: forwardChanged },
      findings: [0, 1, 2].map(() => f('high', 'corefile', forwardChanged, 'forward . 10.0.0.53', ['(with the copies in other files)'])),
    },
    {
      name: 'a forward sub-directive change points at its line',
      config: FLEET,
      base: { [CANARY]: base },
      files: { [CANARY]: maxConcurrent },
      findings: [f('medium', 'corefile', maxConcurrent, 'max_concurrent 100')],
    },
    {
      name: 'the cache TTL lowered: corefile and cache-ttl',
      config: FLEET,
      base: { [CANARY]: base },
      files: { [CANARY]: cache10 },
      findings: [
        f('medium', 'corefile', cache10, 'cache 10', ['plugin "cache"', 'wait at least 10 s between stages']),
        f('medium', 'cache-ttl', cache10, 'cache 10', [
          'cache TTL of answers lowered from 30 s to 10 s and cache TTL of denials (NXDOMAIN) lowered from 30 s to 10 s in server block ".:53" of CoreDNS ConfigMap "kube-system/coredns"',
          'CRIT-DNS-2',
        ]),
      ],
    },
    {
      name: 'the cache TTL raised: the corefile finding only',
      config: FLEET,
      base: { [CANARY]: base },
      files: { [CANARY]: cache60 },
      findings: [f('medium', 'corefile', cache60, 'cache 60', ['wait at least 60 s between stages'])],
    },
    {
      name: 'the cache plugin removed',
      config: FLEET,
      base: { [CANARY]: base },
      files: { [CANARY]: noCache },
      findings: [
        f('medium', 'corefile', noCache, '.:53 {', ['plugin "cache" (removed)']),
        f('medium', 'cache-ttl', noCache, '.:53 {', ['cache plugin removed (it kept answers up to 30 s)']),
      ],
    },
    {
      name: 'the kubernetes ttl back to its 5 s default',
      config: FLEET,
      base: { [CANARY]: base },
      files: { [CANARY]: k8sDefaultTtl },
      findings: [
        f('medium', 'corefile', k8sDefaultTtl, 'kubernetes cluster.local', ['plugin "kubernetes"']),
        f('medium', 'cache-ttl', k8sDefaultTtl, 'kubernetes cluster.local', ['kubernetes plugin ttl lowered from 30 s to 5 s']),
      ],
    },
    {
      name: 'serve_stale lengthens the bake time',
      config: FLEET,
      base: { [CANARY]: base },
      files: { [CANARY]: staleCache },
      findings: [f('medium', 'corefile', staleCache, 'serve_stale', ['wait at least 3,630 s between stages (cache TTL 30 s plus 3,600 s of serve_stale in the head Corefile)'])],
    },
    {
      name: 'a server block added, fleet-wide: high',
      config: SHARED,
      base: { [COMMON]: base },
      files: { [COMMON]: stubDomain },
      findings: [f('high', 'corefile', stubDomain, 'corp.example.com:53 {', ['adds server block "corp.example.com:53", in 3 clusters'])],
    },
    {
      name: 'a rewrite plugin added fleet-wide: medium (changes answers, not a CRIT-DNS-1 plugin)',
      config: SHARED,
      base: { [COMMON]: base },
      files: { [COMMON]: withRewrite },
      findings: [f('medium', 'corefile', withRewrite, 'rewrite name', ['plugin "rewrite" (added)', 'change the answers CoreDNS gives every pod'])],
    },
    {
      name: 'the health listen address changed: medium (the liveness probe calls it)',
      config: FLEET,
      base: { [CANARY]: base },
      files: { [CANARY]: healthPort },
      findings: [f('medium', 'corefile', healthPort, 'health :8081')],
    },
    {
      name: 'health lameduck changed: low',
      config: FLEET,
      base: { [CANARY]: base },
      files: { [CANARY]: lameduck },
      findings: [f('low', 'corefile', lameduck, 'lameduck 10s')],
    },
    {
      name: 'coredns-custom: a log.override key added',
      config: FLEET,
      base: { [CANARY]: customBase },
      files: { [CANARY]: customLog },
      findings: [f('low', 'corefile', customLog, '    log', ['plugin "log" (added) in key "log.override"'])],
    },
    {
      name: 'coredns-custom: a .server key added, bake time from the unit\'s Corefile',
      config: FLEET,
      base: { [CANARY]: `${base}---\n${customBase}` },
      files: { [CANARY]: `${base}---\n${customServer}` },
      findings: [
        f('medium', 'corefile', `${base}---\n${customServer}`, 'corp.example.com:53 {', [
          'adds server block "corp.example.com:53" of key "corp.server", in cluster "canary-1"',
          'wait at least 30 s between stages',
        ]),
      ],
    },
    {
      name: 'a new coredns ConfigMap in the repo: medium',
      config: FLEET,
      files: { [CANARY]: base },
      findings: [f('medium', 'corefile', base, 'Corefile: |', ['new CoreDNS ConfigMap "kube-system/coredns" in cluster "canary-1"', 'wait at least 30 s'])],
    },
    {
      name: 'a Deployment image bump reaching the whole fleet: high',
      config: SHARED,
      base: { [COMMON]: `${base}---\n${dep}` },
      files: { [COMMON]: `${base}---\n${depImage}` },
      findings: [
        f('high', 'deployment', `${base}---\n${depImage}`, 'image: registry', [
          'the CoreDNS Deployment "kube-system/coredns" changes its pod template (spec.template.spec.containers[0].image), so every DNS pod is replaced, in 3 clusters, 8,060 nodes',
          'answers SERVFAIL for Kubernetes records it has not synced',
          '"DNS relies on the control plane"',
          'one merge restarts cluster DNS in every cluster of the fleet',
          'wait at least 30 s between stages',
        ]),
      ],
    },
    {
      name: 'a Deployment image bump on one cluster: medium',
      config: FLEET,
      base: { [CANARY]: dep, [PROD_US]: dep },
      files: { [CANARY]: depImage, [PROD_US]: dep },
      findings: [f('medium', 'deployment', depImage, 'image: registry', ['in cluster "canary-1" (60 nodes)'])],
    },
    {
      name: 'a pod-template annotation (checksum) restarts every DNS pod',
      config: FLEET,
      base: { [CANARY]: dep },
      files: { [CANARY]: depChecksum },
      findings: [f('medium', 'deployment', depChecksum, 'annotations:', ['(spec.template.metadata.annotations)'])],
    },
    {
      name: 'replicas reduced',
      config: FLEET,
      base: { [CANARY]: dep4 },
      files: { [CANARY]: dep4to2 },
      findings: [f('medium', 'replicas', dep4to2, 'replicas: 2', ['reduces replicas from 4 to 2', 'CRIT-DNS-3'])],
    },
    {
      name: 'replicas removed with no autoscaler',
      config: FLEET,
      base: { [CANARY]: dep3 },
      files: { [CANARY]: depNoReplicas },
      findings: [f('medium', 'replicas', depNoReplicas, 'spec:', ['no longer sets replicas (was 3): the Deployment defaults to 1 pod'])],
    },
    {
      name: 'maxUnavailable raised to 50 % of 4 replicas',
      config: FLEET,
      base: { [CANARY]: dep4 },
      files: { [CANARY]: dep4half },
      findings: [f('medium', 'max-unavailable', dep4half, 'maxUnavailable', ['take down 2 of 4 pods at once (maxUnavailable "50%", more than 25 %)'])],
    },
    {
      name: 'replicas reduced so that maxUnavailable 2 is more than 25 %',
      config: FLEET,
      base: { [CANARY]: dep8two },
      files: { [CANARY]: deploy({ replicas: 4, maxUnavailable: 2 }) },
      findings: [
        f('medium', 'replicas', deploy({ replicas: 4, maxUnavailable: 2 }), 'replicas: 4'),
        f('medium', 'max-unavailable', deploy({ replicas: 4, maxUnavailable: 2 }), 'maxUnavailable', ['2 of 4 pods']),
      ],
    },
    {
      name: 'strategy Recreate',
      config: FLEET,
      base: { [CANARY]: dep },
      files: { [CANARY]: depRecreate },
      findings: [f('medium', 'max-unavailable', depRecreate, 'type: Recreate', ['every DNS pod stops before the new ones start'])],
    },
    {
      name: 'a new CoreDNS Deployment in the repo: medium',
      config: SHARED,
      files: { [COMMON]: dep },
      findings: [f('medium', 'deployment', dep, 'template:', ['new CoreDNS Deployment "kube-system/coredns" in 3 clusters'])],
    },
  ],
});

describe('blast-radius/cluster-dns details', () => {
  it('groups copies of one source and gives the bake time and reach in data', () => {
    const result = runCase(clusterDns, { name: 'x', config: SHARED, base: { [COMMON]: base }, files: { [COMMON]: forwardChanged } });
    expect(result.live).toHaveLength(1);
    expect(result.live[0].clusters).toEqual(['canary-1', 'prod-eu', 'prod-us']);
    expect(result.live[0].resource).toBe('ConfigMap/kube-system/coredns');
    expect(result.live[0].data).toMatchObject({ plugins: ['forward'], bakeSeconds: 30, cacheTtlSeconds: 30, wholeFleet: true, totalNodes: 8060 });
    expect(result.live[0].remediation).toMatch(/^Ship the Corefile change to one small cluster first/);
  });

  it('stays medium when per-cluster copies change in two clusters of three', () => {
    const result = runCase(clusterDns, {
      name: 'x',
      config: FLEET,
      base: { [CANARY]: base, [PROD_US]: base, [PROD_EU]: base },
      files: { [CANARY]: forwardChanged, [PROD_US]: forwardChanged, [PROD_EU]: base },
    });
    expect(result.live.map((x) => x.severity)).toEqual(['medium', 'medium']);
  });

  it('omits the bake time when no Corefile in the unit has a cache', () => {
    const noCacheBase = cm({ corefile: edit('    cache 30\n', '') });
    const head = cm({ corefile: edit('forward . /etc/resolv.conf', 'forward . 8.8.8.8', edit('    cache 30\n', '')) });
    const result = runCase(clusterDns, { name: 'x', config: FLEET, base: { [CANARY]: noCacheBase }, files: { [CANARY]: head } });
    expect(result.live).toHaveLength(1);
    expect(result.live[0].message).not.toContain('wait at least');
    expect(result.live[0].data).not.toHaveProperty('bakeSeconds');
  });

  it('keeps the finding suppressed with the ignore annotation', () => {
    const head = cm({ corefile: edit('forward . /etc/resolv.conf', 'forward . 8.8.8.8'), annotations: { 'blast-radius.dev/ignore': 'blast-radius/cluster-dns -- new upstream resolvers, staged by hand' } });
    const result = runCase(clusterDns, { name: 'x', config: FLEET, base: { [CANARY]: base }, files: { [CANARY]: head } });
    expect(result.live).toEqual([]);
    expect(result.suppressed.map((x) => x.key)).toEqual(['corefile']);
  });

  it('points into the Corefile a kustomize configMapGenerator reads', () => {
    const kustomization = 'configMapGenerator:\n  - name: coredns\n    namespace: kube-system\n    files: [Corefile]\n';
    const head = edit('forward . /etc/resolv.conf', 'forward . 10.0.0.53');
    const result = runCase(clusterDns, {
      name: 'x',
      config: FLEET,
      base: { 'clusters/canary-1/kustomization.yaml': kustomization, 'clusters/canary-1/Corefile': DEFAULT_COREFILE },
      files: { 'clusters/canary-1/kustomization.yaml': kustomization, 'clusters/canary-1/Corefile': head },
    });
    expect(result.live.map((x) => [x.severity, x.key, x.file, x.line])).toEqual([['medium', 'corefile', 'clusters/canary-1/Corefile', lineOf(head, 'forward .')]]);
  });

  it('does not throw on a Corefile of unbalanced braces and deep nesting', () => {
    const broken = cm({ corefile: `.:53 {\n    forward . 1.1.1.1 {\n${'{\n'.repeat(200)}` });
    const result = runCase(clusterDns, { name: 'x', config: FLEET, base: { [CANARY]: base }, files: { [CANARY]: broken } });
    expect(result.notes).toEqual([]);
    expect(result.live.map((x) => x.key)).toContain('corefile');
  });
});

describe('src/corefile.ts', () => {
  it('parses server blocks, plugins, arguments and nested blocks', () => {
    const c = parseCorefile(DEFAULT_COREFILE);
    expect(c.servers).toHaveLength(1);
    const s = c.servers[0];
    expect(s.keys).toEqual(['.:53']);
    expect(s.id).toBe('.:53');
    expect(s.directives.map((d) => d.name)).toEqual(['errors', 'health', 'ready', 'kubernetes', 'prometheus', 'forward', 'cache', 'loop', 'reload', 'loadbalance']);
    const k = s.directives[3];
    expect(k.args).toEqual(['cluster.local', 'in-addr.arpa', 'ip6.arpa']);
    expect(k.block!.map((d) => [d.name, d.args])).toEqual([['pods', ['insecure']], ['fallthrough', ['in-addr.arpa', 'ip6.arpa']], ['ttl', ['30']]]);
    expect(k.line).toBe(6);
    expect(k.block![2].line).toBe(9);
  });

  it('strips comments (also mid-token) and keeps quoted text', () => {
    const c = parseCorefile('. { # server\n  forward . 1.1.1.1#comment\n  template IN A "a # b" "x\\"y"\n}');
    const [fwd, tpl] = c.servers[0].directives;
    expect(fwd.args).toEqual(['.', '1.1.1.1']);
    expect(tpl.args).toEqual(['IN', 'A', 'a # b', 'x"y']);
  });

  it('gives equal canonical forms for comment and whitespace edits only', () => {
    const a = parseCorefile(DEFAULT_COREFILE).servers[0].directives;
    const b = parseCorefile(`# header\n.:53   {\n${DEFAULT_COREFILE.split('\n').slice(1).join('\n\n')}`).servers[0].directives;
    expect(canonical(a)).toBe(canonical(b));
  });

  it('normalises server keys', () => {
    expect(normalizeKey('.')).toBe('.:53');
    expect(normalizeKey('dns://.:53')).toBe('.:53');
    expect(normalizeKey('Cluster.Local.:5353')).toBe('cluster.local:5353');
    expect(normalizeKey('tls://.:853')).toBe('tls://.:853');
    expect(parseCorefile('a.org, b.org:53 {\n whoami\n}').servers[0].id).toBe('a.org:53 b.org:53');
  });

  it('reads brace-less single blocks, snippets, one-liners and stray braces', () => {
    const braceless = parseCorefile('.:53\nwhoami\nlog');
    expect(braceless.servers.map((s) => [s.id, s.directives.map((d) => d.name)])).toEqual([['.:53', ['whoami', 'log']]]);
    const snippet = parseCorefile('(common) {\n  log\n  errors\n}\n. {\n  import common\n  health { lameduck 5s }\n}\n}');
    expect(snippet.servers[0].snippet).toBe(true);
    expect(snippet.servers[1].directives.map((d) => [d.name, d.args, d.block?.map((x) => x.name)])).toEqual([
      ['import', ['common'], undefined],
      ['health', [], ['lameduck']],
    ]);
    expect(parseDirectives('log\nerrors # x\n').map((d) => d.name)).toEqual(['log', 'errors']);
    expect(() => parseCorefile('{'.repeat(10_000))).not.toThrow();
    expect(() => parseCorefile('"unterminated\n{\n')).not.toThrow();
  });

  it('computes the max cache TTL the way plugin/cache does', () => {
    expect(cacheTtlOf(DEFAULT_COREFILE)).toBe(30);
    expect(cacheTtlOf('. {\n  forward . 1.1.1.1\n}')).toBeUndefined();
    expect(cacheTtlOf('. {\n  cache\n}')).toBe(3600);
    expect(cacheTtlOf('. {\n  cache example.org\n}')).toBe(3600);
    expect(cacheTtlOf('. {\n  cache 30 {\n    success 9984 60\n  }\n}')).toBe(60);
    expect(cacheTtlOf('. {\n  cache 30 {\n    success 9984\n    denial 9984 5\n  }\n}')).toBe(30);
    expect(cacheTtlOf('. {\n  cache {\n    denial 9984 7200\n  }\n}')).toBe(7200);
    expect(cacheTtlOf('. {\n  cache {\n    success 9984 10\n  }\n}')).toBe(1800);
    expect(cacheTtlOf('. {\n  cache 30 # was 300\n}\nexample.org {\n  cache 300\n}')).toBe(300);
    expect(cacheTtlOf('. {\n  # cache 300\n  cache 5\n}')).toBe(5);
    const settings = cacheSettings(parseCorefile('. {\n  cache 30 {\n    denial 9984 600\n  }\n}').servers[0].directives[0]);
    expect(settings).toMatchObject({ success: 30, denial: 600, stale: 0, line: 2 });
  });

  it('reads serve_stale, Go durations and the kubernetes ttl', () => {
    expect(serveStaleOf('. {\n  cache 30 {\n    serve_stale\n  }\n}')).toBe(3600);
    expect(serveStaleOf('. {\n  cache 30 {\n    serve_stale 10m verify\n  }\n}')).toBe(600);
    expect(serveStaleOf(DEFAULT_COREFILE)).toBe(0);
    expect(goDuration('1h30m')).toBe(5400);
    expect(goDuration('90s')).toBe(90);
    expect(goDuration('soon')).toBeUndefined();
    const k = parseCorefile(DEFAULT_COREFILE).servers[0].directives[3];
    expect(kubernetesTtl(k)).toEqual({ ttl: 30, line: 9 });
    expect(kubernetesTtl({ name: 'kubernetes', args: [], line: 4 })).toEqual({ ttl: 5, line: 4 });
  });
});

// ---------------------------------------------------------------------------------------------------------
// The kube-dns ConfigMap (kube-dns add-on, GKE's default): stubDomains and upstreamNameservers

const KUBE_DNS = 'infrastructure/kube-dns.yaml';
const KD_CANARY = 'clusters/canary-1/kube-dns.yaml';
const KD_PROD_US = 'clusters/prod-us/kube-dns.yaml';
const KD_PROD_EU = 'clusters/prod-eu/kube-dns.yaml';

interface KubeDnsSpec {
  name?: string;
  /** null: no namespace written. */
  namespace?: string | null;
  annotations?: Record<string, string>;
  /** Data keys as literal blocks. */
  data?: Record<string, string>;
}

function kubeDnsCm(k: KubeDnsSpec = {}): string {
  const lines = ['apiVersion: v1', 'kind: ConfigMap', 'metadata:', `  name: ${k.name ?? 'kube-dns'}`];
  if (k.namespace !== null) lines.push(`  namespace: ${k.namespace ?? 'kube-system'}`);
  lines.push('  labels:', '    addonmanager.kubernetes.io/mode: EnsureExists');
  if (k.annotations) lines.push('  annotations:', ...Object.entries(k.annotations).map(([a, v]) => `    ${a}: ${JSON.stringify(v)}`));
  if (k.data) {
    lines.push('data:');
    for (const [key, v] of Object.entries(k.data)) lines.push(`  ${key}: |`, ...block(v));
  }
  return `${lines.join('\n')}\n`;
}

const STUBS = '{"corp.example.com": ["10.150.0.1", "10.150.0.2"]}';
const UPSTREAMS = '["8.8.8.8", "8.8.4.4"]';
const kdBase = kubeDnsCm({ data: { stubDomains: STUBS, upstreamNameservers: UPSTREAMS } });
const kdReformatted = kubeDnsCm({
  data: { stubDomains: '{\n  "corp.example.com": [\n    "10.150.0.1",\n    "10.150.0.2"\n  ]\n}', upstreamNameservers: '[\n  "8.8.8.8",\n  "8.8.4.4"\n]' },
});
const kdReordered = kubeDnsCm({
  data: { upstreamNameservers: '["8.8.4.4:53", "8.8.8.8"]', stubDomains: '{"corp.example.com": ["10.150.0.2", "10.150.0.1:53"]}' },
});
const kdAnnotated = kubeDnsCm({ annotations: { 'example.com/owner': 'dns-team' }, data: { stubDomains: STUBS, upstreamNameservers: UPSTREAMS } });
const kdUpstream = kubeDnsCm({ data: { stubDomains: STUBS, upstreamNameservers: '["10.0.0.53",\n "10.0.1.53"]' } });
const kdStubAdded = kubeDnsCm({ data: { stubDomains: '{\n  "corp.example.com": ["10.150.0.1", "10.150.0.2"],\n  "consul.internal": ["10.160.0.10"]\n}', upstreamNameservers: UPSTREAMS } });
const kdTwoStubs = kubeDnsCm({ data: { stubDomains: '{\n  "corp.example.com": ["10.150.0.1", "10.150.0.2"],\n  "legacy.corp": ["10.9.9.9"]\n}', upstreamNameservers: UPSTREAMS } });
const kdStubServer = kubeDnsCm({ data: { stubDomains: '{\n  "corp.example.com": [\n    "10.150.0.1",\n    "10.150.0.9"\n  ]\n}', upstreamNameservers: UPSTREAMS } });
const kdStubsOnly = kubeDnsCm({ data: { stubDomains: STUBS } });
const kdEmpty = kubeDnsCm();
const kdCurly = kubeDnsCm({ data: { stubDomains: '{\u201ccorp.example.com\u201d: [\u201c10.150.0.1\u201d, \u201c10.150.0.2\u201d]}', upstreamNameservers: UPSTREAMS } });
const kdCurlyOther = kubeDnsCm({ data: { stubDomains: '{\u201ccorp.example.com\u201d: [\u201c10.150.0.1\u201d]}', upstreamNameservers: UPSTREAMS } });
const kdTrailingDot = kubeDnsCm({ data: { stubDomains: '{\n  "corp.example.com": ["10.150.0.1", "10.150.0.2"],\n  "consul.internal.": ["10.160.0.10"]\n}', upstreamNameservers: UPSTREAMS } });
const kdFourUpstreams = kubeDnsCm({ data: { stubDomains: STUBS, upstreamNameservers: '["8.8.8.8", "8.8.4.4", "1.1.1.1", "1.0.0.1"]' } });
const kdBadOnDefaults = kubeDnsCm({ data: { stubDomains: "{'corp.example.com': ['10.150.0.1']}" } });

ruleTester(clusterDns).run({
  valid: [
    { name: 'kube-dns: the JSON values reformatted (whitespace, line breaks), fleet-wide', config: SHARED, base: { [KUBE_DNS]: kdBase }, files: { [KUBE_DNS]: kdReformatted } },
    { name: 'kube-dns: keys, domains and nameservers reordered, "IP:53" spelled out', config: SHARED, base: { [KUBE_DNS]: kdBase }, files: { [KUBE_DNS]: kdReordered } },
    { name: 'kube-dns: an annotation added', config: SHARED, base: { [KUBE_DNS]: kdBase }, files: { [KUBE_DNS]: kdAnnotated } },
    {
      name: 'kube-dns: a ConfigMap named kube-dns in another namespace changes its upstreams',
      config: SHARED,
      base: { [KUBE_DNS]: kubeDnsCm({ namespace: 'dns-tests', data: { upstreamNameservers: UPSTREAMS } }) },
      files: { [KUBE_DNS]: kubeDnsCm({ namespace: 'dns-tests', data: { upstreamNameservers: '["10.0.0.53"]' } }) },
    },
    {
      name: 'kube-dns: a ConfigMap of another name in kube-system with the same keys',
      config: SHARED,
      base: { [KUBE_DNS]: kubeDnsCm({ name: 'kube-dns-staging', data: { upstreamNameservers: UPSTREAMS } }) },
      files: { [KUBE_DNS]: kubeDnsCm({ name: 'kube-dns-staging', data: { upstreamNameservers: '["10.0.0.53"]' } }) },
    },
    { name: 'kube-dns: a new ConfigMap with no data (the GKE default)', config: SHARED, files: { [KUBE_DNS]: kdEmpty } },
    { name: 'kube-dns: upstreamNameservers "[]" added (the same as absent)', config: SHARED, base: { [KUBE_DNS]: kdStubsOnly }, files: { [KUBE_DNS]: kubeDnsCm({ data: { stubDomains: STUBS, upstreamNameservers: '[]' } }) } },
    { name: 'kube-dns: a rejected value edited, still rejected', config: SHARED, base: { [KUBE_DNS]: kdCurly }, files: { [KUBE_DNS]: kdCurlyOther } },
    {
      name: 'kube-dns: only the federations key changes (not read by this rule)',
      config: SHARED,
      base: { [KUBE_DNS]: kubeDnsCm({ data: { stubDomains: STUBS, federations: 'myfed=example.com' } }) },
      files: { [KUBE_DNS]: kubeDnsCm({ data: { stubDomains: STUBS, federations: 'myfed=example.org' } }) },
    },
    { name: 'kube-dns: the ConfigMap deleted (left to blast-radius/deletion)', config: FLEET, base: { [KD_CANARY]: kdBase, 'clusters/canary-1/x.yaml': dep }, files: { 'clusters/canary-1/x.yaml': dep } },
    {
      name: 'kube-dns odd input: data as a string, stubDomains as a YAML map (the API server rejects both)',
      config: FLEET,
      base: { [KD_CANARY]: 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: kube-dns, namespace: kube-system}\ndata: nope\n' },
      files: { [KD_CANARY]: 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: kube-dns, namespace: kube-system}\ndata:\n  stubDomains: {corp.example.com: [10.150.0.1]}\n' },
    },
  ],
  invalid: [
    {
      name: 'kube-dns: upstreams changed on one cluster: medium',
      config: FLEET,
      base: { [KD_CANARY]: kdBase, [KD_PROD_US]: kdBase },
      files: { [KD_CANARY]: kdUpstream, [KD_PROD_US]: kdBase },
      findings: [
        f('medium', 'kube-dns-config', kdUpstream, '"10.0.0.53"', [
          'the kube-dns configuration in ConfigMap "kube-system/kube-dns" changes upstreamNameservers from "8.8.4.4" and "8.8.8.8" to "10.0.0.53" and "10.0.1.53", in cluster "canary-1" (60 nodes)',
          'a wrong or unreachable upstream breaks external name resolution for the whole cluster at once',
          'caches in front of kube-dns (NodeLocal DNSCache, client libraries) keep serving earlier answers',
          OPENAI,
          'dnsmasq-nanny restarts dnsmasq with the new servers in every kube-dns pod at the same time, not pod by pod',
        ]),
      ],
    },
    {
      name: 'kube-dns: upstreams changed in a file every cluster receives: high',
      config: SHARED,
      base: { [KUBE_DNS]: kdBase },
      files: { [KUBE_DNS]: kdUpstream },
      findings: [
        f('high', 'kube-dns-config', kdUpstream, '"10.0.0.53"', [
          'in 3 clusters, 8,060 nodes: canary-1 (60), prod-eu (3,200), prod-us (4,800)',
          'one merge takes it to every cluster of the fleet, so no stage can catch a failure first',
        ]),
      ],
    },
    {
      name: 'kube-dns: the same upstream change in every per-cluster file: high on each',
      config: FLEET,
      base: { [KD_CANARY]: kdBase, [KD_PROD_US]: kdBase, [KD_PROD_EU]: kdBase },
      files: { [KD_CANARY]: kdUpstream, [KD_PROD_US]: kdUpstream, [KD_PROD_EU]: kdUpstream },
      findings: [0, 1, 2].map(() => f('high', 'kube-dns-config', kdUpstream, '"10.0.0.53"', ['(with the copies in other files)'])),
    },
    {
      name: 'kube-dns: a stub domain added fleet-wide: high, at the domain',
      config: SHARED,
      base: { [KUBE_DNS]: kdBase },
      files: { [KUBE_DNS]: kdStubAdded },
      findings: [
        f('high', 'kube-dns-config', kdStubAdded, '"consul.internal"', [
          'adds stub domain "consul.internal" ("10.160.0.10"), in 3 clusters',
          'every pod resolves names under the stub domains through kube-dns (dnsPolicy ClusterFirst)',
        ]),
      ],
    },
    {
      name: 'kube-dns: a stub domain removed on one cluster: medium, at the key',
      config: FLEET,
      base: { [KD_CANARY]: kdTwoStubs },
      files: { [KD_CANARY]: kdBase },
      findings: [f('medium', 'kube-dns-config', kdBase, 'stubDomains: |', ['removes stub domain "legacy.corp" (was "10.9.9.9"): its names go to the upstream servers, which do not serve a private zone'])],
    },
    {
      name: 'kube-dns: a stub domain re-pointed: at the new nameserver',
      config: FLEET,
      base: { [KD_CANARY]: kdBase },
      files: { [KD_CANARY]: kdStubServer },
      findings: [f('medium', 'kube-dns-config', kdStubServer, '"10.150.0.9"', ['changes the nameservers of stub domain "corp.example.com" from "10.150.0.1" and "10.150.0.2" to "10.150.0.1" and "10.150.0.9"'])],
    },
    {
      name: 'kube-dns: upstreamNameservers set where the node\'s resolv.conf served',
      config: FLEET,
      base: { [KD_CANARY]: kdStubsOnly },
      files: { [KD_CANARY]: kdBase },
      findings: [f('medium', 'kube-dns-config', kdBase, '["8.8.8.8"', ['sets upstreamNameservers to "8.8.4.4" and "8.8.8.8" (was: the nameservers of the node\'s /etc/resolv.conf)'])],
    },
    {
      name: 'kube-dns: the ConfigMap with no namespace written is recognised',
      config: FLEET,
      base: { [KD_CANARY]: kubeDnsCm({ namespace: null, data: { stubDomains: STUBS, upstreamNameservers: UPSTREAMS } }) },
      files: { [KD_CANARY]: kubeDnsCm({ namespace: null, data: { stubDomains: STUBS, upstreamNameservers: '["10.0.0.53"]' } }) },
      findings: [f('medium', 'kube-dns-config', kubeDnsCm({ namespace: null, data: { stubDomains: STUBS, upstreamNameservers: '["10.0.0.53"]' } }), '["10.0.0.53"]', ['ConfigMap "kube-dns" changes upstreamNameservers'])],
    },
    {
      name: 'kube-dns: stubDomains rewritten with typographic quotes, fleet-wide: high (pods started later lose the stub domains)',
      config: SHARED,
      base: { [KUBE_DNS]: kdBase },
      files: { [KUBE_DNS]: kdCurly },
      findings: [
        f('high', 'kube-dns-config', kdCurly, 'stubDomains: |', [
          'kube-dns rejects ConfigMap "kube-system/kube-dns" as this pull request writes it, in 3 clusters, 8,060 nodes',
          ': stubDomains is not valid JSON: it uses typographic quotes (“ ”) where JSON needs straight double quotes;',
          'ignore the whole ConfigMap, so running kube-dns pods keep their previous configuration, but every kube-dns pod started afterwards',
          'on those pods stub domain "corp.example.com" stops resolving and external names go to the node\'s /etc/resolv.conf instead of "8.8.4.4" and "8.8.8.8"',
          'one merge takes it to every cluster of the fleet, so no stage can catch it first',
        ]),
      ],
    },
    {
      name: 'kube-dns: a stub domain with a trailing dot on one cluster: medium, at the domain',
      config: FLEET,
      base: { [KD_CANARY]: kdBase },
      files: { [KD_CANARY]: kdTrailingDot },
      findings: [f('medium', 'kube-dns-config', kdTrailingDot, '"consul.internal."', ['stub domain "consul.internal." is not a valid domain for kube-dns (lower-case DNS-1123 subdomain, no trailing dot)'])],
    },
    {
      name: 'kube-dns: four upstreams fleet-wide: medium (GKE\'s CoreDNS-based kube-dns accepts up to 15)',
      config: SHARED,
      base: { [KUBE_DNS]: kdBase },
      files: { [KUBE_DNS]: kdFourUpstreams },
      findings: [f('medium', 'kube-dns-config', kdFourUpstreams, 'upstreamNameservers: |', ['upstreamNameservers lists 4 servers, more than the 3 kube-dns accepts', 'accepts up to 15'])],
    },
    {
      name: 'kube-dns: a rejected value where kube-dns ran its defaults: medium, the change never applies',
      config: SHARED,
      base: { [KUBE_DNS]: kdEmpty },
      files: { [KUBE_DNS]: kdBadOnDefaults },
      findings: [f('medium', 'kube-dns-config', kdBadOnDefaults, 'stubDomains: |', ['JSON strings need double quotes, not single quotes', 'as today: the configuration this pull request means never applies'])],
    },
    {
      name: 'kube-dns: a rejected base fixed: judged against the defaults',
      config: FLEET,
      base: { [KD_CANARY]: kdCurly },
      files: { [KD_CANARY]: kdBase },
      findings: [
        f('medium', 'kube-dns-config', kdBase, '"corp.example.com"', [
          'adds stub domain "corp.example.com" ("10.150.0.1" and "10.150.0.2") and sets upstreamNameservers',
          'kube-dns rejected the base version, so it is judged against kube-dns\'s defaults',
        ]),
      ],
    },
    {
      name: 'kube-dns: a new ConfigMap with stub domains, fleet-wide: medium (judged against the defaults)',
      config: SHARED,
      files: { [KUBE_DNS]: kdStubsOnly },
      findings: [f('medium', 'kube-dns-config', kdStubsOnly, '"corp.example.com"', ['adds stub domain "corp.example.com"', 'the ConfigMap is new in the repository, so it is judged against kube-dns\'s defaults'])],
    },
  ],
});

describe('blast-radius/cluster-dns on the kube-dns ConfigMap', () => {
  it('reports once over the clusters of a shared file, with the parsed configuration in data', () => {
    const result = runCase(clusterDns, { name: 'x', config: SHARED, base: { [KUBE_DNS]: kdBase }, files: { [KUBE_DNS]: kdUpstream } });
    expect(result.live).toHaveLength(1);
    expect(result.live[0].resource).toBe('ConfigMap/kube-system/kube-dns');
    expect(result.live[0].clusters).toEqual(['canary-1', 'prod-eu', 'prod-us']);
    expect(result.live[0].data).toMatchObject({
      stubDomains: { 'corp.example.com': ['10.150.0.1', '10.150.0.2'] },
      upstreamNameservers: ['10.0.0.53', '10.0.1.53'],
      changedKeys: ['upstreamNameservers'],
      wholeFleet: true,
      totalNodes: 8060,
    });
    expect(result.live[0].remediation).toMatch(/^Ship kube-dns stub-domain and upstream changes to one small cluster first/);
  });

  it('stays medium when per-cluster copies change in two clusters of three', () => {
    const result = runCase(clusterDns, {
      name: 'x',
      config: FLEET,
      base: { [KD_CANARY]: kdBase, [KD_PROD_US]: kdBase, [KD_PROD_EU]: kdBase },
      files: { [KD_CANARY]: kdUpstream, [KD_PROD_US]: kdUpstream, [KD_PROD_EU]: kdBase },
    });
    expect(result.live.map((x) => x.severity)).toEqual(['medium', 'medium']);
  });

  it('points into a stubDomains file a kustomize configMapGenerator reads', () => {
    const kustomization = 'configMapGenerator:\n  - name: kube-dns\n    namespace: kube-system\n    files: [stubDomains=stub-domains.json]\n    options: {disableNameSuffixHash: true}\n';
    const before = '{\n  "corp.example.com": ["10.150.0.1"]\n}\n';
    const after = '{\n  "corp.example.com": ["10.150.0.1"],\n  "consul.internal": ["10.160.0.10"]\n}\n';
    const result = runCase(clusterDns, {
      name: 'x',
      config: FLEET,
      base: { 'clusters/canary-1/kustomization.yaml': kustomization, 'clusters/canary-1/stub-domains.json': before },
      files: { 'clusters/canary-1/kustomization.yaml': kustomization, 'clusters/canary-1/stub-domains.json': after },
    });
    expect(result.live.map((x) => [x.severity, x.key, x.file, x.line])).toEqual([['medium', 'kube-dns-config', 'clusters/canary-1/stub-domains.json', lineOf(after, '"consul.internal"')]]);
  });

  it('does not throw on JSON of the wrong shape, and says what kube-dns rejects', () => {
    const head = kubeDnsCm({ data: { stubDomains: '["10.150.0.1"]', upstreamNameservers: '{"a": 1}' } });
    const result = runCase(clusterDns, { name: 'x', config: FLEET, base: { [KD_CANARY]: kdBase }, files: { [KD_CANARY]: head } });
    expect(result.notes).toEqual([]);
    expect(result.live).toHaveLength(1);
    expect(result.live[0].message).toContain('stubDomains is not a JSON object (domain → list of nameservers) and upstreamNameservers is not a JSON list of nameserver strings');
  });
});

describe('isKubeDnsConfigMap and kubeDnsConfigOf', () => {
  const obj = (o: Partial<KubeObject> & { doc?: Record<string, unknown> }): KubeObject => ({ kind: 'ConfigMap', name: 'kube-dns', namespace: 'kube-system', doc: {}, ...o }) as KubeObject;
  const cfg = (data: Record<string, unknown>) => kubeDnsConfigOf(obj({ doc: { data } }));

  it('recognises only ConfigMap kube-dns in kube-system or with no namespace', () => {
    expect(isKubeDnsConfigMap(obj({}))).toBe(true);
    expect(isKubeDnsConfigMap(obj({ namespace: null }))).toBe(true);
    expect(isKubeDnsConfigMap(obj({ namespace: 'dns-tests' }))).toBe(false);
    expect(isKubeDnsConfigMap(obj({ name: 'coredns' }))).toBe(false);
    expect(isKubeDnsConfigMap(obj({ kind: 'Service' }))).toBe(false);
  });

  it('reads the values as kube-dns does: JSON null is empty, an empty value is not JSON', () => {
    expect(cfg({ stubDomains: 'null', upstreamNameservers: 'null' })).toMatchObject({ upstreams: [], problems: [] });
    expect(cfg({ stubDomains: '{"a.b": null}' })!.stubDomains.get('a.b')).toEqual([]);
    expect(cfg({ upstreamNameservers: '' })!.problems.map((p) => p.text)).toEqual(['upstreamNameservers is empty, which is not valid JSON']);
    expect(cfg({ stubDomains: '{"a.b": ["1.2.3.4"],}' })!.problems.map((p) => p.text)).toEqual(['stubDomains is not valid JSON: it has a trailing comma']);
    expect(cfg({})).toMatchObject({ upstreams: [], problems: [] });
    expect(kubeDnsConfigOf(obj({ doc: { data: 'nope' } }))).toBeUndefined();
    expect(cfg({ stubDomains: 42 })).toBeUndefined();
  });

  it('validates domains and nameservers as kubernetes/dns Config.Validate does', () => {
    const problems = (data: Record<string, unknown>) => cfg(data)!.problems.map((p) => p.text);
    expect(problems({ stubDomains: '{"consul.local": ["ns1.consul.local", "10.0.0.1:5353", "[fd00::1]:53", "fd00::2"]}' })).toEqual([]);
    expect(problems({ stubDomains: '{"Corp.Example": ["10.0.0.1"]}' })).toEqual(['stub domain "Corp.Example" is not a valid domain for kube-dns (lower-case DNS-1123 subdomain, no trailing dot)']);
    expect(problems({ stubDomains: '{"corp": ["ns1.corp:53"]}' })).toEqual(['nameserver "ns1.corp:53" of stub domain "corp" is not an IP address or host name (with an optional port)']);
    expect(problems({ stubDomains: '{"corp": ["10.0.0.1:99999"]}' })).toHaveLength(1);
    expect(problems({ upstreamNameservers: '["8.8.8.8", "1.1.1.1:5353", "[2001:4860:4860::8888]:53"]' })).toEqual([]);
    expect(problems({ upstreamNameservers: '["dns.google"]' })).toEqual(['upstream nameserver "dns.google" is not an IP address or IP:port']);
    expect(problems({ upstreamNameservers: '["1.1.1.1:0"]' })).toHaveLength(1);
    const four = cfg({ upstreamNameservers: '["1.1.1.1", "1.0.0.1", "8.8.8.8", "8.8.4.4"]' })!;
    expect(four.problems).toMatchObject([{ key: 'upstreamNameservers', soft: true }]);
  });

  it('normalises port 53 and order', () => {
    expect(cfg({ upstreamNameservers: '["8.8.8.8:53", "1.1.1.1", "8.8.8.8"]' })!.upstreams).toEqual(['1.1.1.1', '8.8.8.8']);
    expect(cfg({ stubDomains: '{"a.b": ["[fd00::1]:53", "10.0.0.2"]}' })!.stubDomains.get('a.b')).toEqual(['10.0.0.2', 'fd00::1']);
  });
});
