/**
 * canary/applicationset-sync — an Argo CD ApplicationSet that syncs the Applications it generates on two
 * or more clusters at once (RULEBOOK D.2, ROLL-F-1; issue 6 "ApplicationSet without progressive sync").
 *
 * - medium (`all-at-once`): the generators reach two or more clusters (distinct destinations), the
 *   template has automated sync (`spec.template.spec.syncPolicy.automated`, not `enabled: false`) and
 *   there is no progressive sync (`spec.strategy.type` is not `RollingSync`); or `RollingSync` whose
 *   first step that selects anything already selects the Applications of every reached cluster (a single
 *   step, or a step without matchExpressions, syncs them all together, automated or not);
 * - high: the same when the reach is every known cluster of a fleet of two or more and those clusters
 *   hold more than 1,000 nodes;
 * - quiet: RollingSync with ordered steps; manual sync; one destination; a revision rendered per cluster
 *   (each cluster pinned to its own `targetRevision`: Git stages the rollout); generators whose reach
 *   cannot be worked out here (git files, SCM provider, pull request, cluster decision resource, plugin).
 *
 * Reach, as the ApplicationSet controller computes it: each parameter set of the generators renders one
 * Application whose `destination.name` / `destination.server` is matched against the fleet
 * (`fleet.clusters[].argocd` name / server, else the cluster's name). A `clusters` generator selects the
 * fleet's clusters by `fleet.clusters[].argocd.labels` (every registered cluster Secret also carries
 * `argocd.argoproj.io/secret-type: cluster`), so `clusters: {}` reaches every cluster of the fleet. A
 * matrix whose other child cannot be expanded here reaches what the expandable child reaches; a merge
 * reaches what its first child reaches. A generator-level `selector` post-filters parameter sets.
 *
 * The ApplicationSet itself lives on the Argo CD cluster; the finding reaches the clusters it deploys to
 * (explicit `clusters`), so the reach in the message is the same for every copy of the object.
 */
import type { StateRule } from '../../src/rule.js';
import { reachOf, reachText, type Reach } from '../../src/reach.js';
import { matchesSelector } from '../../src/selector.js';
import { listing, quote } from '../../src/text.js';
import type { KubeObject, Severity, YamlPath } from '../../src/types.js';
import { asList, asMap, asString, getIn } from '../../src/yaml/walk.js';
import { render as renderParams } from '../../src/units.js';
import { ofKind } from '../../src/kinds.js';

export const KEY = 'all-at-once';
/** Above this many nodes a whole-fleet sync is high (a fleet of production size, RULEBOOK Part D). */
export const HIGH_NODES = 1000;
/** The label every cluster Secret registered in Argo CD carries. */
const SECRET_TYPE_LABEL = 'argocd.argoproj.io/secret-type';
/** Most parameter sets expanded per ApplicationSet (a matrix of large lists stops here). */
const MAX_SETS = 2000;

const REMEDIATION =
  'Add spec.strategy with type: RollingSync and one rollingSync step per stage on an env label of the generated Applications (template.metadata.labels.env: \'{{metadata.labels.env}}\', then steps matchExpressions [{key: env, operator: In, values: [canary]}] followed by [{key: env, operator: In, values: [prod]}] with maxUpdate: 1), and enable progressive syncs on the ApplicationSet controller (applicationsetcontroller.enable.progressive.syncs: "true").';

const REMEDIATION_STEPS =
  'Give the RollingSync one step per stage on an env label of the generated Applications, earliest first (steps matchExpressions [{key: env, operator: In, values: [canary]}] then [{key: env, operator: In, values: [prod]}] with maxUpdate: 1), so each step must be Healthy before the next one syncs.';

type Params = Record<string, string>;
/** One parameter set; `origin` is the fleet cluster a `clusters` generator produced it for. */
interface ParamSet {
  params: Params;
  origin?: string;
}
/** Parameter sets of a generator, and whether some generator could not be expanded. */
interface Expansion {
  sets: ParamSet[];
  partial: boolean;
}

interface ArgoEntry {
  cluster: string;
  name: string;
  server?: string;
  labels: Record<string, string>;
}

/** Replaces `{{name}}` / `{{ .name }}` with parameters as units.ts does; undefined when one is missing or a template is left. */
function render(text: string | undefined, params: Params): string | undefined {
  const out = renderParams(text, params);
  return out === undefined || out.includes('{{') ? undefined : out;
}

