/**
 * Config locks (`locks:` in .blast-radius.yml, DESIGN.md): which objects a lock matches, the field path it
 * narrows to, and a ready-to-paste lock entry for an object.
 */
import type { LockConfig } from './config.js';
import type { YamlPath } from './types.js';

/** The identity of an object a lock may match. */
export interface Locked {
  readonly kind: string | null;
  readonly namespace: string | null;
  readonly name: string | null;
}

/**
 * True when every field the lock's `match` names equals the object's (a cluster-scoped object has no
 * namespace); a match naming none of them (rejected by the config check) matches nothing.
 */
export function lockMatches(lock: LockConfig, o: Locked): boolean {
  const m = lock.match;
  if (m.kind !== undefined && m.kind !== o.kind) return false;
  if (m.namespace !== undefined && m.namespace !== o.namespace) return false;
  if (m.name !== undefined && m.name !== o.name) return false;
  return m.kind !== undefined || m.namespace !== undefined || m.name !== undefined;
}

/**
 * The field path a lock narrows to: a list as written, or a dotted string (`spec.template.spec`,
 * `containers[0]`, numeric segments as list indices). A `[name=web]` segment (`containers[name=web].image`,
 * or `"[name=web]"` in the list form) is the list item named `web` wherever it sits, so inserting another
 * item before it does not move the lock. Undefined: the whole object.
 */
export function lockPath(lock: LockConfig): YamlPath | undefined {
  const p = lock.match.path;
  if (p === undefined) return undefined;
  if (Array.isArray(p)) return p;
  return p
    .replace(/\[(\d+)\]/g, '.$1')
    .replace(/\[name=([^\]]*)\]/g, '.[name=$1]')
    .split('.')
    .filter((s) => s !== '')
    .map((s) => (/^\d+$/.test(s) ? Number(s) : s));
}

/** The value under a lock path, and the YAML path (list positions) it was found at (its deepest existing prefix). */
export function atLockPath(doc: unknown, path: YamlPath): { value: unknown; at: YamlPath } {
  let cur: unknown = doc;
  const at: Array<string | number> = [];
  for (const seg of path) {
    const named = typeof seg === 'string' ? /^\[name=(.*)\]$/.exec(seg) : null;
    let next: unknown;
    let key: string | number = seg;
    if (named && Array.isArray(cur)) {
      const i = cur.findIndex((x) => x !== null && typeof x === 'object' && (x as Record<string, unknown>).name === named[1]);
      next = i >= 0 ? cur[i] : undefined;
      key = i;
    } else if (typeof seg === 'number' && Array.isArray(cur)) next = cur[seg];
    else if (typeof seg === 'string' && cur !== null && typeof cur === 'object' && !Array.isArray(cur) && Object.prototype.hasOwnProperty.call(cur, seg)) next = (cur as Record<string, unknown>)[seg];
    if (next === undefined) return { value: undefined, at };
    at.push(key);
    cur = next;
  }
  return { value: cur, at };
}

/** `a.b[0].c`, for messages. */
export function yamlPathText(path: YamlPath): string {
  let out = '';
  for (const p of path) out += typeof p === 'number' ? `[${p}]` : /^\[name=.*\]$/.test(p) ? p : /^[A-Za-z_$][\w$-]*$/.test(p) ? `${out ? '.' : ''}${p}` : `[${JSON.stringify(p)}]`;
  return out;
}

/** A YAML flow scalar: plain when safe, else double-quoted (JSON strings are valid YAML). */
function scalar(s: string): string {
  return /^[A-Za-z0-9][\w./-]*$/.test(s) && !/^(true|false|yes|no|on|off|null|~|[-+]?\d[\d._]*(e[-+]?\d+)?)$/i.test(s) ? s : JSON.stringify(s);
}

/**
 * One lock entry as a single line of YAML (`- { id: …, reason: …, match: { … } }`): it survives being
 * shown in a one-line report field and pastes under `locks:` as it is.
 */
export function lockEntry(id: string, reason: string, o: Locked): string {
  const match = [
    ...(o.kind ? [`kind: ${scalar(o.kind)}`] : []),
    ...(o.namespace ? [`namespace: ${scalar(o.namespace)}`] : []),
    ...(o.name ? [`name: ${scalar(o.name)}`] : []),
  ].join(', ');
  return `- { id: ${id}, reason: ${JSON.stringify(reason)}, match: { ${match} } }`;
}
