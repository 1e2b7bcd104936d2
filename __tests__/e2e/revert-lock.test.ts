/**
 * The revert-lock family end to end: the bundled CLI on real git histories built in temp dirs — a commit,
 * `git revert` of it (and GitHub's squash-merge revert message), later commits, then a pull request — and
 * locks in the base commit's .blast-radius.yml, with and without the override label. Issue 7's "done when".
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { cleanupAll, createRepo, runCli, type Repo } from '../helpers/git-fixture.js';
import { BATCH, FILTERED, logAgent, telemetryConfig, WATCH_ALL } from '../rules/revert-lock/fixtures.js';

afterAll(cleanupAll);

const CONFIG = `fleet:
  clusters:
    - { name: staging, nodes: 40, stage: staging, paths: ["clusters/staging/**"] }
    - { name: prod, nodes: 2000, stage: prod, paths: ["clusters/prod/**"] }
rollout: { stages: [staging, prod] }
`;

const LOCKS = `locks:
  - id: telemetry-1211
    reason: "Incident 2024-12-11: telemetry agent overloaded the API servers"
    match: { kind: ConfigMap, namespace: monitoring, name: telemetry-agent-config }
`;

const agentConfig = telemetryConfig;
const LOG_AGENT = (tag: string) => logAgent(tag);

const CM = 'clusters/prod/telemetry-config.yaml';
const DS = 'clusters/prod/log-agent.yaml';

function check(repo: Repo, extra: string[] = []) {
  const r = runCli(['check', '--repo', repo.dir, '--base', 'main', '--head', 'pr', '--format', 'json', ...extra]);
  if (r.code > 1) throw new Error(r.stderr);
  return { code: r.code, report: JSON.parse(r.stdout) };
}

const rule = (report: any, id: string) => report.findings.filter((f: any) => f.ruleId === `revert-lock/${id}`);

/** main: base → the original change → its `git revert` → an unrelated later commit; returns the shas. */
function reverted(config = CONFIG): { repo: Repo; original: string; revert: string } {
  const repo = createRepo({ '.blast-radius.yml': config, [CM]: agentConfig(BATCH), [DS]: LOG_AGENT('1.4.0') });
  const original = repo.commit({ [CM]: agentConfig(WATCH_ALL), [DS]: LOG_AGENT('1.5.0') }, 'Enrich telemetry with pod metadata');
  const revert = repo.revert(original);
  repo.commit({ 'README.md': '# infra\n' }, 'Docs');
  return { repo, original, revert };
}