function flatten(value: unknown, prefix = '', into: Params = {}, depth = 0): Params {
  if (depth > 8) return into;
  const m = asMap(value);
  if (m) for (const [k, v] of Object.entries(m)) flatten(v, prefix ? `${prefix}.${k}` : k, into, depth + 1);
  else {
    const s = typeof value === 'number' || typeof value === 'boolean' ? String(value) : asString(value);
    if (s !== undefined && prefix) into[prefix] = s;
  }
  return into;
}

const normServer = (s: string) => s.trim().replace(/\/+$/, '');

function expand(g: Record<string, unknown> | undefined, entries: readonly ArgoEntry[], depth: number): Expansion {
  if (!g || depth > 4) return { sets: [], partial: true };
  let out: Expansion;
  if (g.list !== undefined) {
    const list = asMap(g.list);
    // elementsYaml (a rendered string) cannot be expanded here.
    out = { sets: asList(list?.elements).map((e) => ({ params: flatten(e) })), partial: list?.elementsYaml !== undefined };
  } else if (g.clusters !== undefined) {
    const c = asMap(g.clusters);
    const values = flatten(c?.values, 'values');
    out = {
      sets: entries
        .filter((e) => matchesSelector(c?.selector ?? {}, { [SECRET_TYPE_LABEL]: 'cluster', ...e.labels }))
        .map((e) => ({
          origin: e.cluster,
          params: {
            name: e.name,
            nameNormalized: e.name,
            server: e.server ?? '',
            ...Object.fromEntries(Object.entries(e.labels).map(([k, v]) => [`metadata.labels.${k}`, v])),
            ...values,
          },
        })),
      partial: false,
    };
  } else if (asMap(g.matrix) || asMap(g.merge)) {
    const combine = (asMap(g.matrix) ?? asMap(g.merge))!;
    const children = asList(combine.generators).map((x) => expand(asMap(x), entries, depth + 1));
    if (children.length === 0) return { sets: [], partial: true };
    if (g.merge !== undefined) {
      // Merge overlays the later children's parameters on the first child's sets: the first decides the reach.
      out = { sets: children[0].sets, partial: children[0].partial };
    } else {
      // A child that cannot be expanded is assumed to yield at least one set (conservative: the reach of the other).
      const known = children.filter((c) => !(c.partial && c.sets.length === 0));
      let sets: ParamSet[] = [{ params: {} }];
      for (const c of known) {
        const next: ParamSet[] = [];
        for (const a of sets) for (const b of c.sets) if (next.length < MAX_SETS) next.push({ params: { ...a.params, ...b.params }, origin: b.origin ?? a.origin });
        sets = next;
      }
      out = { sets: known.length ? sets : [], partial: children.some((c) => c.partial) };
    }
  } else {
    // git (directories and files), scmProvider, pullRequest, clusterDecisionResource, plugin: their
    // parameter sets come from outside the manifests (or from files whose destinations are data).
    return { sets: [], partial: true };
  }
  const selector = g.selector;
  if (selector !== undefined && selector !== null) out = { ...out, sets: out.sets.filter((s) => matchesSelector(selector, s.params)) };
  return { sets: out.sets.slice(0, MAX_SETS), partial: out.partial };
}

/** Where one generated Application goes: a fleet cluster, or a destination the fleet does not know. */
interface Target {
  cluster?: string;
  /** Stable key of the destination (`cluster:<name>`, `name:<argo name>`, `server:<url>`). */
  key: string;
  label: string;
}

function targetOf(destination: Record<string, unknown> | undefined, set: ParamSet, entries: readonly ArgoEntry[]): Target | undefined {
  const rawName = asString(destination?.name);
  const rawServer = asString(destination?.server);
  const templated = [rawName, rawServer].some((t) => t?.includes('{{'));
  // A destination taken from the cluster generator's parameters goes to that cluster.
  if (set.origin && templated) return { cluster: set.origin, key: `cluster:${set.origin}`, label: set.origin };
  const name = render(rawName, set.params);
  const server = render(rawServer, set.params);
  if (name === undefined && server === undefined) return undefined;
  const hit = entries.find((e) => (name !== undefined && name !== '' && e.name === name) || (server !== undefined && server !== '' && e.server !== undefined && normServer(e.server) === normServer(server)));
  if (hit) return { cluster: hit.cluster, key: `cluster:${hit.cluster}`, label: hit.cluster };
  if (name) return { key: `name:${name}`, label: name };
  if (server) return { key: `server:${normServer(server)}`, label: normServer(server) };
  return undefined;
}

