/**
 * Where a per-node agent's configuration lives, parsed: ConfigMap `data` keys the workload mounts or reads
 * (src/joins.ts), an OpenTelemetryCollector's `spec.config`, a PrometheusAgent's spec, and container args
 * and env. Each config can place a finding on its own lines (DESIGN.md, line numbers: inside a ConfigMap
 * block scalar, the block's first content line plus the offset).
 */
import jsyaml from 'js-yaml';
import { configMapsOf, type ConfigMapUse } from '../joins.js';
import { podSpecPath } from '../kube.js';
import type { KubeObject, ObjectLocation, YamlPath } from '../types.js';
import { lineOf } from '../yaml/lines.js';
import { LOAD_OPTIONS } from '../yaml/parse.js';
import { asList, asMap, asString, expandedSize, getIn, NODE_BUDGET } from '../yaml/walk.js';

export type ConfigFormat = 'yaml' | 'ini' | 'river' | 'args';

export interface AgentConfig {
  /** The per-node workload the config belongs to. */
  readonly workload: KubeObject;
  /** The object holding it: a ConfigMap, or the workload / CR itself. */
  readonly holder: KubeObject;
  /** Where the config sits in the holder: `['data', key]`, `['spec', 'config']`, a container's `args`. */
  readonly path: YamlPath;
  /** The ConfigMap key, `spec.config`, or the container name: for messages. */
  readonly name: string;
  readonly format: ConfigFormat;
  /** The config as text (YAML, INI, River; for `args`, one argument / env var per line). */
  readonly text: string;
  /** The parsed document, for YAML configs (null when it does not parse). */
  readonly doc: unknown;
  /** A finding location for a path inside a YAML config, or a 0-based line of the text. */
  locate(inner: { path?: YamlPath; line?: number }): ObjectLocation;
}


/** Parses embedded YAML safely: null for anything broken, huge through aliases, or not a mapping / list. */
function parseYaml(text: string): unknown {
  try {
    const doc = jsyaml.load(text, LOAD_OPTIONS);
    if (doc === null || typeof doc !== 'object') return null;
    return text.includes('&') && expandedSize(doc) > NODE_BUDGET ? null : doc;
  } catch {
    return null;
  }
}

const parsedTexts = new Map<string, unknown>();

/** parseYaml, once per distinct text (the same ConfigMap reaches several units and both sides). */
export function parseEmbeddedYaml(text: string): unknown {
  if (parsedTexts.has(text)) return parsedTexts.get(text);
  const doc = parseYaml(text);
  if (parsedTexts.size > 4096) parsedTexts.clear();
  parsedTexts.set(text, doc);
  return doc;
}

/** The format of a config, from its key name, then its content. */
export function formatOf(name: string, text: string): { format: ConfigFormat; doc: unknown } {
  // `[ \t]` rather than `\s` around line anchors: `^\s*` under the m flag rescans runs of blank lines
  // (quadratic on a ConfigMap of empty lines).
  if (/\.(river|alloy)$/i.test(name) || /^[ \t]*(discovery|prometheus|loki|otelcol)\.[a-z_.]+[ \t]+"[^"\n]*"[ \t]*\{/m.test(text)) return { format: 'river', doc: null };
  if (/\.(conf|ini)$/i.test(name) || /^[ \t]*\[(SERVICE|INPUT|FILTER|OUTPUT|PARSER)\][ \t]*$/im.test(text)) return { format: 'ini', doc: null };
  const doc = parseEmbeddedYaml(text);
  return doc !== null ? { format: 'yaml', doc } : { format: 'ini', doc: null };
}

/** 0-based line of a path inside a YAML text (its deepest existing prefix). */
function innerLineOf(text: string, path: YamlPath): number {
  return lineOf(text, 0, path) - 1;
}

function textConfig(workload: KubeObject, holder: KubeObject, path: YamlPath, name: string, text: string): AgentConfig {
  const { format, doc } = formatOf(name, text);
  return {
    workload,
    holder,
    path,
    name,
    format,
    text,
    doc,
    // The inner line of a path needs the embedded text parsed with `yaml` (slow): computed only when a
    // finding is reported and its line is asked for.
    locate: (inner) => {
      // A config a chart adapter rendered from values: the path continues into the text, and the adapter
      // maps it (or the text line) back to the values (src/helm/chart.ts, `spot`).
      if (holder.rendered) return { object: holder, path: inner.path && format === 'yaml' ? [...path, ...inner.path] : path, ...(inner.line !== undefined ? { innerLine: inner.line } : {}) };
      let line = inner.line;
      return {
        object: holder,
        path,
        get innerLine() {
          line ??= inner.path && format === 'yaml' ? innerLineOf(text, inner.path) : 0;
          return line;
        },
      };
    },
  };
}

/** A config that is already a parsed mapping inside the holder (OpenTelemetryCollector v1beta1 `spec.config`). */
function mapConfig(workload: KubeObject, path: YamlPath, name: string, doc: unknown): AgentConfig {
  return {
    workload,
    holder: workload,
    path,
    name,
    format: 'yaml',
    text: '',
    doc,
    locate: (inner) => ({ object: workload, path: [...path, ...(inner.path ?? [])] }),
  };
}