describe('revert-lock/reapplied-revert on a git history', () => {
  it('re-applying the reverted values is flagged, naming the revert and the original with dates (critical: a recent revert)', () => {
    const { repo, original, revert } = reverted();
    repo.branch('pr');
    repo.commit({ [CM]: agentConfig(WATCH_ALL) }, 'Try the enrichment again');
    const { code, report } = check(repo);
    repo.cleanup();
    const [f, ...rest] = rule(report, 'reapplied-revert');
    expect(rest).toEqual([]);
    expect(f).toMatchObject({ severity: 'critical', file: CM, resource: 'ConfigMap/monitoring/telemetry-agent-config', clusters: ['prod'], suppressed: false });
    expect(f.message).toContain(revert.slice(0, 7));
    expect(f.message).toContain(original.slice(0, 7));
    expect(f.message).toContain('"Enrich telemetry with pod metadata", 2024-01-01');
    expect(f.message).toContain('"Revert \\"Enrich telemetry with pod metadata\\""');
    expect(f.message).toContain('data.relay | processors.k8sattributes');
    // The line of the re-added processor inside the ConfigMap's block.
    expect(f.line).toBe(12);
    expect(code).toBe(1);
  });

  it('a new, different value at the same place is not a re-apply', () => {
    const { repo } = reverted();
    repo.branch('pr');
    repo.commit({ [CM]: agentConfig(FILTERED), [DS]: LOG_AGENT('1.6.0') }, 'Enrich telemetry, node-scoped');
    const { report } = check(repo);
    repo.cleanup();
    expect(rule(report, 'reapplied-revert')).toEqual([]);
  });

  it('re-applying one reverted value while reworking another is still a re-apply, and the message says what was reworked', () => {
    const { repo } = reverted();
    repo.branch('pr');
    repo.commit({ [CM]: agentConfig(FILTERED), [DS]: LOG_AGENT('1.5.0') }, 'Enrich telemetry, node-scoped, with the 1.5 agent');
    const { report } = check(repo);
    repo.cleanup();
    const [f, ...rest] = rule(report, 'reapplied-revert');
    expect(rest).toEqual([]);
    expect(f).toMatchObject({ severity: 'critical', file: DS, resource: 'DaemonSet/monitoring/log-agent' });
    expect(f.message).toContain('spec.template.spec.containers[name=agent].image = "registry.example.com/log-agent:1.5.0"');
    expect(f.message).toContain('reworked');
  });

  it('a revert older than 30 days is high; one whose message names an incident stays critical', () => {
    const old = reverted();
    old.repo.advance(45 * 86_400);
    old.repo.branch('pr');
    old.repo.commit({ [DS]: LOG_AGENT('1.5.0') }, 'Agent 1.5.0');
    const high = rule(check(old.repo).report, 'reapplied-revert');
    old.repo.cleanup();
    expect(high.map((f: any) => f.severity)).toEqual(['high']);
    expect(high[0].message).toContain('45 days before');

    const repo = createRepo({ '.blast-radius.yml': CONFIG, [DS]: LOG_AGENT('1.4.0') });
    const original = repo.commit({ [DS]: LOG_AGENT('1.5.0') }, 'Agent 1.5.0');
    repo.commit({ [DS]: LOG_AGENT('1.4.0') }, `Revert "Agent 1.5.0"\n\nThis reverts commit ${original}.\nIncident INC-2291: agents crash-looped.`);
    repo.advance(90 * 86_400);
    repo.branch('pr');
    repo.commit({ [DS]: LOG_AGENT('1.5.0') }, 'Agent 1.5.0 again');
    const critical = rule(check(repo).report, 'reapplied-revert');
    repo.cleanup();
    expect(critical.map((f: any) => f.severity)).toEqual(['critical']);
    expect(critical[0].message).toContain('names an incident ("Incident")');
  });

  it('GitHub\'s revert of a squash-merged pull request ("Revert "<subject>" (#N)", body "Reverts owner/repo#M") is found through the (#M) subject', () => {
    const repo = createRepo({ '.blast-radius.yml': CONFIG, [CM]: agentConfig(BATCH) });
    repo.commit({ [CM]: agentConfig(WATCH_ALL) }, 'Enrich telemetry with pod metadata (#12)');
    repo.commit({ 'README.md': 'x\n' }, 'Docs (#13)');
    const revert = repo.commit({ [CM]: agentConfig(BATCH) }, 'Revert "Enrich telemetry with pod metadata (#12)" (#14)\n\nReverts acme/infra#12\n\n* telemetry broke the API servers');
    repo.branch('pr');
    repo.commit({ [CM]: agentConfig(WATCH_ALL) }, 'Enrichment again');
    const [f, ...rest] = rule(check(repo).report, 'reapplied-revert');
    repo.cleanup();
    expect(rest).toEqual([]);
    expect(f.message).toContain(revert.slice(0, 7));
    expect(f.message).toContain('"Enrich telemetry with pod metadata (#12)"');
  });

  it('re-applying on purpose (`git revert <revert>` in the pull request) is still a re-apply; only the override label lifts it', () => {
    const { repo, revert, original } = reverted();
    repo.branch('pr');
    const reapply = repo.revert(revert);
    const [f, ...rest] = rule(check(repo).report, 'reapplied-revert').filter((x: any) => x.file === CM);
    const labelled = check(repo, ['--labels', `blast-radius-override:revert-${original.slice(0, 7)}`]);
    repo.cleanup();
    expect(rest).toEqual([]);
    expect(f.severity).toBe('critical');
    expect(f.message).toContain(`re-applies it deliberately in ${reapply.slice(0, 7)}`);
    expect(f.remediation).toContain(`blast-radius-override:revert-${original.slice(0, 7)}`);
    expect(rule(labelled.report, 'reapplied-revert').every((x: any) => x.suppressed)).toBe(true);
    expect(labelled.code).toBe(0);
  });

  it('a pull request that leaves the reverted place alone is quiet', () => {
    const { repo } = reverted();
    repo.branch('pr');
    repo.commit({ 'clusters/prod/other.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata: { name: other, namespace: monitoring }\ndata: { a: "1" }\n' }, 'Another config');
    const { report } = check(repo);
    repo.cleanup();
    expect(report.findings.filter((f: any) => f.family === 'revert-lock')).toEqual([]);
  });
});

