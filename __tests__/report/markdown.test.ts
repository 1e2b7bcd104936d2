import { describe, expect, it } from 'vitest';
import { renderMarkdown } from '../../src/report/markdown.js';
import type { Finding, Report, ReportContext } from '../../src/types.js';
import { finding, sampleReport } from './sample.js';

const report = (over: Partial<Report> = {}): Report => sampleReport(over);

const BASE = '0123456789abcdef0123456789abcdef01234567';
const HEAD = 'fedcba9876543210fedcba9876543210fedcba98';
const CTX: ReportContext = { rules: [], failOn: 'high', exitCode: 1, base: BASE, head: HEAD };
const PASS: ReportContext = { rules: [], failOn: 'high', exitCode: 0 };

/** Table rows of the findings table (the one whose header has "Clusters reached"). */
function findingRows(md: string): string[] {
  const lines = md.split('\n');
  const start = lines.findIndex((l) => l.startsWith('| Severity | Rule |') && l.includes('Clusters reached'));
  const rows: string[] = [];
  for (let i = start + 2; lines[i]?.startsWith('| '); i++) rows.push(lines[i]);
  return rows;
}

const pipes = (row: string): number => row.split('|').length - 1;

describe('renderMarkdown', () => {
  const md = renderMarkdown(report(), CTX);

  it('starts with the hidden marker, then the verdict with level, score, explanation and commits', () => {
    const lines = md.split('\n');
    expect(lines[0]).toBe('<!-- blast-radius -->');
    expect(lines[1]).toMatch(/^### Blast Radius: .*CRITICAL · risk 85\/100 · .*fails at fail-on high$/);
    expect(md).toMatch(/\*\*Level\*\* is the highest severity among live findings.*fail-on level \(high\)/);
    expect(md).toMatch(/\*\*Risk\*\* is the share of the fleet at risk, from 0/);
    expect(md).toContain('base 0123456 → head fedcba9');
    expect(md).toContain('4 live findings, 1 suppressed · 2 of 3 clusters affected');
    expect(md.indexOf('**Level**')).toBeLessThan(md.indexOf('| Severity |'));
  });

  it('sorts the findings table by severity, then file and line, with clusters reached', () => {
    const rows = findingRows(md);
    expect(rows).toHaveLength(4);
    expect(rows[0]).toContain('| watch-all/daemonset-cluster-watch | DaemonSet/monitoring/node-telemetry | infra/telemetry.yaml:40 | canary-1, prod-eu (2) |');
    expect(rows[1]).toContain('| config/invalid-config | (whole change) | .blast-radius.yml |');
    expect(rows[2]).toContain('| canary/one-pr-many-stages | (whole change) | — |');
    expect(rows[3]).toContain('| canary/max-unavailable | Deployment/web/web | apps/web/deploy.yaml:12 | canary-1 (1) |');
    expect(rows.map((r) => r.match(/critical|high|medium|low/)?.[0])).toEqual(['critical', 'high', 'high', 'medium']);
  });

  it('puts each live finding message and fix in collapsed details, in table order', () => {
    const summaries = md.match(/<details><summary>(critical|high|medium|low) ·[^\n]*<\/summary>/g) ?? [];
    expect(summaries).toHaveLength(4);
    expect(summaries[0]).toContain('watch-all/daemonset-cluster-watch');
    expect(md).toContain('DaemonSet node-telemetry watches pods cluster-wide\n\n**Fix:** Scope the agent to its own node.');
    expect(md.split('<details>').length).toBe(md.split('</details>').length);
  });

  it('lists suppressed findings in their own collapsed section, after the live ones', () => {
    const at = md.indexOf('<details><summary>1 suppressed finding (not counted)</summary>');
    expect(at).toBeGreaterThan(md.lastIndexOf('**Fix:**'));
    const section = md.slice(at, md.indexOf('</details>', at));
    expect(section).toContain('| high | blast-radius/shared-base | Kustomization/base | base/kustomization.yaml:3 | blast-radius.dev/ignore -- approved by SRE |');
    expect(findingRows(md).join('\n')).not.toContain('shared-base');
  });

  it('shows errors, notes and clusters with assumed node counts', () => {
    expect(md).toContain('- apps/web/broken.yaml:5: bad indentation of a mapping entry');
    expect(md).toContain('- charts/otel-agent was not rendered: no helm binary found');
    expect(md).toContain('| prod-eu | prod | 5,000 (assumed) | yes |');
    expect(md).toContain('| canary-1 | canary | 60 | yes |');
    expect(md).toContain('| dev-1 | dev | 100 (assumed) | no |');
  });

  it('says a clean report is clean in one line', () => {
    const clean = renderMarkdown(report({ score: 0, level: 'none', findings: [], errors: [], notes: [] }), PASS);
    const lines = clean.trimEnd().split('\n');
    expect(lines).toHaveLength(4);
    expect(lines[0]).toBe('<!-- blast-radius -->');
    expect(lines[1]).toMatch(/^### Blast Radius: no findings · risk 0\/100 · .*passes$/);
    expect(lines[3]).toMatch(/^No findings: /);
  });

  it('is deterministic', () => {
    expect(renderMarkdown(report(), CTX)).toBe(md);
    expect(md.endsWith('\n')).toBe(true);
  });

  describe('escapes everything that comes from the repository', () => {
    const evil = 'a|b `rm -rf` <img src=x> @octocat #123 [x](http://e) **bold** _u_ ~s~ &amp; \\|';
    const hostile = report({
      findings: [
        finding({
          ruleId: 'watch-all/x|y', resource: `ConfigMap/a|b/${evil}`, file: `apps/<img src=x>|@octocat.yaml`,
          message: `${evil}\nsecond line\n| injected | row |`, remediation: `Fix ${evil}.`, clusters: ['@octocat|#123', 'c`d'],
        }),
      ],
      clusters: [{ name: '<b>x</b>|y', nodes: 1, nodesAssumed: false, stage: '@team #9', affected: true }],
      errors: [{ file: 'a|b.yaml', line: 1, message: `${evil}\n<!-- blast-radius -->` }],
      notes: [evil],
    });
    const out = renderMarkdown(hostile, CTX);

    it('keeps table rows intact: no extra pipes, no newlines in cells', () => {
      const rows = findingRows(out);
      expect(rows).toHaveLength(1);
      expect(pipes(rows[0])).toBe(6);
      const clusterRow = out.split('\n').find((l) => l.includes('&lt;b&gt;'));
      expect(clusterRow && pipes(clusterRow)).toBe(5);
      // Every table of the report has 4 or 5 columns.
      for (const line of out.split('\n').filter((l) => l.startsWith('|'))) expect([5, 6]).toContain(pipes(line));
    });

    it('leaves no raw HTML, backticks, link syntax, mentions or issue refs', () => {
      const withoutOwnTags = out
        .replace(/^<!-- blast-radius -->\n/, '')
        .replace(/<\/?(details|summary)>|<br>/g, '');
      expect(withoutOwnTags).not.toContain('<');
      expect(withoutOwnTags).not.toContain('>');
      expect(out).not.toContain('`');
      expect(out).not.toContain('<img');
      expect(out).not.toMatch(/@octocat|@team/);
      expect(out.replace(/&#\d+;/g, '')).not.toMatch(/#\d/);
      expect(out).not.toContain('[x](');
      expect(out).not.toContain('](');
      expect(out).not.toContain('**bold**');
      expect(out).toContain('@\u200boctocat');
      expect(out).toContain('#\u200b123');
      expect(out).toContain('&amp;amp;');
      expect(out).not.toContain('&#\u200b');
      expect(out.split('<!-- blast-radius -->')).toHaveLength(2);
    });

    it('turns newlines into <br>, so a message cannot start a new table row or block', () => {
      expect(out).toContain('second line<br>&#124; injected &#124; row &#124;');
      expect(out).not.toMatch(/^\| injected/m);
    });
  });

  describe('load table and chart of watch-all findings', () => {
    const TiB = 1024 ** 4;
    // In no particular order: the renderer sorts by node count.
    const LOAD = [
      { cluster: 'prod-eu', nodes: 4800, nodesAssumed: true, relistBytes: 5.6e12, requestsPerSecond: 1500, ratio: 25.3 },
      { cluster: 'canary-1', nodes: 60, nodesAssumed: false, relistBytes: 60 * 1800 * 8192, requestsPerSecond: 0, ratio: 0.00393216 },
      { cluster: 'prod-us', nodes: 4800, nodesAssumed: false, relistBytes: 5.6e12, requestsPerSecond: 1500, ratio: 25.3 },
      { cluster: 'edge-1', nodes: 800, nodesAssumed: false, relistBytes: 0.13 * TiB, requestsPerSecond: 0.05, ratio: 0.5 },
    ];
    const withLoad = (load: unknown, over: Partial<Finding> = {}): Report =>
      report({ findings: [finding({ data: { load }, clusters: ['canary-1', 'edge-1', 'prod-eu', 'prod-us'], ...over })] });
    const out = renderMarkdown(withLoad(LOAD), CTX);
    const mermaid = (md: string): string[] => md.match(/^```mermaid\n[\s\S]*?^```$/gm) ?? [];
    const loadRows = (md: string): string[] => {
      const lines = md.split('\n');
      const start = lines.findIndex((l) => l === '| Cluster | Nodes | Relist | Poll rate | Capacity used |');
      if (start < 0) return [];
      const rows: string[] = [];
      for (let i = start + 2; lines[i]?.startsWith('| '); i++) rows.push(lines[i]);
      return rows;
    };

    it('shows a per-cluster table with rounded figures and a verdict, sorted by node count, inside the details', () => {
      expect(loadRows(out)).toEqual([
        '| canary-1 | 60 | 0.8 GiB | — | 0.004× passes |',
        '| edge-1 | 800 | 133 GiB | under 0.1 req/s | 0.5× strains |',
        '| prod-eu | 4,800 (assumed) | 5.1 TiB | 1,500 req/s | 25× overload |',
        '| prod-us | 4,800 | 5.1 TiB | 1,500 req/s | 25× overload |',
      ]);
      const details = out.slice(out.indexOf('<details><summary>critical'), out.indexOf('</details>'));
      expect(details).toContain('| Cluster | Nodes | Relist | Poll rate | Capacity used |');
      expect(details).toContain('```mermaid');
      expect(details.indexOf('| Cluster | Nodes |')).toBeLessThan(details.indexOf('```mermaid'));
    });

    it('draws an xychart of the ratio against the cluster sizes, one label per size, with the capacity line at 1', () => {
      const charts = mermaid(out);
      expect(charts).toHaveLength(1);
      const lines = charts[0].split('\n').map((l) => l.trim());
      expect(lines[1]).toBe('xychart-beta');
      expect(lines).toContain('title "Capacity used by cluster size"');
      expect(lines).toContain('x-axis "nodes" ["60", "800", "4,800"]');
      expect(lines).toContain('y-axis "ratio to capacity" 0 --> 30');
      expect(lines).toContain('bar [0.00393, 0.5, 25.3]');
      expect(lines).toContain('line [1, 1, 1]');
      // A blank line before the fence, so it renders inside the <details> block.
      expect(out).toContain('\n\n```mermaid\nxychart-beta\n');
    });

    it('charts the fleet\'s cluster sizes (data.chart) when the finding carries them, the table staying per reached cluster', () => {
      const chart = [{ nodes: 3200, ratio: 11.2 }, { nodes: 60, ratio: 0.004 }, { nodes: 4800, ratio: 25.3 }];
      const md = renderMarkdown(report({ findings: [finding({ data: { load: [LOAD[1]], chart }, clusters: ['canary-1'] })] }), CTX);
      const lines = mermaid(md)[0].split('\n').map((l) => l.trim());
      expect(lines).toContain('x-axis "nodes" ["60", "3,200", "4,800"]');
      expect(lines).toContain('bar [0.004, 11.2, 25.3]');
      expect(loadRows(md)).toEqual(['| canary-1 | 60 | 0.8 GiB | — | 0.004× passes |']);
      // A malformed chart falls back to the reached clusters.
      const bad = renderMarkdown(report({ findings: [finding({ data: { load: [LOAD[1]], chart: [{ nodes: 'x', ratio: 1 }] }, clusters: ['canary-1'] })] }), CTX);
      expect(mermaid(bad)[0]).toContain('x-axis "nodes" ["60"]');
    });

    it('keeps the chart to a bounded number of sizes, always with the smallest and largest', () => {
      const many = Array.from({ length: 100 }, (_, i) => ({
        cluster: `c${i}`, nodes: (i + 1) * 50, nodesAssumed: false, relistBytes: 1e9 * (i + 1) ** 2, requestsPerSecond: 0, ratio: 0.003 * (i + 1) ** 2,
      }));
      const chart = mermaid(renderMarkdown(withLoad(many), CTX))[0];
      const labels = JSON.parse(chart.match(/x-axis "nodes" (\[.*\])/)?.[1] ?? '[]') as string[];
      expect(labels.length).toBeLessThanOrEqual(24);
      expect(labels[0]).toBe('50');
      expect(labels.at(-1)).toBe('5,000');
      expect(chart).not.toMatch(/e[+-]?\d/);
    });

    it('escapes hostile cluster names in the table and keeps them out of the chart', () => {
      const evil = '<img src=x>|@octocat #123 `x` "]\n  title "pwned';
      const hostile = renderMarkdown(withLoad([{ ...LOAD[0], cluster: evil }, LOAD[1]]), CTX);
      const rows = loadRows(hostile);
      expect(rows).toHaveLength(2);
      for (const row of rows) expect(pipes(row)).toBe(6);
      expect(rows[1]).toContain('&lt;img src=x&gt;&#124;@\u200boctocat #\u200b123 &#96;x&#96; &quot;&#93;<br>  title &quot;pwned |');
      const chart = mermaid(hostile)[0];
      expect(chart).not.toMatch(/img|octocat|pwned|prod-eu|canary-1/);
      // Only fixed words, numbers, quotes, brackets and commas.
      expect(chart.replace(/^```(mermaid)?$/gm, '')).toMatch(/^[\sa-z0-9"[\],.\->-]*$/i);
      expect(hostile).not.toContain('<img');
    });

    it('renders no table or chart without well-formed load data', () => {
      const bad: unknown[] = [
        undefined, null, 'load', [], [{}], [{ ...LOAD[0], nodes: '4800' }], [{ ...LOAD[0], ratio: Number.NaN }],
        [{ ...LOAD[0], ratio: Number.POSITIVE_INFINITY }], [{ ...LOAD[0], relistBytes: -1 }], [LOAD[0], { ...LOAD[1], cluster: 7 }],
        [{ ...LOAD[0], nodesAssumed: 'yes' }], [LOAD[0], null],
      ];
      for (const load of bad) {
        const md = renderMarkdown(withLoad(load), CTX);
        expect(md).not.toContain('| Cluster | Nodes | Relist |');
        expect(md).not.toContain('```mermaid');
        expect(md).toContain('**Reach:** 4 clusters, 5,060 nodes &#40;partly assumed&#41;: canary-1 &#40;60&#41;, edge-1 &#40;size unknown&#41;, prod-eu &#40;5,000, assumed&#41;, prod-us &#40;size unknown&#41;');
      }
      // The sample's findings carry no data at all.
      expect(md).not.toContain('Capacity used');
      // Only watch-all findings show load.
      const other = renderMarkdown(withLoad(LOAD, { ruleId: 'canary/max-unavailable', family: 'canary' }), CTX);
      expect(other).not.toContain('Capacity used');
    });

    it('is deterministic, whatever the order of the load entries', () => {
      expect(renderMarkdown(withLoad(LOAD), CTX)).toBe(out);
      expect(renderMarkdown(withLoad([...LOAD].reverse()), CTX)).toBe(out);
    });

    it('leaves out the smallest clusters of a very long table, and says so', () => {
      const big = Array.from({ length: 300 }, (_, i) => ({
        cluster: `cluster-${String(i).padStart(3, '0')}`, nodes: 10 + i, nodesAssumed: false, relistBytes: 1e9, requestsPerSecond: 0, ratio: 0.01,
      }));
      const md = renderMarkdown(withLoad(big), CTX);
      const rows = loadRows(md);
      expect(rows.length).toBeGreaterThan(10);
      expect(rows.length).toBeLessThan(300);
      expect(rows.at(-1)).toContain('| cluster-299 | 309 |');
      expect(md).toContain(`\n\n${300 - rows.length} smaller clusters (10 to ${10 + 299 - rows.length} nodes) not shown.\n`);
    });

    it('drops charts before findings when the budget is tight, and stays under 60,000 characters', () => {
      const sizes = Array.from({ length: 24 }, (_, i) => ({
        cluster: `c${i}`, nodes: 1000 + i * 137, nodesAssumed: false, relistBytes: 3.3e11 * (i + 1), requestsPerSecond: 12.5 * i, ratio: 0.123456 * (i + 1),
      }));
      const loadFindings = (n: number): Finding[] =>
        Array.from({ length: n }, (_, i) =>
          finding({ file: `agents/a${String(i).padStart(3, '0')}.yaml`, line: 1, resource: `DaemonSet/ns/a${i}`, data: { load: sizes }, message: 'm'.repeat(200) }),
        );
      let partial = false;
      for (let n = 5; n <= 60; n += 1) {
        const md = renderMarkdown(report({ findings: loadFindings(n) }), CTX);
        expect(md.length).toBeLessThanOrEqual(60_000);
        const details = md.match(/<details><summary>critical ·/g)?.length ?? 0;
        const charts = mermaid(md).length;
        expect(charts).toBeLessThanOrEqual(details);
        // Findings lose their details only once every chart is gone.
        if (details < n) expect(charts).toBe(0);
        if (details === n && charts > 0 && charts < n) partial = true;
        // Charts belong to the first findings of the report.
        const blocks = md.split('<details><summary>critical').slice(1);
        const withChart = blocks.map((b) => b.includes('```mermaid'));
        expect(withChart.indexOf(false) === -1 || !withChart.slice(withChart.indexOf(false)).includes(true)).toBe(true);
      }
      expect(partial).toBe(true);
    });
  });

  describe('stays under 60,000 characters', () => {
    const many = (n: number): Finding[] =>
      Array.from({ length: n }, (_, i) =>
        finding({
          severity: i % 7 === 0 ? 'critical' : 'medium',
          file: `apps/app-${String(i).padStart(4, '0')}/deploy.yaml`, line: i + 1,
          resource: `Deployment/app-${i}/app-${i}`, message: `finding ${i}: `.padEnd(300, 'x'),
          clusters: Array.from({ length: 12 }, (_, c) => `cluster-${c}`),
        }),
      );

    it('cuts the findings with a closing line saying how many are left', () => {
      const out = renderMarkdown(report({ findings: many(2000) }), CTX);
      expect(out.length).toBeLessThanOrEqual(60_000);
      const more = out.match(/^(\d+) more findings are in the job summary \/ JSON report\.$/m);
      expect(more).not.toBeNull();
      const rows = findingRows(out);
      expect(rows.length).toBeGreaterThan(10);
      expect(rows.length + Number(more?.[1])).toBe(2000);
      expect(rows[0]).toContain('critical');
      expect(out.split('<details>').length).toBe(out.split('</details>').length);
      const details = out.match(/<details><summary>(critical|medium) ·/g)?.length ?? 0;
      expect(details).toBeGreaterThan(5);
      expect(out).toContain(`\nDetails of ${2000 - details} more findings are in the job summary / JSON report.\n`);
      expect(out).toContain('**Clusters reached:**');
    });

    it('also bounds floods of errors, notes, clusters and suppressed findings', () => {
      const out = renderMarkdown(
        report({
          findings: [...many(500), ...many(500).map((f) => ({ ...f, suppressed: true, suppressedBy: 'ignore' }))],
          errors: Array.from({ length: 3000 }, (_, i) => ({ file: `f${i}.yaml`, line: i, message: 'bad '.repeat(100) })),
          notes: Array.from({ length: 500 }, (_, i) => `note ${i}`),
          clusters: Array.from({ length: 3000 }, (_, i) => ({ name: `c${i}`, nodes: 10, nodesAssumed: false, stage: 'prod', affected: true })),
        }),
        CTX,
      );
      expect(out.length).toBeLessThanOrEqual(60_000);
      for (const what of ['findings', 'suppressed findings', 'errors', 'notes', 'clusters']) {
        expect(out).toMatch(new RegExp(`^\\d+ more ${what} are in the job summary / JSON report\\.$`, 'm'));
      }
      expect(findingRows(out).length).toBeGreaterThan(10);
    });

    it('does not cut a report that fits', () => {
      const out = renderMarkdown(report({ findings: many(20) }), CTX);
      expect(out).not.toContain('more findings');
      expect(findingRows(out)).toHaveLength(20);
    });
  });
});

describe('staged rollout plan', () => {
  // In stage order, as reports list them.
  const clusters = [
    { name: 'dev-1', nodes: 10, nodesAssumed: false, stage: 'dev', affected: false },
    { name: 'canary-1', nodes: 60, nodesAssumed: false, stage: 'canary', affected: true, bakeSeconds: 30 },
    { name: 'prod-us', nodes: 4800, nodesAssumed: false, stage: 'prod', affected: true },
    { name: 'prod-eu', nodes: 3200, nodesAssumed: false, stage: 'prod', affected: true },
  ];
  const stagesFinding = finding({ ruleId: 'canary/stages-in-one-pr', family: 'canary', severity: 'medium', clusters: ['canary-1', 'prod-eu', 'prod-us'], message: 'this change reaches canary and prod at once' });

  it('lists the reached stages in order, smallest cluster first, with the DNS bake time and what to watch', () => {
    const md = renderMarkdown(report({ findings: [finding({ clusters: ['canary-1', 'prod-eu', 'prod-us'] }), stagesFinding], clusters }), CTX);
    expect(md).toContain('**Staged rollout plan** for this change');
    expect(md).toContain('| 1 | canary | canary-1 (60) | at least 30 s (DNS cache TTL), and until the signals below are steady |');
    // Production one cluster per step, smallest first.
    expect(md).toContain('| 2 | prod | prod-eu (3,200) | until the signals below are steady |');
    expect(md).toContain('| 3 | prod | prod-us (4,800) | — |');
    expect(md).not.toContain('dev-1 (10)'); // not reached by this change
    expect(md).toContain('`apiserver_flowcontrol_current_inqueue_requests`, `apiserver_current_inflight_requests` and LIST latency');
    expect(md).not.toContain('DNS resolution success rate');
  });

  it('puts an earlier stage first when the change reaches production only, and leaves the implicit cluster out', () => {
    const prodFirst = finding({ ruleId: 'canary/production-first', family: 'canary', severity: 'medium', clusters: ['prod-eu', 'prod-us'] });
    const table = [...clusters.map((c) => ({ ...c, affected: c.stage === 'prod' })), { name: 'unmapped', nodes: 5000, nodesAssumed: true, stage: 'prod', affected: true }];
    const md = renderMarkdown(report({ findings: [prodFirst], clusters: table }), CTX);
    expect(md).toContain('| 1 | dev (first: not in this change yet) | dev-1 (10) | until the signals below are steady |');
    expect(md).toContain('| 2 | prod | prod-eu (3,200) |');
    expect(md).not.toContain('unmapped (5,000');
  });

  it('watches DNS resolution for a DNS change, and has no plan without a canary finding', () => {
    const dns = finding({ ruleId: 'blast-radius/cluster-dns', family: 'blast-radius', severity: 'high', clusters: ['canary-1', 'prod-us'] });
    const md = renderMarkdown(report({ findings: [dns, stagesFinding], clusters }), CTX);
    expect(md).toContain('DNS resolution success rate');
    expect(md).not.toContain('`apiserver_flowcontrol_current_inqueue_requests`');
    expect(renderMarkdown(report({ findings: [dns], clusters }), CTX)).not.toContain('Staged rollout plan');
  });
});
