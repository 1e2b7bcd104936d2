import { describe, expect, it } from 'vitest';
import { lockedObject } from '../../../rules/revert-lock/locked-object.js';
import { findingAt, lineContaining, ruleTester, runCase } from '../../helpers/rule-tester.js';

const cm = (relay: string, extra = '') => `apiVersion: v1
kind: ConfigMap
metadata:
  name: telemetry-agent-config
  namespace: monitoring
${extra}data:
  relay: |
    processors:
      ${relay}
  level: info
`;

const LOCK = `locks:
  - id: telemetry-1211
    reason: "Incident 2024-12-11: telemetry agent overloaded the API servers."
    match: { kind: ConfigMap, namespace: monitoring, name: telemetry-agent-config }
`;
const PATH_LOCK = `locks:
  - id: relay-only
    reason: the relay pipeline is frozen
    match: { kind: ConfigMap, name: telemetry-agent-config, path: [data, relay] }
`;
const DOTTED_LOCK = `locks:
  - id: relay-only
    reason: the relay pipeline is frozen
    match: { kind: ConfigMap, name: telemetry-agent-config, path: data.relay }
`;
const web = (sidecar: boolean, tag: string) => `apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: shop
spec:
  template:
    spec:
      containers:
${sidecar ? '        - name: proxy\n          image: "web:1.0"\n' : ''}        - name: web
          image: "web:${tag}"
`;
const NAMED_LOCK = `locks:
  - id: web-image
    reason: web image frozen during the migration
    match: { kind: Deployment, name: web, path: "spec.template.spec.containers[name=web].image" }
`;
const NS_LOCK = `locks:
  - id: kube-system
    reason: change freeze on kube-system until the upgrade is done
    match: { namespace: kube-system }
`;

const F = 'monitoring/telemetry.yaml';
const batch = cm('batch: {}');
const watchAll = cm('k8sattributes: {}');