describe('revert-lock/unlocked-revert', () => {
  function revertPr(config: string, prConfig?: string) {
    const repo = createRepo({ '.blast-radius.yml': config, [CM]: agentConfig(BATCH) });
    const original = repo.commit({ [CM]: agentConfig(WATCH_ALL) }, 'Enrich telemetry with pod metadata');
    repo.branch('pr');
    repo.revert(original);
    if (prConfig) repo.commit({ '.blast-radius.yml': prConfig }, 'Lock the telemetry config');
    const out = check(repo);
    repo.cleanup();
    return { ...out, original };
  }

  it('a revert pull request with no lock gets a low finding with a ready-to-paste lock entry', () => {
    const { report, code, original } = revertPr(CONFIG);
    const [f, ...rest] = rule(report, 'unlocked-revert');
    expect(rest).toEqual([]);
    expect(f).toMatchObject({ severity: 'low', file: CM, resource: 'ConfigMap/monitoring/telemetry-agent-config' });
    const entry = `- { id: revert-${original.slice(0, 7)}, reason: "Reverted in `;
    expect(f.message).toContain(entry);
    expect(f.message).toContain('match: { kind: ConfigMap, namespace: monitoring, name: telemetry-agent-config } }');
    expect(code).toBe(0);
    // The entry, pasted under `locks:`, is a valid config that locks the object.
    const snippet = f.message.split('\n').filter((l: string) => l.startsWith('- {'));
    expect(snippet).toHaveLength(1);
    const locked = check(
      (() => {
        const repo = createRepo({ '.blast-radius.yml': `${CONFIG}locks:\n${snippet.join('\n')}\n`, [CM]: agentConfig(BATCH) });
        repo.branch('pr');
        repo.commit({ [CM]: agentConfig(WATCH_ALL) }, 'edit');
        return repo;
      })(),
    );
    expect(rule(locked.report, 'locked-object').map((x: any) => x.severity)).toEqual(['critical']);
  });

  it('the text report keeps the lock entry on one line, ready to paste', () => {
    const repo = createRepo({ '.blast-radius.yml': CONFIG, [CM]: agentConfig(BATCH) });
    const original = repo.commit({ [CM]: agentConfig(WATCH_ALL) }, 'Enrich telemetry with pod metadata');
    repo.branch('pr');
    repo.revert(original);
    const r = runCli(['check', '--repo', repo.dir, '--base', 'main', '--head', 'pr']);
    repo.cleanup();
    const entry = r.stdout.split('\n').find((l) => l.trimStart().startsWith('- { id: revert-'));
    expect(entry?.trim()).toMatch(/^- \{ id: revert-[0-9a-f]{7}, reason: ".*", match: \{ kind: ConfigMap, namespace: monitoring, name: telemetry-agent-config \} \}$/);
  });

  it('quiet when the base config already locks the object, or the pull request adds the lock with the revert', () => {
    expect(rule(revertPr(CONFIG + LOCKS).report, 'unlocked-revert')).toEqual([]);
    expect(rule(revertPr(CONFIG, CONFIG + LOCKS).report, 'unlocked-revert')).toEqual([]);
  });
});

