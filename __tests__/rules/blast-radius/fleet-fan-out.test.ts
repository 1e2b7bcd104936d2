/**
 * Table tests of blast-radius/fleet-fan-out: a change reaching every cluster, or more than half of the
 * fleet's nodes, with what it does there. Lines are looked up in the case's own YAML.
 */
import { fleetFanOut, HIGH_NODES } from '../../../rules/blast-radius/fleet-fan-out.js';
import { lineContaining, ruleTester } from '../../helpers/rule-tester.js';
import { FLEET, SHARED } from '../../helpers/fleets.js';

/** Three small clusters receiving every file (660 nodes). */
const SMALL = SHARED.replace('nodes: 4800', 'nodes: 300').replace('nodes: 3200', 'nodes: 300');
/** One cluster only. */
const ONE = `fleet:
  clusters:
    - { name: prod-us, nodes: 4800, stage: prod, paths: ["**"] }
`;

function workload(kind: string, opts: { image?: string; labels?: string; annotation?: string; replicas?: number; podAnnotation?: string } = {}): string {
  return [
    'apiVersion: apps/v1',
    `kind: ${kind}`,
    'metadata:',
    '  name: node-agent',
    '  namespace: monitoring',
    ...(opts.labels ? ['  labels:', `    team: ${opts.labels}`] : []),
    ...(opts.annotation ? ['  annotations:', `    example.com/owner: ${opts.annotation}`] : []),
    'spec:',
    ...(opts.replicas !== undefined ? [`  replicas: ${opts.replicas}`] : []),
    '  selector:',
    '    matchLabels: {app: node-agent}',
    '  template:',
    '    metadata:',
    '      labels: {app: node-agent}',
    ...(opts.podAnnotation ? ['      annotations:', `        example.com/restarted-at: "${opts.podAnnotation}"`] : []),
    '    spec:',
    '      containers:',
    '      - name: agent',
    `        image: ${opts.image ?? 'example.com/node-agent:1.0.0'}`,
    '',
  ].join('\n');
}

const configMap = (data: string) => `apiVersion: v1
kind: ConfigMap
metadata:
  name: agent-config
  namespace: monitoring
data:
${data}`;

const ds = workload('DaemonSet');
const dsBumped = workload('DaemonSet', { image: 'example.com/node-agent:2.0.0' });
const deploy = workload('Deployment', { replicas: 3 });
const deployBumped = workload('Deployment', { replicas: 3, image: 'example.com/node-agent:2.0.0' });
const TEMPLATE = 'template:';
const SHARED_FILE = 'infrastructure/node-agent.yaml';
const ARROW = 'container "agent" image "example.com/node-agent:1.0.0" → "example.com/node-agent:2.0.0"';

// Kustomize: a shared base under three cluster overlays.
const base = (manifest: string) => ({ 'base/node-agent.yaml': manifest, 'base/kustomization.yaml': 'resources: [node-agent.yaml]\n' });
const overlay = (extra = '') => `resources: [../../base]\n${extra}`;
const overlays = (prodExtra = '') => ({
  'clusters/canary-1/kustomization.yaml': overlay(),
  'clusters/prod-us/kustomization.yaml': overlay(prodExtra),
  'clusters/prod-eu/kustomization.yaml': overlay(prodExtra),
});
const PIN = 'images:\n- name: example.com/node-agent\n  newTag: 1.0.0\n';