// Every watch-all rule, and the RBAC rule's scope evidence, asks for the same workload's configs, on both
// sides of the change: they are found and parsed once per workload object and the ConfigMap objects it
// reads (an unchanged file gives the same objects on both sides, so its detections are shared too).
const configCache = new WeakMap<KubeObject, { uses: ConfigMapUse[]; configs: AgentConfig[] }>();

/** Every config of a per-node workload within its unit (cached, see above). */
export function agentConfigsOf(workload: KubeObject, unitObjects: readonly KubeObject[]): AgentConfig[] {
  const uses = configMapsOf(workload, unitObjects);
  const known = configCache.get(workload);
  if (known && known.uses.length === uses.length && known.uses.every((u, i) => u.configMap === uses[i].configMap && u.keys.join() === uses[i].keys.join())) return known.configs;
  const configs = findConfigs(workload, uses);
  configCache.set(workload, { uses, configs });
  return configs;
}

/**
 * The text keys of a ConfigMap (`data`), or of a Secret (`stringData`, which wins, then `data` decoded from
 * base64; a decoded key has no lines of its own: findings inside it point at the key).
 */
function dataOf(holder: KubeObject): Array<{ key: string; text: string | undefined; path: YamlPath }> {
  const out: Array<{ key: string; text: string | undefined; path: YamlPath }> = [];
  const seen = new Set<string>();
  if (holder.kind === 'Secret') {
    for (const [key, value] of Object.entries(asMap(holder.doc.stringData) ?? {})) {
      seen.add(key);
      out.push({ key, text: asString(value), path: ['stringData', key] });
    }
  }
  for (const [key, value] of Object.entries(asMap(holder.doc.data) ?? {})) {
    if (seen.has(key)) continue;
    const raw = asString(value);
    out.push({ key, text: holder.kind === 'Secret' && raw !== undefined ? decodeBase64(raw) : raw, path: ['data', key] });
  }
  return out;
}

function decodeBase64(raw: string): string | undefined {
  const compact = raw.replace(/\s+/g, '');
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(compact)) return undefined;
  return Buffer.from(compact, 'base64').toString('utf8');
}

function findConfigs(workload: KubeObject, uses: readonly ConfigMapUse[]): AgentConfig[] {
  const out: AgentConfig[] = [];
  // ConfigMaps the pods mount or read.
  const seen = new Set<string>();
  for (const use of uses) {
    for (const { key, text, path } of dataOf(use.configMap)) {
      if (text === undefined || (use.keys.length > 0 && !use.keys.includes(key))) continue;
      const id = `${use.configMap.ref}\u0000${key}`;
      if (seen.has(id)) continue;
      seen.add(id);
      out.push(textConfig(workload, use.configMap, path, key, text));
    }
  }
  // Operator CRs keep their config inline.
  if (workload.kind === 'OpenTelemetryCollector') {
    const config = getIn(workload.doc, ['spec', 'config']);
    if (typeof config === 'string') out.push(textConfig(workload, workload, ['spec', 'config'], 'spec.config', config));
    else if (asMap(config)) out.push(mapConfig(workload, ['spec', 'config'], 'spec.config', config));
  }
  if (workload.kind === 'PrometheusAgent' && asMap(workload.doc.spec)) out.push(mapConfig(workload, ['spec'], 'spec', workload.doc.spec));
  // Container args and env, one per line.
  const specPath = podSpecPath(workload.kind);
  const spec = specPath ? asMap(getIn(workload.doc, specPath)) : undefined;
  if (specPath && spec) {
    for (const list of ['initContainers', 'containers'] as const) {
      asList(spec[list]).forEach((c, i) => {
        const container = asMap(c);
        if (!container) return;
        const lines: string[] = [];
        const where: YamlPath[] = [];
        // One text line per physical line (a `sh -c` script spans several), each mapped to its field.
        const push = (text: string, at: YamlPath) => {
          for (const part of text.split('\n')) {
            lines.push(part);
            where.push(at);
          }
        };
        for (const field of ['command', 'args'] as const) {
          asList(container[field]).forEach((a, j) => {
            const s = asString(a);
            if (s !== undefined) push(s, [...specPath, list, i, field, j]);
          });
        }
        asList(container.env).forEach((e, j) => {
          const env = asMap(e);
          const name = asString(env?.name);
          const value = asString(env?.value);
          if (name && value !== undefined) push(`${name}=${value}`, [...specPath, list, i, 'env', j, 'value']);
        });
        if (!lines.length) return;
        out.push({
          workload,
          holder: workload,
          path: [...specPath, list, i],
          name: `container ${asString(container.name) ?? i}`,
          format: 'args',
          text: lines.join('\n'),
          doc: null,
          locate: (inner) => ({ object: workload, path: where[inner.line ?? 0] ?? [...specPath, list, i] }),
        });
      });
    }
  }
  return out;
}