describe('revert-lock/locked-object', () => {
  function lockedRepo(pr: Record<string, string | null>) {
    const repo = createRepo({ '.blast-radius.yml': CONFIG + LOCKS, [CM]: agentConfig(BATCH), [DS]: LOG_AGENT('1.4.0') });
    repo.branch('pr');
    repo.commit(pr, 'pr');
    return repo;
  }

  it('an edit of a locked object exits 1 without the label and 0 with it, the finding kept as suppressed', () => {
    const repo = lockedRepo({ [CM]: agentConfig(FILTERED) });
    const without = check(repo);
    const labelled = check(repo, ['--labels', 'needs-review,blast-radius-override:telemetry-1211']);
    const other = check(repo, ['--labels', 'blast-radius-override:other-lock']);
    repo.cleanup();
    const [f] = rule(without.report, 'locked-object');
    expect(f).toMatchObject({ severity: 'critical', file: CM, line: 12, resource: 'ConfigMap/monitoring/telemetry-agent-config', suppressed: false });
    expect(f.message).toContain('Incident 2024-12-11: telemetry agent overloaded the API servers');
    expect(f.message).toContain('blast-radius-override:telemetry-1211');
    expect(without.code).toBe(1);
    expect(without.report.level).toBe('critical');

    const [s] = rule(labelled.report, 'locked-object');
    expect(s).toMatchObject({ suppressed: true, severity: 'critical' });
    expect(s.suppressedBy).toContain('label blast-radius-override:telemetry-1211');
    expect(s.suppressedBy).toContain('Incident 2024-12-11');
    expect(labelled.code).toBe(0);
    expect(other.code).toBe(1);
  });

  it('deleting the lock in the same pull request does not help: the base config is in force, and the report says so', () => {
    const repo = lockedRepo({ '.blast-radius.yml': CONFIG, [CM]: agentConfig(WATCH_ALL) });
    const { code, report } = check(repo);
    repo.cleanup();
    const [f] = rule(report, 'locked-object');
    expect(f.severity).toBe('critical');
    expect(f.message).toContain('takes effect only after it merges');
    expect(report.notes.join('\n')).toContain('takes effect once merged');
    expect(code).toBe(1);
  });

  it('the acceptLabel and the ignore annotation do not lift a lock', () => {
    const repo = createRepo({ '.blast-radius.yml': `${CONFIG}acceptLabel: blast-radius-accept\n${LOCKS}`, [CM]: agentConfig(BATCH) });
    repo.branch('pr');
    repo.commit({ [CM]: agentConfig(FILTERED).replace('  namespace: monitoring\n', '  namespace: monitoring\n  annotations:\n    blast-radius.dev/ignore: "revert-lock -- trust me"\n') }, 'pr');
    const { code, report } = check(repo, ['--labels', 'blast-radius-accept']);
    repo.cleanup();
    expect(rule(report, 'locked-object').map((f: any) => f.suppressed)).toEqual([false]);
    expect(code).toBe(1);
  });

  it('a change to an object the lock does not name is quiet', () => {
    const repo = lockedRepo({ [DS]: LOG_AGENT('1.4.1') });
    const { report } = check(repo);
    repo.cleanup();
    expect(rule(report, 'locked-object')).toEqual([]);
  });
});

