/**
 * `.blast-radius.yml`: loading, validation against schema/config.schema.json (ajv), defaults, and the
 * problems a user sees (key path, line, message).
 */
import { Ajv, type ErrorObject } from 'ajv';
import jsyaml from 'js-yaml';
import schema from '../schema/config.schema.json' with { type: 'json' };
import type { Level, Severity } from './types.js';
import { cmp } from './util.js';
import { lineOf } from './yaml/lines.js';

export const CONFIG_FILE = '.blast-radius.yml';

export interface ClusterConfig {
  name: string;
  nodes?: number;
  stage?: string;
  paths?: string[];
  kubernetesVersion?: string;
  argocd?: { name?: string; server?: string; labels?: Record<string, string> };
}

export interface LockConfig {
  id: string;
  reason: string;
  match: { kind?: string; namespace?: string; name?: string; path?: string | Array<string | number> };
}

export type RuleSetting = 'off' | { severity?: Severity };

/** The configuration with every default filled in. */
export interface Config {
  fleet: {
    defaults: { podsPerNode: number; objectBytes: number; objects: Record<string, number> };
    clusters: ClusterConfig[];
  };
  rollout: { stages?: string[] };
  apiServer: { replicas: number; egressBytesPerSecond: number; requestsPerSecond: number };
  rules: Record<string, RuleSetting>;
  failOn?: Level;
  history: { maxCommits: number };
  acceptLabel?: string;
  locks: LockConfig[];
}

/** Defaults, with sources in RULEBOOK B.1 / B.4 (podsPerNode, objectBytes, API-server capacity). */
export const DEFAULTS = {
  podsPerNode: 30,
  objectBytes: 8192,
  objects: { replicasets: 5000, services: 5000, deployments: 5000, configmaps: 5000, namespaces: 500 } as Record<string, number>,
  apiServer: { replicas: 3, egressBytesPerSecond: 1.25e9, requestsPerSecond: 2000 },
  maxCommits: 1000,
} as const;

/** A problem in a config file: the key path (`fleet.clusters[0].nodes`), its line, and what is wrong. */
export interface ConfigProblem {
  key: string;
  line: number;
  message: string;
}

export type ConfigResult = { ok: true; config: Config } | { ok: false; problems: ConfigProblem[] };

/** The configuration used when the repository has none. */
export function defaultConfig(): Config {
  return resolve({});
}

let validator: ReturnType<Ajv['compile']> | undefined;
function validate(value: unknown): ErrorObject[] {
  validator ??= new Ajv({ allErrors: true, strict: false }).compile(schema);
  return validator(value) ? [] : [...(validator.errors ?? [])];
}

function keyOf(path: ReadonlyArray<string | number>): string {
  let out = '';
  for (const p of path) out += typeof p === 'number' ? `[${p}]` : out ? `.${p}` : p;
  return out || '(root)';
}

function pathOf(instancePath: string): Array<string | number> {
  if (!instancePath) return [];
  return instancePath
    .slice(1)
    .split('/')
    .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'))
    .map((s) => (/^\d+$/.test(s) ? Number(s) : s));
}

function describe(e: ErrorObject): { path: Array<string | number>; message: string } {
  const path = pathOf(e.instancePath);
  const p = e.params as Record<string, unknown>;
  switch (e.keyword) {
    case 'additionalProperties':
      return { path: [...path, String(p.additionalProperty)], message: 'unknown key' };
    case 'required':
      return { path, message: `missing required key "${String(p.missingProperty)}"` };
    case 'enum':
      return { path, message: `must be one of ${(p.allowedValues as unknown[]).map((v) => JSON.stringify(v)).join(', ')}` };
    case 'propertyNames':
      return { path: [...path, String(p.propertyName)], message: 'is not a rule id (<family>/<name>)' };
    default:
      return { path, message: e.message ?? e.keyword };
  }
}

/**
 * Parses and validates a config file's text. `knownRules` lists the rule ids a `rules:` key may name.
 * Never throws.
 */