/** Operators as the ApplicationSet controller reads a RollingSync step (Kubernetes label selection). */
function stepSelects(step: Record<string, unknown>, labels: Params): boolean | undefined {
  for (const raw of asList(step.matchExpressions)) {
    const e = asMap(raw);
    const key = asString(e?.key);
    if (!e || key === undefined) return undefined;
    const values = asList(e.values).map((v) => (typeof v === 'number' || typeof v === 'boolean' ? String(v) : asString(v)));
    const op = (asString(e.operator) ?? '').toLowerCase();
    const has = Object.prototype.hasOwnProperty.call(labels, key);
    if (op === 'in' && !(has && values.includes(labels[key]))) return false;
    else if (op === 'notin' && has && values.includes(labels[key])) return false;
    else if (op === 'exists' && !has) return false;
    else if (op === 'doesnotexist' && has) return false;
    else if (!['in', 'notin', 'exists', 'doesnotexist'].includes(op)) return undefined;
  }
  return true;
}

interface Generated {
  set: ParamSet;
  target: Target;
}

/**
 * With RollingSync: the clusters the first step that selects anything syncs together, when that step
 * holds every target (undefined otherwise, or when a label or step cannot be evaluated: quiet).
 */
function rollingSyncAllAtOnce(steps: readonly unknown[], apps: readonly Generated[], labelsTemplate: Record<string, unknown> | undefined, targets: number): boolean {
  const labelSets: Params[] = [];
  for (const a of apps) {
    const labels: Params = {};
    for (const [k, v] of Object.entries(labelsTemplate ?? {})) {
      const r = render(typeof v === 'number' || typeof v === 'boolean' ? String(v) : asString(v), a.set.params);
      if (r === undefined) return false;
      labels[k] = r;
    }
    labelSets.push(labels);
  }
  const assigned = new Set<number>();
  for (const raw of steps) {
    const step = asMap(raw);
    if (!step) return false;
    const picked = new Set<string>();
    for (let i = 0; i < apps.length; i++) {
      if (assigned.has(i)) continue;
      const s = stepSelects(step, labelSets[i]);
      if (s === undefined) return false;
      if (s) {
        assigned.add(i);
        picked.add(apps[i].target.key);
      }
    }
    if (picked.size === 0) continue;
    return picked.size >= targets;
  }
  // No step selects anything: every Application is left to manual sync.
  return false;
}

/**
 * The clusters Argo CD knows, as the ApplicationSet's generators see them. Without any `argocd` block in the
 * fleet config nothing says which clusters its Argo CD manages: only the clusters the ApplicationSet itself
 * is deployed to count (its in-cluster destination), as the fleet map (src/units.ts) assumes.
 */
function entriesOf(ctx: Parameters<StateRule['check']>[0], object: KubeObject): ArgoEntry[] {
  const configured = new Map(ctx.config.fleet.clusters.map((c) => [c.name, c] as const));
  const anyArgo = ctx.config.fleet.clusters.some((c) => c.argocd !== undefined);
  const home = anyArgo ? undefined : new Set(ctx.fleet.clustersOfObject(object, ctx.side));
  return ctx.fleet.clusters
    .filter((c) => !c.implicit && (!home || home.has(c.name)))
    .map((c) => {
      const argo = configured.get(c.name)?.argocd;
      return { cluster: c.name, name: argo?.name ?? c.name, server: argo?.server, labels: { ...(argo?.labels ?? {}) } };
    });
}

/** A short description of what the generators are, for the message. */
function generatorText(generators: readonly unknown[], entries: readonly ArgoEntry[], reach: Reach): string {
  const parts: string[] = [];
  for (const raw of generators) {
    const g = asMap(raw);
    if (!g) continue;
    const unrestricted = (c: unknown) => {
      const m = asMap(c);
      return m !== undefined && entries.every((e) => matchesSelector(m.selector ?? {}, { [SECRET_TYPE_LABEL]: 'cluster', ...e.labels }));
    };
    const inner = [g, ...asList(asMap(g.matrix)?.generators ?? asMap(g.merge)?.generators).map(asMap)];
    if (inner.some((x) => x && x.clusters !== undefined && unrestricted(x.clusters))) {
      const sel = asMap(inner.find((x) => x && x.clusters !== undefined)!.clusters)?.selector;
      parts.push(`its ${sel === undefined || sel === null ? 'clusters: {}' : 'clusters'} generator selects every cluster registered in Argo CD${reach.wholeFleet ? ` (all ${reach.clusters.length} clusters of the fleet)` : ''}`);
      break;
    }
  }
  return parts.length ? `${parts[0]}; ` : '';
}

