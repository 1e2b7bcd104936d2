/**
 * Phase timings of one check (issue 11: the benchmark's breakdown). Collected always (a few
 * `performance.now()` calls); written as JSON to the file `BLAST_RADIUS_TIMINGS` names, by the CLI on
 * exit. Not part of the report: the JSON report's contract stays as DESIGN.md has it.
 */
import { performance } from 'node:perf_hooks';

export type Phase = 'git' | 'parse' | 'config' | 'history' | 'units' | 'render' | 'rules' | 'report';

const spent = new Map<Phase, number>();

/** Adds `ms` to a phase. */
export function addTime(phase: Phase, ms: number): void {
  spent.set(phase, (spent.get(phase) ?? 0) + ms);
}

/** Runs `fn`, adding its duration to `phase`. */
export function timed<T>(phase: Phase, fn: () => T): T {
  const t0 = performance.now();
  try {
    return fn();
  } finally {
    addTime(phase, performance.now() - t0);
  }
}

/** Awaits `p` (started by the caller), adding the wait to `phase`. */
export async function timedAsync<T>(phase: Phase, p: () => Promise<T>): Promise<T> {
  const t0 = performance.now();
  try {
    return await p();
  } finally {
    addTime(phase, performance.now() - t0);
  }
}

/** The phases so far, in milliseconds (rounded). */
export function timings(): Record<string, number> {
  return Object.fromEntries([...spent].map(([k, v]) => [k, Math.round(v)]));
}
