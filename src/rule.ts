/**
 * The rule API. A rule is a static `meta` plus a pure `check(ctx)` that calls `ctx.report()`.
 * Rules never do I/O and never throw for odd input: the engine catches a throwing rule and turns it into
 * an `errors` entry, but a rule should treat any shape of document as possible.
 */
import type { Config } from './config.js';
import type { History } from './history.js';
import type { ChangeSet, Cluster, Finding, KubeObject, RawFinding, RuleMeta, Tree } from './types.js';

/** The fleet as the rules see it. */
export interface Fleet {
  /** Every known cluster, in stage then name order; includes `unmapped` only when something reaches it. */
  readonly clusters: readonly Cluster[];
  /** Sum of the nodes of the known clusters (not counting `unmapped`). */
  readonly totalNodes: number;
  cluster(name: string): Cluster | undefined;
  /** Names of the clusters a file of the given side reaches (sorted); `['unmapped']` when none. */
  clustersOfFile(path: string, side?: 'base' | 'head'): readonly string[];
  /** Names of the clusters an object reaches: those of its deployable unit. */
  clustersOfObject(object: KubeObject, side?: 'base' | 'head'): readonly string[];
  /** True when a file is part of a deployable unit or holds objects (a CI workflow or a docs config is not). */
  isDeployed(path: string, side?: 'base' | 'head'): boolean;
}

interface BaseContext {
  readonly fleet: Fleet;
  readonly config: Config;
  /** Live head findings of the families / rules named in `meta.after` (state rules: of the same side). */
  readonly prior: readonly Finding[];
  report(finding: RawFinding): void;
}

export interface StateContext extends BaseContext {
  readonly side: 'base' | 'head';
  readonly tree: Tree;
  /**
   * On the base side: the resources (`Kind/namespace/name`) this rule's head findings are about. Base
   * findings about anything else are never used, so a rule may skip the objects whose ref is not here —
   * an optimisation that must never change a finding about a resource that is.
   */
  readonly only?: ReadonlySet<string>;
}

export interface ChangeContext extends BaseContext {
  readonly base: Tree;
  readonly head: Tree;
  readonly changes: ChangeSet;
  /** Reverts of the base branch and of the pull request (empty when no history was read). */
  readonly history: History;
  /** The pull request's own `.blast-radius.yml` when it edits the file and the new one is valid (in force only after merge). */
  readonly proposedConfig?: Config;
}

/**
 * What a state rule's findings depend on, for incremental judging (src/focus.ts). A rule declares it only
 * when it holds: every finding is about an object of a `subjects` kind, and what the rule concludes about
 * one subject depends only on that subject, on objects of its own deployable unit that are not subjects
 * (of the `context` kinds, when listed), on the configuration and on the fleet — never on another subject
 * nor on another unit. Copies of one subject judged together across units (same source, same
 * `Kind/namespace/name`) are allowed: they are always handed over together.
 */
export interface FocusSpec {
  readonly subjects: readonly string[];
  /** The other kinds the rule reads (all other kinds when absent). */
  readonly context?: readonly string[];
}

export interface StateRule {
  readonly meta: RuleMeta & { readonly type: 'state' };
  /** When declared, the engine hands the rule only the subjects a change can move (src/focus.ts). */
  readonly focus?: FocusSpec;
  check(ctx: StateContext): void;
}

export interface ChangeRule {
  readonly meta: RuleMeta & { readonly type: 'change' };
  check(ctx: ChangeContext): void;
}

export type Rule = StateRule | ChangeRule;