describe('reverts that no longer hold, or never applied', () => {
  const all = (report: any) => report.findings.filter((f: any) => f.family === 'revert-lock');

  it('a revert the base branch reverted again (git revert of the revert): the value came back on main, so putting it back later is quiet', () => {
    const { repo, revert } = reverted();
    repo.revert(revert);
    repo.commit({ [DS]: LOG_AGENT('1.5.1') }, 'Agent 1.5.1');
    repo.branch('pr');
    repo.commit({ [DS]: LOG_AGENT('1.5.0') }, 'Back to 1.5.0');
    const { report } = check(repo);
    repo.cleanup();
    expect(all(report)).toEqual([]);
  });

  it('the same through GitHub squash merges: Revert "Revert "X (#12)" (#14)" (#15) with body Reverts owner/repo#14', () => {
    const repo = createRepo({ '.blast-radius.yml': CONFIG, [DS]: LOG_AGENT('1.4.0') });
    repo.commit({ [DS]: LOG_AGENT('1.5.0') }, 'Agent 1.5.0 (#12)');
    repo.commit({ [DS]: LOG_AGENT('1.4.0') }, 'Revert "Agent 1.5.0 (#12)" (#14)\n\nReverts acme/infra#12');
    repo.commit({ [DS]: LOG_AGENT('1.5.0') }, 'Revert "Revert "Agent 1.5.0 (#12)"" (#15)\n\nReverts acme/infra#14');
    repo.commit({ [DS]: LOG_AGENT('1.5.1') }, 'Agent 1.5.1 (#16)');
    repo.branch('pr');
    repo.commit({ [DS]: LOG_AGENT('1.5.0') }, 'Back to 1.5.0');
    const { report } = check(repo);
    repo.cleanup();
    expect(all(report)).toEqual([]);
    expect(report.notes.filter((n: string) => n.startsWith('revert-lock'))).toEqual([]);
  });

  it('rolling back to a version the base branch itself put back after the revert: no re-apply finding', () => {
    const repo = createRepo({ '.blast-radius.yml': CONFIG, [DS]: LOG_AGENT('1.4.0') });
    const original = repo.commit({ [DS]: LOG_AGENT('1.5.0') }, 'Agent 1.5.0 (#12)');
    repo.revert(original);
    repo.commit({ [DS]: LOG_AGENT('1.5.0') }, 'Agent 1.5.0 with the memory fix (#15)');
    const v3 = repo.commit({ [DS]: LOG_AGENT('1.6.0') }, 'Agent 1.6.0 (#18)');
    repo.branch('pr');
    repo.revert(v3);
    const { report } = check(repo);
    repo.cleanup();
    expect(rule(report, 'reapplied-revert')).toEqual([]);
  });

  it('a change reverted, re-applied and reverted again (git revert three times) is a revert that holds', () => {
    const repo = createRepo({ '.blast-radius.yml': CONFIG, [DS]: LOG_AGENT('1.4.0') });
    const original = repo.commit({ [DS]: LOG_AGENT('1.5.0') }, 'Agent 1.5.0');
    const r1 = repo.revert(original);
    const r2 = repo.revert(r1);
    const r3 = repo.revert(r2);
    repo.branch('pr');
    repo.commit({ [DS]: LOG_AGENT('1.5.0') }, 'Agent 1.5.0, third try');
    const { report } = check(repo);
    repo.cleanup();
    const found = rule(report, 'reapplied-revert');
    expect(found.map((f: any) => f.severity)).toEqual(['critical']);
    expect(found[0].message).toContain(r3.slice(0, 7));
    expect(found[0].message).toContain(original.slice(0, 7));
  });

  it('the same chain through GitHub squash merges', () => {
    const repo = createRepo({ '.blast-radius.yml': CONFIG, [DS]: LOG_AGENT('1.4.0') });
    repo.commit({ [DS]: LOG_AGENT('1.5.0') }, 'Agent 1.5.0 (#12)');
    repo.commit({ [DS]: LOG_AGENT('1.4.0') }, 'Revert "Agent 1.5.0 (#12)" (#14)\n\nReverts acme/infra#12');
    repo.commit({ [DS]: LOG_AGENT('1.5.0') }, 'Revert "Revert "Agent 1.5.0 (#12)"" (#15)\n\nReverts acme/infra#14');
    const r3 = repo.commit({ [DS]: LOG_AGENT('1.4.0') }, 'Revert "Revert "Revert "Agent 1.5.0 (#12)""" (#16)\n\nReverts acme/infra#15\n\nSEV2 INC-4411');
    repo.branch('pr');
    repo.commit({ [DS]: LOG_AGENT('1.5.0') }, 'Agent 1.5.0 again');
    const { report } = check(repo);
    repo.cleanup();
    const found = rule(report, 'reapplied-revert');
    expect(found.map((f: any) => f.severity)).toEqual(['critical']);
    expect(found[0].message).toContain(r3.slice(0, 7));
  });

  it('a reverted value put back through an overlay patch (a file of another name) is found', () => {
    const k = (r: string, extra = '') => `apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n  - ${r}\n${extra}`;
    const files = { '.blast-radius.yml': CONFIG, 'base/kustomization.yaml': k('agent.yaml'), 'base/agent.yaml': LOG_AGENT('1.4.0'), 'clusters/prod/kustomization.yaml': k('../../base') };
    const repo = createRepo(files);
    const original = repo.commit({ 'base/agent.yaml': LOG_AGENT('1.5.0') }, 'Agent 1.5.0');
    repo.revert(original);
    repo.branch('pr');
    const patch = 'apiVersion: apps/v1\nkind: DaemonSet\nmetadata:\n  name: log-agent\n  namespace: monitoring\nspec:\n  template:\n    spec:\n      containers:\n        - name: agent\n          image: "registry.example.com/log-agent:1.5.0"\n';
    repo.commit({ 'clusters/prod/agent-patch.yaml': patch, 'clusters/prod/kustomization.yaml': k('../../base', 'patches:\n  - path: agent-patch.yaml\n') }, 'Agent 1.5.0 in prod only');
    const { report } = check(repo);
    repo.cleanup();
    const found = rule(report, 'reapplied-revert');
    expect(found.map((f: any) => [f.file, f.severity])).toEqual([['clusters/prod/agent-patch.yaml', 'critical']]);
  });

  it('a config read by a configMapGenerator (YAML and INI inputs) re-applied is found on the input line', () => {
    const k = 'apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nnamespace: monitoring\nconfigMapGenerator:\n  - name: telemetry-agent-config\n    files: [relay.yaml, fluent.conf]\n';
    const relay = (p: string) => `processors:\n  batch: {}\n${p}`;
    const fluent = (extra: string) => `[INPUT]\n    Name tail\n${extra}`;
    const repo = createRepo({ '.blast-radius.yml': CONFIG, 'clusters/prod/kustomization.yaml': k, 'clusters/prod/relay.yaml': relay(''), 'clusters/prod/fluent.conf': fluent('') });
    const original = repo.commit({ 'clusters/prod/relay.yaml': relay('  k8sattributes: {}\n'), 'clusters/prod/fluent.conf': fluent('[INPUT]\n    Name kubernetes_events\n') }, 'Enrich');
    repo.revert(original);
    repo.branch('pr');
    repo.commit({ 'clusters/prod/relay.yaml': relay('  k8sattributes: {}\n'), 'clusters/prod/fluent.conf': fluent('[INPUT]\n    Name kubernetes_events\n') }, 'Enrich again');
    const { report } = check(repo);
    repo.cleanup();
    const found = rule(report, 'reapplied-revert').map((f: any) => [f.file, f.line, f.clusters]);
    expect(found).toEqual([
      ['clusters/prod/fluent.conf', 4, ['prod']],
      ['clusters/prod/relay.yaml', 3, ['prod']],
    ]);
  });

  it('a change tried and reverted on a feature branch merged with --no-ff never reached main: quiet', () => {
    const repo = createRepo({ '.blast-radius.yml': CONFIG, [DS]: LOG_AGENT('1.4.0') });
    repo.branch('feature');
    const tried = repo.commit({ [DS]: LOG_AGENT('1.5.0') }, 'Try agent 1.5.0');
    repo.revert(tried);
    repo.commit({ 'README.md': 'x\n' }, 'Docs');
    repo.checkout('main');
    repo.git('merge', '--no-ff', '--quiet', '-m', 'Merge feature', 'feature');
    repo.branch('pr');
    repo.commit({ [DS]: LOG_AGENT('1.5.0') }, 'Agent 1.5.0');
    const { report } = check(repo);
    repo.cleanup();
    expect(all(report)).toEqual([]);
  });

  it('a revert merged from a branch (merge workflow) of a change main had: still found', () => {
    const repo = createRepo({ '.blast-radius.yml': CONFIG, [DS]: LOG_AGENT('1.4.0') });
    const original = repo.commit({ [DS]: LOG_AGENT('1.5.0') }, 'Agent 1.5.0');
    repo.branch('revert-branch');
    repo.revert(original);
    repo.checkout('main');
    repo.git('merge', '--no-ff', '--quiet', '-m', 'Merge revert-branch', 'revert-branch');
    repo.branch('pr');
    repo.commit({ [DS]: LOG_AGENT('1.5.0') }, 'Agent 1.5.0 again');
    const { report } = check(repo);
    repo.cleanup();
    expect(rule(report, 'reapplied-revert').map((f: any) => f.file)).toEqual([DS]);
  });

  it("a pull request that tries a change and reverts it itself gets no lock proposal", () => {
    const repo = createRepo({ '.blast-radius.yml': CONFIG, [DS]: LOG_AGENT('1.4.0') });
    repo.branch('pr');
    const tried = repo.commit({ [DS]: LOG_AGENT('1.5.0') }, 'Try 1.5.0');
    repo.revert(tried);
    repo.commit({ 'README.md': 'x\n' }, 'Docs');
    const { report } = check(repo);
    repo.cleanup();
    expect(all(report)).toEqual([]);
  });

  it('a squash body quoting a branch commit that main never had: no note in a full clone', () => {
    const repo = createRepo({ '.blast-radius.yml': CONFIG, [DS]: LOG_AGENT('1.4.0') });
    repo.commit({ [DS]: LOG_AGENT('1.4.1') }, 'Agent 1.4.1 (#20)\n\n* Try 1.5\n* Revert "Try 1.5"\n\nThis reverts commit 05b94f841aee0000000000000000000000000000.');
    repo.branch('pr');
    repo.commit({ [DS]: LOG_AGENT('1.4.2') }, 'Agent 1.4.2');
    const { report } = check(repo);
    repo.cleanup();
    expect(report.notes.filter((n: string) => n.startsWith('revert-lock'))).toEqual([]);
  });

  it('deleting .blast-radius.yml with its lock and editing the object: still blocked, and the report says so', () => {
    const repo = createRepo({ '.blast-radius.yml': CONFIG + LOCKS, [CM]: agentConfig(BATCH) });
    repo.branch('pr');
    repo.commit({ '.blast-radius.yml': null, [CM]: agentConfig(FILTERED) }, 'pr');
    const { code, report } = check(repo);
    repo.cleanup();
    const [f] = rule(report, 'locked-object');
    expect(f.message).toContain('takes effect only after it merges');
    expect(report.notes).toContain('this change deletes .blast-radius.yml; the defaults take effect once merged');
    expect(code).toBe(1);
  });

  it('reordering the keys of a lock in the pull request is not removing it', () => {
    const repo = createRepo({ '.blast-radius.yml': CONFIG + LOCKS, [CM]: agentConfig(BATCH) });
    repo.branch('pr');
    repo.commit({ '.blast-radius.yml': CONFIG + LOCKS.replace('{ kind: ConfigMap, namespace: monitoring, name: telemetry-agent-config }', '{ name: telemetry-agent-config, kind: ConfigMap, namespace: monitoring }'), [CM]: agentConfig(FILTERED) }, 'pr');
    const { report } = check(repo);
    repo.cleanup();
    const [f] = rule(report, 'locked-object');
    expect(f.severity).toBe('critical');
    expect(f.message).not.toContain('removes or changes that lock');
  });
});

