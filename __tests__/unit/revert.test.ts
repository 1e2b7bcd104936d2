/**
 * src/revert.ts (sites of a change, values at a site, locations) and src/history.ts's message parsing,
 * plus the real-world check of revert-lock/reapplied-revert on the corpus: for every corpus manifest with a
 * container image, a reverted image bump put back is found on the image's line, and an annotation-only
 * edit of the same file (benign) stays quiet.
 */
import { readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { reappliedRevert } from '../../rules/revert-lock/reapplied-revert.js';
import { namesIn, revertTarget } from '../../src/history.js';
import { ABSENT, canonical, commitSites, diffSites, locateSite, PRESENT, pathText, targetsOf, valueAt } from '../../src/revert.js';
import { parseYamlFile } from '../../src/yaml/parse.js';
import { annotate, CORPUS_DIR, HAS_CORPUS, readCorpus } from '../helpers/corpus.js';
import { runCase } from '../helpers/rule-tester.js';
import { historyOf } from '../rules/revert-lock/fixtures.js';

function sites(before: unknown, after: unknown): Array<[string, string]> {
  const out: Array<[string, string]> = [];
  diffSites(before, after, [], (p, v) => out.push([pathText(p), v]));
  return out;
}

describe('diffSites', () => {
  it('a changed scalar is a site with its new value; an added key is one site holding the subtree; a removed key is ABSENT', () => {
    expect(sites({ a: 1, b: { c: 2 } }, { a: 2, b: { c: 2, d: { e: [1] } } })).toEqual([
      ['a', '2'],
      ['b.d', '{"e":[1]}'],
    ]);
    expect(sites({ a: 1, gone: true }, { a: 1 })).toEqual([['gone', ABSENT]]);
  });

  it('list items by name (containers, env) and by value (args) — a list is a set', () => {
    const before = { containers: [{ name: 'a', image: 'x:1' }, { name: 'b', image: 'y:1' }], args: ['--v=1', '--node=$(NODE)'] };
    const after = { containers: [{ name: 'b', image: 'y:1' }, { name: 'a', image: 'x:2' }], args: ['--node=$(NODE)', '--v=2'] };
    expect(sites(before, after)).toEqual([
      ['containers[name=a].image', '"x:2"'],
      ['args["--v=2"]', '"--v=2"'],
      ['args["--v=1"]', ABSENT],
    ]);
  });

  it('items that cannot be told apart make the list one value', () => {
    expect(sites({ l: [1, 1] }, { l: [1, 1, 2] })).toEqual([['l', '[1,1,2]']]);
  });

  it('YAML held in a string is compared inside; comments and key order do not count', () => {
    const before = { data: { relay: 'processors:\n  batch: {}\n' } };
    const after = { data: { relay: '# enriched\nprocessors:\n  batch: {}\n  k8sattributes:\n    auth_type: serviceAccount\n' } };
    expect(sites(before, after)).toEqual([['data.relay | processors.k8sattributes', '{"auth_type":"serviceAccount"}']]);
    expect(sites(after, { data: { relay: 'processors:\n  k8sattributes: {auth_type: serviceAccount}\n  batch: {}\n' } })).toEqual([]);
  });

  it('other multi-line text line by line, ignoring blank lines, comments, indentation and order', () => {
    const before = { conf: '[INPUT]\n    Name tail\n' };
    const after = { conf: '[INPUT]\n  Name tail\n\n# events too\n[INPUT]\n    Name kubernetes_events\n' };
    expect(sites(before, after)).toEqual([['conf line "Name kubernetes_events" (in [INPUT])', PRESENT]]);
  });

  it('a line is known with its section: the same line under another section is another line', () => {
    const before = { ini: '[kubelet_scrape]\nenabled = true\ninterval = 10s\n' };
    const after = { ini: '[kubelet_scrape]\nenabled = true\ninterval = 10s\n[log_shipping]\nenabled = true\ntarget = loki\n}\n' };
    expect(sites(before, after)).toEqual([
      ['ini line "enabled = true" (in [log_shipping])', PRESENT],
      ['ini line "target = loki" (in [log_shipping])', PRESENT],
    ]);
  });
});

describe('valueAt and locateSite', () => {
  const doc = {
    spec: { containers: [{ name: 'sidecar' }, { name: 'agent', image: 'x:2' }] },
    data: { relay: 'receivers:\n  otlp: {}\nprocessors:\n  k8sattributes:\n    auth_type: serviceAccount\n', conf: '[INPUT]\n    Name tail\n[INPUT]\n    Name kubernetes_events\n' },
  };
  it('reads a value through keyed items, embedded YAML and lines; ABSENT where nothing is', () => {
    expect(valueAt(doc, ['.spec', '.containers', '[name=agent]', '.image'])).toBe('"x:2"');
    expect(valueAt(doc, ['.spec', '.containers', '[name=nope]', '.image'])).toBe(ABSENT);
    expect(valueAt(doc, ['.data', '.relay', '|', '.processors', '.k8sattributes', '.auth_type'])).toBe('"serviceAccount"');
    expect(valueAt(doc, ['.data', '.conf', '~[INPUT]\u0001Name kubernetes_events'])).toBe(PRESENT);
    expect(valueAt(doc, ['.data', '.conf', '~[OUTPUT]\u0001Name kubernetes_events'])).toBe(ABSENT);
    expect(valueAt(doc, ['.data', '.conf', '~[INPUT]\u0001Name systemd'])).toBe(ABSENT);
    expect(valueAt(undefined, ['.a'])).toBe(ABSENT);
  });
  it('locates the YAML path in the document and the line inside an embedded config', () => {
    expect(locateSite(doc, ['.spec', '.containers', '[name=agent]', '.image'])).toEqual({ path: ['spec', 'containers', 1, 'image'] });
    expect(locateSite(doc, ['.data', '.relay', '|', '.processors', '.k8sattributes'])).toEqual({ path: ['data', 'relay'], innerLine: 3 });
    expect(locateSite(doc, ['.data', '.conf', '~[INPUT]\u0001Name kubernetes_events'])).toEqual({ path: ['data', 'conf'], innerLine: 3 });
  });
  it('canonical values ignore key order', () => {
    expect(canonical({ b: 1, a: [{ d: 1, c: 2 }] })).toBe(canonical({ a: [{ c: 2, d: 1 }], b: 1 }));
  });
});

describe('commitSites', () => {
  const t = (file: string, text: string) => targetsOf(file, parseYamlFile(file, file, text).docs);
  const cm = (v: string) => `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\n  namespace: n\ndata:\n  k: "${v}"\n`;
  it('an added object: one site per top-level field, not its identity', () => {
    expect(commitSites([], t('a.yaml', cm('1'))).map((s) => [s.target, s.path.join('')])).toEqual([['ConfigMap/n/c', '.data']]);
  });
  it('a deleted object: one ABSENT site at its root', () => {
    expect(commitSites(t('a.yaml', cm('1')), []).map((s) => [s.target, s.path, s.value])).toEqual([['ConfigMap/n/c', [], ABSENT]]);
  });
  it('an object moved to another file is paired by id: only its edit is a site', () => {
    expect(commitSites(t('a.yaml', cm('1')), t('b.yaml', cm('2'))).map((s) => [s.file, pathText(s.path), s.value])).toEqual([['b.yaml', 'data.k', '"2"']]);
  });
  it('copies of one object in two files stay two targets', () => {
    const s = commitSites([...t('a/x.yaml', cm('1')), ...t('b/x.yaml', cm('1'))], [...t('a/x.yaml', cm('2')), ...t('b/x.yaml', cm('1'))]);
    expect(s.map((x) => x.file)).toEqual(['a/x.yaml']);
  });
  it('a values file is a document known by its file', () => {
    expect(commitSites(t('v.yaml', 'mode: deployment\n'), t('v.yaml', 'mode: daemonset\n')).map((s) => [s.target, s.ref, pathText(s.path)])).toEqual([['v.yaml#0', null, 'mode']]);
  });
});

describe('namesIn (which reverts a pull request can touch, without parsing)', () => {
  it('reads names under metadata: and target:, block and flow style, and no container or env names', () => {
    const text = `apiVersion: apps/v1\nkind: DaemonSet\nmetadata:\n  labels:\n    app: x\n  name: log-agent\nspec:\n  template:\n    spec:\n      containers:\n        - name: agent\n          env:\n            - name: NODE\n---\nkind: ConfigMap\nmetadata: { namespace: m, name: "relay-config" }\n---\npatches:\n  - path: p.yaml\n    target:\n      kind: Deployment\n      name: web\n`;
    expect([...namesIn(text)].sort()).toEqual(['log-agent', 'relay-config', 'web']);
  });
});

describe('revertTarget (the messages reverts are written with)', () => {
  it('git revert: the sha in the body', () => {
    expect(revertTarget({ subject: 'Revert "Add agent"', body: 'This reverts commit 0123456789abcdef0123456789abcdef01234567.' })).toEqual({ sha: '0123456789abcdef0123456789abcdef01234567' });
    expect(revertTarget({ subject: 'Reapply "Add agent"', body: 'This reverts commit abc1234.' })).toEqual({ sha: 'abc1234' });
  });
  it("GitHub's revert of a squash-merged pull request: the pull request number", () => {
    expect(revertTarget({ subject: 'Revert "Add agent (#12)" (#14)', body: 'Reverts acme/infra#12\n\n* broke prod' })).toEqual({ pr: 12 });
  });
  it('a hand-written revert subject only: the quoted subject', () => {
    expect(revertTarget({ subject: 'Revert "Add agent"', body: '' })).toEqual({ subject: 'Add agent' });
  });
  it('anything else is not a revert', () => {
    expect(revertTarget({ subject: 'Reverting the canary weights', body: 'we revert this every week' })).toBeUndefined();
  });
});

/** Corpus files (relative paths) holding at least one container image line. */
function corpusWithImages(): string[] {
  const out: string[] = [];
  const walk = (dir: string) => {
    for (const name of readdirSync(dir)) {
      const p = join(dir, name);
      if (statSync(p).isDirectory()) walk(p);
      else if (/\.ya?ml$/.test(name)) out.push(relative(CORPUS_DIR, p));
    }
  };
  walk(CORPUS_DIR);
  return out.sort().filter((f) => /^ {8,}image: ["']?[\w.-]+\/[\w./-]+:[\w.-]+["']?\s*$/m.test(readCorpus(f)));
}

describe.runIf(HAS_CORPUS)('revert-lock/reapplied-revert on the corpus', () => {
  it('a reverted image bump put back is found on its line; an annotation-only edit stays quiet', () => {
    const files = corpusWithImages();
    expect(files.length).toBeGreaterThan(100);
    const problems: string[] = [];
    let found = 0;
    let benignEdits = 0;
    for (const file of files) {
      const text = readCorpus(file);
      const parsed = parseYamlFile(file, file, text);
      if (parsed.error || parsed.objects.length === 0) continue;
      const lines = text.split('\n');
      const i = lines.findIndex((l) => /^ {8,}image: ["']?[\w.-]+\/[\w./-]+:[\w.-]+["']?\s*$/.test(l));
      const bumped = [...lines.slice(0, i), lines[i].replace(/:([\w.-]+)(["']?\s*)$/, ':$1-reverted$2'), ...lines.slice(i + 1)].join('\n');
      if (parseYamlFile(file, file, bumped).error) continue;
      const history = historyOf([{ before: { [file]: text }, after: { [file]: bumped } }]);
      if (history.reverts[0].sites.length !== 1) {
        problems.push(`${file}: the image bump gave ${history.reverts[0].sites.length} sites`);
        continue;
      }
      const annotated = ['Deployment', 'DaemonSet', 'StatefulSet', 'Job', 'CronJob', 'Pod', 'ReplicaSet'].reduce((t, kind) => annotate(t, kind), text);
      if (annotated !== text) {
        benignEdits++;
        const benign = runCase(reappliedRevert, { name: file, base: { [file]: text }, files: { [file]: annotated }, history });
        if (benign.live.length) problems.push(`${file}: annotation-only edit flagged: ${benign.live[0].message}`);
      }
      const again = runCase(reappliedRevert, { name: file, base: { [file]: text }, files: { [file]: bumped }, history });
      const lines1 = again.live.map((f) => f.line);
      if (again.notes.length) problems.push(`${file}: ${again.notes.join('; ')}`);
      else if (lines1.length !== 1 || lines1[0] !== i + 1) problems.push(`${file}: re-apply found at ${JSON.stringify(lines1)}, expected [${i + 1}]`);
      else found++;
    }
    expect(problems).toEqual([]);
    expect(found).toBeGreaterThan(100);
    expect(benignEdits).toBeGreaterThan(100);
  });
});