ruleTester(lockedObject).run({
  valid: [
    { name: 'no locks configured', base: { [F]: batch }, files: { [F]: watchAll } },
    { name: 'another object changes', config: LOCK, base: { [F]: batch, 'x.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata: { name: other, namespace: monitoring }\ndata: { a: "1" }\n' }, files: { [F]: batch, 'x.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata: { name: other, namespace: monitoring }\ndata: { a: "2" }\n' } },
    { name: 'the locked object in another namespace', config: LOCK, base: { [F]: batch.replace('namespace: monitoring', 'namespace: tracing') }, files: { [F]: watchAll.replace('namespace: monitoring', 'namespace: tracing') } },
    { name: 'a comment-only edit of the locked object', config: LOCK, base: { [F]: batch }, files: { [F]: `# owned by the telemetry team\n${batch}` } },
    { name: 'moved to another file unchanged', config: LOCK, base: { [F]: batch }, files: { 'monitoring/moved.yaml': batch } },
    { name: 'a change outside the locked path', config: PATH_LOCK, base: { [F]: batch }, files: { [F]: batch.replace('level: info', 'level: debug') } },
    { name: 'a sidecar inserted before the item a [name=…] path locks', config: NAMED_LOCK, base: { 'shop/web.yaml': web(false, '1.0') }, files: { 'shop/web.yaml': web(true, '1.0') } },
    {
      name: 'the override label lifts it: kept as suppressed',
      config: LOCK,
      base: { [F]: batch },
      files: { [F]: watchAll },
      labels: ['blast-radius-override:telemetry-1211'],
      suppressed: [findingAt('critical', 'telemetry-1211', watchAll, 'k8sattributes')],
    },
  ],
  invalid: [
    {
      name: 'an edit inside the locked ConfigMap (at the changed line of the embedded config)',
      config: LOCK,
      base: { [F]: batch },
      files: { [F]: watchAll },
      findings: [
        findingAt('critical', 'telemetry-1211', watchAll, 'k8sattributes', [
          'the lock "telemetry-1211" in .blast-radius.yml holds ConfigMap/monitoring/telemetry-agent-config: Incident 2024-12-11: telemetry agent overloaded the API servers;',
          'this pull request changes data.relay | processors.k8sattributes',
          'blast-radius-override:telemetry-1211',
        ]),
      ],
    },
    {
      name: 'a label of another lock does not lift it',
      config: LOCK,
      base: { [F]: batch },
      files: { [F]: watchAll },
      labels: ['blast-radius-override:other', 'blast-radius-accept'],
      findings: [findingAt('critical', 'telemetry-1211', watchAll, 'k8sattributes')],
    },
    {
      name: 'the ignore annotation added by the pull request does not lift it',
      config: LOCK,
      base: { [F]: batch },
      files: { [F]: cm('k8sattributes: {}', '  annotations:\n    blast-radius.dev/ignore: "revert-lock/locked-object -- trust me"\n') },
      findings: [findingAt('critical', 'telemetry-1211', cm('k8sattributes: {}', '  annotations:\n    blast-radius.dev/ignore: "x"\n'), 'annotations:', ['changes metadata.annotations'])],
    },
    {
      name: 'deleting the locked object (on the base line)',
      config: LOCK,
      base: { [F]: batch },
      files: { 'other.yaml': 'a: 1\n' },
      findings: [findingAt('critical', 'telemetry-1211', batch, 'name: telemetry-agent-config', ['this pull request deletes it'])],
    },
    {
      name: 'adding an object the lock names',
      config: LOCK,
      base: { 'other.yaml': 'a: 1\n' },
      files: { [F]: watchAll },
      findings: [findingAt('critical', 'telemetry-1211', watchAll, 'name: telemetry-agent-config', ['this pull request adds it'])],
    },
    {
      name: 'a change under the locked path (list form)',
      config: PATH_LOCK,
      base: { [F]: batch },
      files: { [F]: watchAll },
      findings: [findingAt('critical', 'relay-only', watchAll, 'k8sattributes', ['holds ConfigMap/monitoring/telemetry-agent-config (data.relay)', 'changes data.relay | processors.k8sattributes'])],
    },
    {
      name: 'a change under the locked path (dotted form)',
      config: DOTTED_LOCK,
      base: { [F]: batch },
      files: { [F]: watchAll },
      findings: [findingAt('critical', 'relay-only', watchAll, 'k8sattributes')],
    },
    {
      name: 'a [name=…] lock path follows the item when another is inserted before it',
      config: NAMED_LOCK,
      base: { 'shop/web.yaml': web(false, '1.0') },
      files: { 'shop/web.yaml': web(true, '2.0') },
      findings: [findingAt('critical', 'web-image', web(true, '2.0'), 'image: "web:2.0"', ['changes spec.template.spec.containers[name=web].image'])],
    },
    {
      name: 'a namespace-wide lock',
      config: NS_LOCK,
      base: { 'ks/coredns.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: coredns\n  namespace: kube-system\ndata:\n  Corefile: |\n    .:53 {\n        cache 30\n    }\n' },
      files: { 'ks/coredns.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: coredns\n  namespace: kube-system\ndata:\n  Corefile: |\n    .:53 {\n        cache 300\n    }\n' },
      findings: [{ severity: 'critical', key: 'kube-system', line: 9, messageIncludes: ['ConfigMap/kube-system/coredns', 'line "cache 300"'] }],
    },
    {
      name: 'a shared base edited once reaches the locked object of every overlay: one finding',
      config: `${LOCK}fleet:\n  clusters:\n    - { name: a, paths: ["clusters/a/**"] }\n    - { name: b, paths: ["clusters/b/**"] }\n`,
      base: {
        'base/kustomization.yaml': 'resources: [telemetry.yaml]\n',
        'base/telemetry.yaml': batch,
        'clusters/a/kustomization.yaml': 'resources: [../../base]\n',
        'clusters/b/kustomization.yaml': 'resources: [../../base]\n',
      },
      files: {
        'base/kustomization.yaml': 'resources: [telemetry.yaml]\n',
        'base/telemetry.yaml': watchAll,
        'clusters/a/kustomization.yaml': 'resources: [../../base]\n',
        'clusters/b/kustomization.yaml': 'resources: [../../base]\n',
      },
      findings: [findingAt('critical', 'telemetry-1211', watchAll, 'k8sattributes')],
    },
  ],
});

describe('revert-lock/locked-object: reach', () => {
  it('the finding reaches every cluster whose overlay deploys the locked object', () => {
    const r = runCase(lockedObject, {
      name: 'x',
      config: `${LOCK}fleet:\n  clusters:\n    - { name: a, paths: ["clusters/a/**"] }\n    - { name: b, paths: ["clusters/b/**"] }\n`,
      base: { 'base/kustomization.yaml': 'resources: [t.yaml]\n', 'base/t.yaml': batch, 'clusters/a/kustomization.yaml': 'resources: [../../base]\n', 'clusters/b/kustomization.yaml': 'resources: [../../base]\n' },
      files: { 'base/kustomization.yaml': 'resources: [t.yaml]\n', 'base/t.yaml': watchAll, 'clusters/a/kustomization.yaml': 'resources: [../../base]\n', 'clusters/b/kustomization.yaml': 'resources: [../../base]\n' },
    });
    expect(r.live.map((f) => [f.clusters, f.line])).toEqual([[['a', 'b'], lineContaining(watchAll, 'k8sattributes')]]);
  });
});