ruleTester(fleetFanOut).run({
  valid: [
    { name: 'a label-only change in a shared file rolls nothing', config: SHARED, base: { [SHARED_FILE]: ds }, files: { [SHARED_FILE]: workload('DaemonSet', { labels: 'platform' }) } },
    { name: 'an annotation added outside the pod template rolls nothing', config: SHARED, base: { [SHARED_FILE]: ds }, files: { [SHARED_FILE]: workload('DaemonSet', { annotation: 'sre' }) } },
    { name: 'a comment-only edit is no change', config: SHARED, base: { [SHARED_FILE]: ds }, files: { [SHARED_FILE]: `# reviewed\n${ds}` } },
    { name: 'a change under the canary overlay reaches 60 of 8,060 nodes', config: FLEET, base: { 'clusters/canary-1/a.yaml': ds }, files: { 'clusters/canary-1/a.yaml': dsBumped } },
    { name: 'a change under prod-eu reaches 3,200 of 8,060 nodes: not more than half', config: FLEET, base: { 'clusters/prod-eu/a.yaml': ds }, files: { 'clusters/prod-eu/a.yaml': dsBumped } },
    { name: 'a change under prod-us alone (4,800 of 8,060 nodes) is one stage, not a fan-out', config: FLEET, base: { 'clusters/prod-us/a.yaml': ds }, files: { 'clusters/prod-us/a.yaml': dsBumped } },
    {
      name: 'a kube-proxy image bump everywhere is left to network-daemonset',
      config: SHARED,
      base: { [SHARED_FILE]: ds.replace(/node-agent/g, 'kube-proxy').replace('namespace: monitoring', 'namespace: kube-system') },
      files: { [SHARED_FILE]: dsBumped.replace(/node-agent/g, 'kube-proxy').replace('namespace: monitoring', 'namespace: kube-system') },
    },
    {
      name: 'networking and cluster DNS ConfigMaps are left to network-daemonset and cluster-dns',
      config: SHARED,
      base: { [SHARED_FILE]: ['kube-proxy', 'kube-dns', 'coredns'].map((n) => configMap('  a: "1"\n').replace('agent-config\n  namespace: monitoring', `${n}\n  namespace: kube-system`)).join('---\n') },
      files: { [SHARED_FILE]: ['kube-proxy', 'kube-dns', 'coredns'].map((n) => configMap('  a: "2"\n').replace('agent-config\n  namespace: monitoring', `${n}\n  namespace: kube-system`)).join('---\n') },
    },
    { name: 'a fleet of one cluster has nothing to fan out to', config: ONE, base: { [SHARED_FILE]: ds }, files: { [SHARED_FILE]: dsBumped } },
    { name: 'a DaemonSet new everywhere is left to new-daemonset', config: SHARED, files: { [SHARED_FILE]: ds } },
    {
      name: 'objects created or deleted everywhere are judged by what they are, not here',
      config: SHARED,
      base: { 'infrastructure/old.yaml': deploy },
      files: { 'infrastructure/new.yaml': deploy.replace('name: node-agent\n  namespace', 'name: web\n  namespace'), 'infrastructure/ns.yaml': 'apiVersion: v1\nkind: Namespace\nmetadata: {name: shop}\n' },
    },
    {
      name: 'a base image bump that the production overlays pin reaches the canary only',
      config: FLEET,
      base: { ...base(ds), ...overlays(PIN) },
      files: { ...base(dsBumped), ...overlays(PIN) },
    },
    {
      name: 'the file moves inside the shared folder: the same objects in the same clusters',
      config: SHARED,
      base: { [SHARED_FILE]: ds },
      files: { 'infrastructure/agents/node-agent.yaml': ds },
    },
  ],
  invalid: [
    {
      name: 'a ConfigMap a DaemonSet reads, changed everywhere: medium, the reader named',
      config: SHARED,
      base: { [SHARED_FILE]: `${configMap('  a: "1"\n')}---\n${ds.replace('      containers:', '      volumes: [{name: cfg, configMap: {name: agent-config}}]\n      containers:')}` },
      files: { [SHARED_FILE]: `${configMap('  a: "2"\n')}---\n${ds.replace('      containers:', '      volumes: [{name: cfg, configMap: {name: agent-config}}]\n      containers:')}` },
      findings: [{ severity: 'medium', key: 'data', line: 6, messageIncludes: ['DaemonSet "monitoring/node-agent" reads it on every node', 'on all 8,060 nodes at once'] }],
    },
    {
      name: 'a promotion: the production overlays drop their pins after the canary ran the new image: still both production clusters at once, one level lower',
      config: FLEET,
      base: { ...base(dsBumped), ...overlays(PIN) },
      files: { ...base(dsBumped), ...overlays() },
      findings: [
        {
          severity: 'medium',
          key: 'pod-template',
          line: lineContaining(dsBumped, TEMPLATE),
          messageIncludes: ['"canary-1" already runs this pod template, so this promotes a change that has run before, but to all of them at once', '8,000 of the fleet\'s 8,060 nodes'],
        },
      ],
    },
    {
      name: 'a pod-template change confined to the canary overlay next to a spec change everywhere: the spec change is reported (low), the restart is not borrowed',
      config: FLEET,
      base: { ...base(ds), ...overlays() },
      files: {
        ...base(ds.replace('  selector:', '  minReadySeconds: 10\n  selector:')),
        ...overlays(),
        'clusters/canary-1/kustomization.yaml': overlay('images:\n- name: example.com/node-agent\n  newTag: 2.0.0\n'),
      },
      findings: [{ severity: 'low', key: 'spec', line: lineContaining(ds, 'name: node-agent'), messageIncludes: ['every cluster of the fleet (3 clusters, 8,060 nodes'] }],
    },
    {
      name: 'a DaemonSet with updateStrategy OnDelete: its pods take the change only when recreated: low',
      config: SHARED,
      base: { [SHARED_FILE]: ds.replace('  template:', '  updateStrategy: {type: OnDelete}\n  template:') },
      files: { [SHARED_FILE]: dsBumped.replace('  template:', '  updateStrategy: {type: OnDelete}\n  template:') },
      findings: [{ severity: 'low', key: 'pod-template', line: lineContaining(dsBumped, TEMPLATE) + 1, messageIncludes: ['updateStrategy is OnDelete: nothing restarts at merge'] }],
    },
    {
      name: 'a change under both production overlays (8,000 of 8,060 nodes) fans out',
      config: FLEET,
      base: { 'clusters/prod-us/a.yaml': ds, 'clusters/prod-eu/a.yaml': ds },
      files: { 'clusters/prod-us/a.yaml': dsBumped, 'clusters/prod-eu/a.yaml': dsBumped },
      findings: [
        {
          severity: 'high',
          key: 'pod-template',
          line: lineContaining(dsBumped, TEMPLATE),
          messageIncludes: ['(and its copy in "clusters/prod-us/a.yaml") reaches 8,000 of the fleet\'s 8,060 nodes (2 clusters, 8,000 nodes: prod-eu (3,200), prod-us (4,800))'],
        },
      ],
    },
    {
      name: 'a shared-file DaemonSet image bump lists all three clusters with node totals: high',
      config: SHARED,
      base: { [SHARED_FILE]: ds },
      files: { [SHARED_FILE]: dsBumped },
      findings: [
        {
          severity: 'high',
          key: 'pod-template',
          line: lineContaining(dsBumped, TEMPLATE),
          messageIncludes: [
            'change to DaemonSet "monitoring/node-agent" reaches every cluster of the fleet (3 clusters, 8,060 nodes: canary-1 (60), prod-eu (3,200), prod-us (4,800)) in one merge',
            ARROW,
            'every one of the 8,060 nodes restarts a pod of it',
          ],
        },
      ],
    },
    {
      name: 'the same bump through a Kustomize base under three overlays',
      config: FLEET,
      base: { ...base(ds), ...overlays() },
      files: { ...base(dsBumped), ...overlays() },
      findings: [{ severity: 'high', key: 'pod-template', line: lineContaining(dsBumped, TEMPLATE), messageIncludes: ['3 clusters, 8,060 nodes'] }],
    },
    {
      name: `a pod-template annotation (a restart) on ${2 * 300 + 60} nodes: medium, below ${HIGH_NODES}`,
      config: SMALL,
      base: { [SHARED_FILE]: ds },
      files: { [SHARED_FILE]: workload('DaemonSet', { podAnnotation: '2026-11-25' }) },
      findings: [{ severity: 'medium', key: 'pod-template', line: lineContaining(ds, TEMPLATE), messageIncludes: ['its pod template changes', '660 nodes'] }],
    },
    {
      name: 'a shared Deployment image bump: low (passes at the default fail-on)',
      config: SHARED,
      base: { [SHARED_FILE]: deploy },
      files: { [SHARED_FILE]: deployBumped },
      findings: [{ severity: 'low', key: 'pod-template', line: lineContaining(deployBumped, TEMPLATE), messageIncludes: [ARROW, 'every replica rolls'] }],
    },
    {
      name: 'a replica change in a shared file: low',
      config: SHARED,
      base: { [SHARED_FILE]: deploy },
      files: { [SHARED_FILE]: workload('Deployment', { replicas: 5 }) },
      findings: [{ severity: 'low', key: 'spec', line: lineContaining(deploy, 'name: node-agent') }],
    },
    {
      name: 'a new ConfigMap key in a shared file: low, at data',
      config: SHARED,
      base: { [SHARED_FILE]: configMap('  a: "1"\n') },
      files: { [SHARED_FILE]: configMap('  a: "1"\n  b: "2"\n') },
      findings: [{ severity: 'low', key: 'data', line: 6, messageIncludes: ['ConfigMap "monitoring/agent-config"'] }],
    },
  ],
});
