/** The README's first quick-start command: `npm run demo` runs the main job on an embedded example. */
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { PROJECT_ROOT } from '../helpers/git-fixture.js';

describe('npm run demo', () => {
  it('checks the embedded fleet PR, prints the report and the exit code the real check returns, and exits 0', () => {
    const r = spawnSync(process.execPath, ['scripts/demo.mjs'], { cwd: PROJECT_ROOT, encoding: 'utf8', timeout: 60_000 });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/Blast Radius: CRITICAL/);
    expect(r.stdout).toMatch(/MutatingWebhookConfiguration\/node-telemetry-injector/);
    expect(r.stdout).toMatch(/reach: 3 clusters, 8,060 nodes: canary-1 \(60\), prod-eu \(3,200\), prod-us \(4,800\)/);
    // The watch-all finding for the telemetry DaemonSet, with the staging trap in one line.
    expect(r.stdout).toMatch(/critical\s+watch-all\/daemonset-cluster-watch/);
    expect(r.stdout.replace(/\s+/g, ' ')).toMatch(/canary-1 \(60 nodes\): relist [\d.]+ GiB, [\d.]+× capacity — passes; prod-us \(4,800 nodes\): [\d.]+ TiB, \d+× — overload/);
    expect(r.stdout).toMatch(/The real check would have exited with code 1 \(fail-on high\)\./);
    expect(r.stdout).not.toMatch(/\u001b\[/); // no colour when stdout is not a terminal
  });
});
