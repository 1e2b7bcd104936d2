/** Table tests of canary/unguarded-change: pod-template changes hidden by OnDelete or without a readiness probe. */
import { unguardedChange } from '../../../rules/canary/unguarded-change.js';
import { FLEET, SHARED } from '../../helpers/fleets.js';
import { lineContaining, ruleTester } from '../../helpers/rule-tester.js';

function workload(o: { kind?: string; image?: string; strategy?: string; probe?: boolean; sidecar?: string } = {}): string {
  const kind = o.kind ?? 'Deployment';
  return [
    'apiVersion: apps/v1',
    `kind: ${kind}`,
    'metadata: {name: web, namespace: shop}',
    'spec:',
    ...(o.strategy ? [`  ${kind === 'Deployment' ? 'strategy' : 'updateStrategy'}: {type: ${o.strategy}}`] : []),
    '  selector: {matchLabels: {app: web}}',
    '  template:',
    '    metadata: {labels: {app: web}}',
    '    spec:',
    '      containers:',
    '      - name: app',
    `        image: ${o.image ?? 'example.com/web:1.0.0'}`,
    ...(o.probe ? ['        readinessProbe: {httpGet: {path: /ready, port: 8080}}'] : []),
    ...(o.sidecar ? ['      - name: proxy', `        image: ${o.sidecar}`, '        readinessProbe: {tcpSocket: {port: 15000}}'] : []),
    '',
  ].join('\n');
}

const FILE = 'apps/web.yaml';
const PROD_US = 'clusters/prod-us/web.yaml';
const V2 = 'example.com/web:2.0.0';

ruleTester(unguardedChange).run({
  valid: [
    { name: 'a container with a readiness probe changes', config: SHARED, base: { [FILE]: workload({ probe: true }) }, files: { [FILE]: workload({ probe: true, image: V2 }) } },
    { name: 'a probed sidecar changes next to an unprobed, unchanged main container', config: SHARED, base: { [FILE]: workload({ sidecar: 'envoy:1' }) }, files: { [FILE]: workload({ sidecar: 'envoy:2' }) } },
    { name: 'a new workload without probes is workload-strategy\'s', config: SHARED, files: { [FILE]: workload() } },
    { name: 'a label-only edit changes no template', config: SHARED, base: { [FILE]: workload() }, files: { [FILE]: workload().replace('metadata: {name: web, namespace: shop}', 'metadata: {name: web, namespace: shop, labels: {team: a}}') } },
    { name: 'a RollingUpdate DaemonSet with a probe', config: SHARED, base: { [FILE]: workload({ kind: 'DaemonSet', probe: true }) }, files: { [FILE]: workload({ kind: 'DaemonSet', probe: true, image: V2 }) } },
    { name: 'the canary alone: the earliest stage is where a broken version is meant to show', config: FLEET, base: { 'clusters/canary-1/web.yaml': workload() }, files: { 'clusters/canary-1/web.yaml': workload({ image: V2 }) } },
    {
      name: 'a promotion: production takes the image the canary already runs',
      config: FLEET,
      base: { 'clusters/canary-1/web.yaml': workload({ image: V2 }), 'clusters/prod-us/web.yaml': workload() },
      files: { 'clusters/canary-1/web.yaml': workload({ image: V2 }), 'clusters/prod-us/web.yaml': workload({ image: V2 }) },
    },
    { name: 'odd input', config: SHARED, base: { [FILE]: 'apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web}\nspec: 7\n' }, files: { [FILE]: 'apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web}\nspec: {template: [1]}\n' } },
  ],
  invalid: [
    {
      name: 'an image bump of a container without a readiness probe, fleet-wide: medium',
      config: SHARED,
      base: { [FILE]: workload() },
      files: { [FILE]: workload({ image: V2 }) },
      findings: [{ severity: 'medium', key: 'no-readiness:app', line: lineContaining(workload(), '- name: app'), messageIncludes: ['container "app" of Deployment "shop/web" changes without a readinessProbe (3 clusters, 8,060 nodes'] }],
    },
    {
      name: 'the same in prod-eu alone: low (3,200 of 8,060 nodes)',
      config: FLEET,
      base: { 'clusters/prod-eu/web.yaml': workload() },
      files: { 'clusters/prod-eu/web.yaml': workload({ image: V2 }) },
      findings: [{ severity: 'low', key: 'no-readiness:app', line: lineContaining(workload(), '- name: app') }],
    },
    {
      name: 'a DaemonSet with OnDelete gets a new template in prod-us: the change is hidden (medium: 4,800 of 8,060 nodes)',
      config: FLEET,
      base: { [PROD_US]: workload({ kind: 'DaemonSet', strategy: 'OnDelete', probe: true }) },
      files: { [PROD_US]: workload({ kind: 'DaemonSet', strategy: 'OnDelete', probe: true, image: V2 }) },
      findings: [{ severity: 'medium', key: 'on-delete', line: lineContaining(workload({ kind: 'DaemonSet', strategy: 'OnDelete' }), 'updateStrategy'), messageIncludes: ['nothing rolls at merge'] }],
    },
  ],
});