export function parseConfig(text: string, knownRules: readonly string[]): ConfigResult {
  let raw: unknown;
  try {
    raw = jsyaml.load(text, { json: true });
  } catch (e) {
    const err = e as { mark?: { line?: number }; reason?: string; message?: string };
    return { ok: false, problems: [{ key: '(root)', line: (err.mark?.line ?? 0) + 1, message: `YAML parse error: ${err.reason ?? err.message}` }] };
  }
  if (raw === undefined || raw === null) raw = {};
  const at = (path: Array<string | number>) => lineOf(text, 0, path);
  const problems: ConfigProblem[] = [];
  const seen = new Set<string>();
  const errors = validate(raw);
  for (const e of errors) {
    // oneOf failures repeat what their branches said; report the branches only, and of those the one
    // that got deepest (`{ severity: huge }` is a bad severity, not "must be a string").
    if (e.keyword === 'oneOf' || e.keyword === 'if') continue;
    if (errors.some((f) => f.instancePath.startsWith(`${e.instancePath}/`))) continue;
    const d = describe(e);
    const key = keyOf(d.path);
    const id = `${key}\u0000${d.message}`;
    if (seen.has(id)) continue;
    seen.add(id);
    problems.push({ key, line: at(d.path), message: d.message });
  }
  if (problems.length === 0) {
    const cfg = raw as PartialConfig;
    const stages = cfg.rollout?.stages;
    const names = new Set<string>();
    (cfg.fleet?.clusters ?? []).forEach((c, i) => {
      if (names.has(c.name)) problems.push({ key: `fleet.clusters[${i}].name`, line: at(['fleet', 'clusters', i, 'name']), message: `duplicate cluster name "${c.name}"` });
      names.add(c.name);
      if (c.name === 'unmapped') problems.push({ key: `fleet.clusters[${i}].name`, line: at(['fleet', 'clusters', i, 'name']), message: '"unmapped" is reserved for files that reach no known cluster' });
      if (stages && c.stage !== undefined && !stages.includes(c.stage)) {
        problems.push({ key: `fleet.clusters[${i}].stage`, line: at(['fleet', 'clusters', i, 'stage']), message: `stage "${c.stage}" is not in rollout.stages (${stages.join(', ')})` });
      }
    });
    for (const id of Object.keys(cfg.rules ?? {})) {
      if (!knownRules.includes(id)) problems.push({ key: `rules.${id}`, line: at(['rules', id]), message: 'unknown rule id' });
    }
    const locks = new Set<string>();
    (cfg.locks ?? []).forEach((l, i) => {
      if (locks.has(l.id)) problems.push({ key: `locks[${i}].id`, line: at(['locks', i, 'id']), message: `duplicate lock id "${l.id}"` });
      locks.add(l.id);
      // A path alone would lock that field of every object of the repository.
      if (l.match.kind === undefined && l.match.namespace === undefined && l.match.name === undefined) {
        problems.push({ key: `locks[${i}].match`, line: at(['locks', i, 'match']), message: 'a lock must name a kind, a namespace or a name' });
      }
    });
  }
  problems.sort((a, b) => a.line - b.line || cmp(a.key, b.key));
  return problems.length ? { ok: false, problems } : { ok: true, config: resolve(raw as PartialConfig) };
}

type PartialConfig = {
  fleet?: { defaults?: { podsPerNode?: number; objectBytes?: number; objects?: Record<string, number> }; clusters?: ClusterConfig[] };
  rollout?: { stages?: string[] };
  apiServer?: Partial<Config['apiServer']>;
  rules?: Record<string, RuleSetting>;
  failOn?: Level;
  history?: { maxCommits?: number };
  acceptLabel?: string;
  locks?: LockConfig[];
};

function resolve(c: PartialConfig): Config {
  const d = c.fleet?.defaults ?? {};
  return {
    fleet: {
      defaults: {
        podsPerNode: d.podsPerNode ?? DEFAULTS.podsPerNode,
        objectBytes: d.objectBytes ?? DEFAULTS.objectBytes,
        objects: { ...DEFAULTS.objects, ...(d.objects ?? {}) },
      },
      clusters: c.fleet?.clusters ?? [],
    },
    rollout: c.rollout?.stages ? { stages: c.rollout.stages } : {},
    apiServer: { ...DEFAULTS.apiServer, ...(c.apiServer ?? {}) },
    rules: c.rules ?? {},
    ...(c.failOn ? { failOn: c.failOn } : {}),
    history: { maxCommits: c.history?.maxCommits ?? DEFAULTS.maxCommits },
    ...(c.acceptLabel ? { acceptLabel: c.acceptLabel } : {}),
    locks: c.locks ?? [],
  };
}

/** One line naming the first problem, for exit-2 messages: `.blast-radius.yml:7: fleet.clusters[0].nodes: must be >= 1`. */
export function formatProblem(file: string, p: ConfigProblem): string {
  return `${file}:${p.line}: ${p.key}: ${p.message}`;
}