export const applicationsetSync: StateRule = {
  meta: {
    id: 'canary/applicationset-sync',
    family: 'canary',
    type: 'state',
    severity: 'medium',
    description:
      'Flag Argo CD ApplicationSets that sync the Applications they generate on two or more clusters at once: automated sync without RollingSync progressive sync, or RollingSync whose first step covers every cluster.',
    docs: 'docs/rules/canary/applicationset-sync.md',
    remediation: REMEDIATION,
  },
  check(ctx) {
    for (const object of ofKind(ctx.tree.objects, 'ApplicationSet')) {
      if (!object.apiVersion.startsWith('argoproj.io/')) continue;
      if (ctx.only && !ctx.only.has(object.ref)) continue;
      judge(ctx, object, entriesOf(ctx, object));
    }
  },
};

function judge(ctx: Parameters<StateRule['check']>[0], object: KubeObject, entries: readonly ArgoEntry[]): void {
  const spec = asMap(object.doc.spec);
  const template = asMap(spec?.template);
  const appSpec = asMap(template?.spec);
  if (!spec || !appSpec) return;

  const strategy = asMap(spec.strategy);
  const rolling = asString(strategy?.type) === 'RollingSync';
  const automated = asMap(getIn(appSpec, ['syncPolicy', 'automated']));
  const auto = automated !== undefined && automated.enabled !== false && automated.enabled !== 'false';
  // RollingSync turns automated sync off on the Applications and syncs them itself, step by step.
  if (!rolling && !auto) return;

  const generators = asList(spec.generators);
  const apps: Generated[] = [];
  for (const raw of generators) {
    for (const set of expand(asMap(raw), entries, 0).sets) {
      const target = targetOf(asMap(appSpec.destination), set, entries);
      if (target) apps.push({ set, target });
    }
  }
  const targets = new Map(apps.map((a) => [a.target.key, a.target] as const));
  if (targets.size < 2) return;

  // Each cluster pinned to its own revision: a commit moves only the clusters that track it.
  const sources = [asMap(appSpec.source), ...asList(appSpec.sources).map(asMap)].filter((s): s is Record<string, unknown> => !!s);
  const revisionOf = (a: Generated) => sources.map((s) => render(asString(s.targetRevision) ?? 'HEAD', a.set.params) ?? asString(s.targetRevision) ?? '').join('\u0000');
  if (new Set(apps.map(revisionOf)).size > 1) return;

  let path: YamlPath;
  let why: string;
  if (rolling) {
    const steps = asList(getIn(strategy, ['rollingSync', 'steps']));
    if (!rollingSyncAllAtOnce(steps, apps, asMap(asMap(template?.metadata)?.labels), targets.size)) return;
    path = ['spec', 'strategy', 'rollingSync', 'steps'];
    why =
      steps.length === 1
        ? 'its RollingSync strategy has a single step, which selects the Applications of every cluster it reaches, so they sync together'
        : 'the first RollingSync step that selects anything already selects the Applications of every cluster it reaches, so they sync together';
  } else {
    path = ['spec', 'template', 'spec', 'syncPolicy', 'automated'];
    why = 'its template sets syncPolicy.automated and it has no progressive sync (no spec.strategy type: RollingSync)';
  }

  const known = [...targets.values()].flatMap((t) => (t.cluster ? [t.cluster] : []));
  const unknown = [...targets.values()].filter((t) => !t.cluster).map((t) => t.label).sort();
  const reach = reachOf(ctx.fleet, known);
  const high = reach.wholeFleet && reach.nodes > HIGH_NODES;
  const severity: Severity = high ? 'high' : 'medium';
  const where = [
    ...(known.length ? [reachText(reach)] : []),
    ...(unknown.length ? [`${unknown.length} destination${unknown.length === 1 ? '' : 's'} the fleet config does not know (${listing(unknown.slice(0, 5).map(quote))}${unknown.length > 5 ? ' and more' : ''})`] : []),
  ].join(', plus ');
  const fleetNote = high ? `; that is every cluster of the fleet, more than ${HIGH_NODES.toLocaleString('en-US')} nodes, with no cluster left to notice a bad change first` : '';
  const message =
    `the ${targets.size} ${unknown.length ? 'destinations' : 'clusters'} of ApplicationSet ${quote(object.name)} sync at once: ${generatorText(asList(spec.generators), entries, reach)}${why}; ` +
    `one commit to what its Applications share syncs on every one of them within one Git poll (3 min by default), so no cluster gives an early signal (reach: ${where})${fleetNote}`;
  ctx.report({
    key: KEY,
    severity,
    message,
    ...(rolling ? { remediation: REMEDIATION_STEPS } : {}),
    at: { object, path },
    ...(known.length ? { clusters: [...new Set(known)].sort() } : {}),
    data: { targets: targets.size, nodes: reach.nodes },
  });
}