describe('history limits', () => {
  it('a shallow clone yields a note saying revert detection was limited and how to fix it', () => {
    const { repo } = reverted();
    repo.branch('pr');
    repo.commit({ [CM]: agentConfig(WATCH_ALL) }, 'again');
    const dir = mkdtempSync(join(tmpdir(), 'blast-radius-shallow-'));
    try {
      const env = { ...process.env, GIT_CONFIG_NOSYSTEM: '1', GIT_CONFIG_GLOBAL: '/dev/null' };
      execFileSync('git', ['clone', '--quiet', '--depth', '2', '--no-single-branch', `file://${repo.dir}`, join(dir, 'c')], { env, stdio: 'pipe' });
      const r = runCli(['check', '--repo', join(dir, 'c'), '--base', 'origin/main', '--head', 'origin/pr', '--format', 'json']);
      if (r.code > 1) throw new Error(r.stderr);
      const notes: string[] = JSON.parse(r.stdout).notes;
      expect(notes.some((n) => n.includes('shallow') && n.includes('fetch-depth: 0'))).toBe(true);
    } finally {
      rmSync(dir, { recursive: true, force: true });
      repo.cleanup();
    }
  });

  it('history.maxCommits bounds the scan: a revert beyond it is not looked at', () => {
    const { repo } = reverted(`${CONFIG}history: { maxCommits: 1 }\n`);
    repo.branch('pr');
    repo.commit({ [CM]: agentConfig(WATCH_ALL) }, 'again');
    const { report } = check(repo);
    repo.cleanup();
    expect(rule(report, 'reapplied-revert')).toEqual([]);
  });
});
