import { expect, it } from 'vitest';
import { unlockedRevert } from '../../../rules/revert-lock/unlocked-revert.js';
import { findingAt, ruleTester, runCase } from '../../helpers/rule-tester.js';
import { historyOf, revertRecord } from './fixtures.js';

const agent = (tag: string) => `apiVersion: apps/v1
kind: DaemonSet
metadata:
  name: log-agent
  namespace: monitoring
spec:
  template:
    spec:
      containers:
        - name: agent
          image: "registry.example.com/log-agent:${tag}"
`;
const FLEET = 'fleet:\n  clusters:\n    - { name: prod, paths: ["agents/**"] }\n';
const nsless = (tag: string) => agent(tag).replace('  namespace: monitoring\n', '');
const F = 'monitoring/log-agent.yaml';
const V = 'charts/otel/values-prod.yaml';
const edit = { before: { [F]: agent('1.4.0') }, after: { [F]: agent('1.5.0') }, inPr: true };
const added = { before: {}, after: { [F]: agent('1.5.0') }, inPr: true };
const SHA = revertRecord(edit).original.sha.slice(0, 7);
const LOCK = `locks:\n  - id: agent\n    reason: agent 1.5 crash-loops\n    match: { kind: DaemonSet, name: log-agent }\n`;

ruleTester(unlockedRevert).run({
  valid: [
    { name: 'a lock of the base config covers the reverted object', config: LOCK, base: { [F]: agent('1.5.0') }, files: { [F]: agent('1.4.0') }, history: historyOf([edit]) },
    { name: 'a revert of a values file only (locks match objects)', base: { [V]: 'mode: daemonset\n' }, files: { [V]: 'mode: deployment\n' }, history: historyOf([{ before: { [V]: 'mode: deployment\n' }, after: { [V]: 'mode: daemonset\n' }, inPr: true }]) },
    { name: 'a revert on the base branch, not in this pull request', base: { [F]: agent('1.4.0') }, files: { [F]: agent('1.4.1') }, history: historyOf([{ ...edit, inPr: false }]) },
    {
      name: 'a lock with the namespace Kustomize gives the object covers it',
      config: LOCK.replace('match: { kind: DaemonSet, name: log-agent }', 'match: { kind: DaemonSet, namespace: agents, name: log-agent }') + FLEET,
      base: { 'agents/kustomization.yaml': 'namespace: agents\nresources: [ds.yaml]\n', 'agents/ds.yaml': nsless('1.5.0') },
      files: { 'agents/kustomization.yaml': 'namespace: agents\nresources: [ds.yaml]\n', 'agents/ds.yaml': nsless('1.4.0') },
      history: historyOf([{ before: { 'agents/ds.yaml': nsless('1.4.0') }, after: { 'agents/ds.yaml': nsless('1.5.0') }, inPr: true }]),
    },
  ],
  invalid: [
    {
      name: 'the lock entry names the namespace Kustomize gives the object',
      config: FLEET,
      base: { 'agents/kustomization.yaml': 'namespace: agents\nresources: [ds.yaml]\n', 'agents/ds.yaml': nsless('1.5.0') },
      files: { 'agents/kustomization.yaml': 'namespace: agents\nresources: [ds.yaml]\n', 'agents/ds.yaml': nsless('1.4.0') },
      history: historyOf([{ before: { 'agents/ds.yaml': nsless('1.4.0') }, after: { 'agents/ds.yaml': nsless('1.5.0') }, inPr: true }]),
      findings: [findingAt('low', revertRecord(edit).revert.sha, nsless('1.4.0'), 'name: log-agent', ['match: { kind: DaemonSet, namespace: agents, name: log-agent } }', 'DaemonSet/agents/log-agent'])],
    },
    {
      name: 'a revert of an edit, no lock: low, with the lock entry',
      base: { [F]: agent('1.5.0') },
      files: { [F]: agent('1.4.0') },
      history: historyOf([edit]),
      findings: [
        findingAt('low', revertRecord(edit).revert.sha, agent('1.4.0'), 'name: log-agent', [
          'a config change to DaemonSet/monitoring/log-agent',
          `- { id: revert-${SHA}, reason: "Reverted in `,
          'match: { kind: DaemonSet, namespace: monitoring, name: log-agent } }',
          `blast-radius-override:revert-${SHA}`,
        ]),
      ],
    },
    {
      name: 'a revert of an added object (gone on the head): on the base line',
      base: { [F]: agent('1.5.0') },
      files: { 'monitoring/README.yaml': 'a: 1\n' },
      history: historyOf([added]),
      findings: [findingAt('low', revertRecord(added).revert.sha, agent('1.5.0'), 'name: log-agent')],
    },
    {
      name: 'a lock on another object does not cover it',
      config: LOCK.replace('name: log-agent', 'name: metrics-agent'),
      base: { [F]: agent('1.5.0') },
      files: { [F]: agent('1.4.0') },
      history: historyOf([edit]),
      findings: [findingAt('low', revertRecord(edit).revert.sha, agent('1.4.0'), 'name: log-agent')],
    },
  ],
});

it('the lock entries it proposes are valid config that locks each object (one per object, ids within 28 characters)', async () => {
  const two = { before: { [F]: agent('1.4.0'), 'b.yaml': agent('1.4.0').replace(/log-agent/g, 'metrics-agent') }, after: { [F]: agent('1.5.0'), 'b.yaml': agent('1.5.0').replace(/log-agent/g, 'metrics-agent') }, inPr: true };
  const r = runCase(unlockedRevert, { name: 'x', base: two.after, files: two.before, history: historyOf([two]) });
  expect(r.live).toHaveLength(1);
  const entries = r.live[0].message.split('\n').filter((l) => l.startsWith('- {'));
  expect(entries).toHaveLength(2);
  const { parseConfig } = await import('../../../src/config.js');
  const parsed = parseConfig(`locks:\n${entries.join('\n')}\n`, []);
  expect(parsed.ok).toBe(true);
  if (parsed.ok) expect(parsed.config.locks.map((l) => [l.id, l.match.name])).toEqual([[`revert-${SHA}-1`, 'log-agent'], [`revert-${SHA}-2`, 'metrics-agent']]);
});
