/**
 * A small, forgiving Corefile parser (CoreDNS configuration, Caddy v1 syntax) and the cache facts the
 * blast-radius rules need.
 *
 * Syntax followed (coredns/caddy `caddyfile` lexer and parser):
 * - tokens are separated by whitespace; a token starting with `"` runs to the next unescaped `"` (it may
 *   span lines, `\"` is a quote); outside quotes `#` starts a comment that runs to the end of the line,
 *   even in the middle of a token;
 * - a server block is one or more keys (`.:53`, `cluster.local:53 example.org`, `(snippet)`) followed by a
 *   body in `{ … }`; a Corefile with a single server block may omit the braces;
 * - in a body each line is a directive (a plugin): its name, its arguments up to the end of the line, and an
 *   optional nested block opened by `{` on the same line and closed by `}`; nested blocks nest.
 *
 * Never throws: unbalanced braces close at the end of the text, a stray `}` is skipped, nesting deeper than
 * {@link MAX_DEPTH} is read flat, and texts longer than {@link MAX_TEXT} are cut.
 */

/** One directive: a plugin line of a server block, or a sub-directive inside a plugin's block. */
export interface Directive {
  /** As written (plugin names are lower-case in CoreDNS; not normalised). */
  readonly name: string;
  readonly args: readonly string[];
  /** The nested `{ … }` block, when there is one. */
  readonly block?: readonly Directive[];
  /** 0-based line of the name in the text. */
  readonly line: number;
}

export interface ServerBlock {
  /** The keys as written. */
  readonly keys: readonly string[];
  /** A stable identity: the normalised keys, sorted, joined with a space (`.:53`, `cluster.local:53`). */
  readonly id: string;
  /** True for a snippet definition `(name) { … }`. */
  readonly snippet: boolean;
  readonly directives: readonly Directive[];
  /** 0-based line of the first key. */
  readonly line: number;
}

export interface Corefile {
  readonly servers: readonly ServerBlock[];
}

/** Longest text read (a Corefile is a few kilobytes; anything beyond this is cut). */
export const MAX_TEXT = 1_000_000;
/** Deepest nesting read as blocks; deeper braces are read as plain arguments. */
export const MAX_DEPTH = 32;

interface Token {
  readonly text: string;
  /** 0-based line where the token starts. */
  readonly line: number;
  /** 0-based line where it ends (a quoted token may span lines). */
  readonly end: number;
  readonly quoted: boolean;
}

function tokenize(input: string): Token[] {
  const text = input.length > MAX_TEXT ? input.slice(0, MAX_TEXT) : input;
  const out: Token[] = [];
  let line = 0;
  let i = text.charCodeAt(0) === 0xfeff ? 1 : 0;
  while (i < text.length) {
    const ch = text[i];
    if (ch === '\n') {
      line++;
      i++;
      continue;
    }
    if (ch === ' ' || ch === '\t' || ch === '\r' || ch === '\f' || ch === '\v') {
      i++;
      continue;
    }
    if (ch === '#') {
      while (i < text.length && text[i] !== '\n') i++;
      continue;
    }
    if (ch === '"') {
      const start = line;
      let val = '';
      i++;
      while (i < text.length) {
        const c = text[i];
        if (c === '\\' && text[i + 1] === '"') {
          val += '"';
          i += 2;
          continue;
        }
        if (c === '"') {
          i++;
          break;
        }
        if (c === '\n') line++;
        val += c;
        i++;
      }
      out.push({ text: val, line: start, end: line, quoted: true });
      continue;
    }
    let j = i;
    while (j < text.length && !/[\s#]/.test(text[j])) j++;
    out.push({ text: text.slice(i, j), line, end: line, quoted: false });
    i = j;
  }
  return out;
}

const isOpen = (t: Token | undefined) => t !== undefined && !t.quoted && t.text === '{';
const isClose = (t: Token | undefined) => t !== undefined && !t.quoted && t.text === '}';

class Parser {
  private pos = 0;
  constructor(private readonly tokens: readonly Token[]) {}

  private peek(): Token | undefined {
    return this.tokens[this.pos];
  }

  /** True when the next token starts on the line where `prev` ends. */
  private sameLine(prev: Token): boolean {
    const t = this.peek();
    return t !== undefined && t.line === prev.end;
  }

  /** Directives until the matching `}` (consumed) or the end of the text. */
  body(depth: number): Directive[] {
    const out: Directive[] = [];
    for (;;) {
      const t = this.peek();
      if (!t) return out;
      if (isClose(t)) {
        this.pos++;
        if (depth > 0) return out;
        continue; // a stray `}` at the top level
      }
      if (isOpen(t) && depth < MAX_DEPTH) {
        // A block with no directive name: read it and keep its directives in place.
        this.pos++;
        out.push(...this.body(depth + 1));
        continue;
      }
      this.pos++;
      const args: string[] = [];
      let last = t;
      let block: Directive[] | undefined;
      while (this.sameLine(last)) {
        const a = this.peek()!;
        if (isClose(a)) break;
        if (isOpen(a) && depth < MAX_DEPTH) {
          this.pos++;
          block = this.body(depth + 1);
          break;
        }
        args.push(a.text);
        last = a;
        this.pos++;
      }
      out.push({ name: t.text, args, line: t.line, ...(block ? { block } : {}) });
    }
  }

  corefile(): Corefile {
    const servers: ServerBlock[] = [];
    for (;;) {
      let t = this.peek();
      while (t && isClose(t)) {
        this.pos++;
        t = this.peek();
      }
      if (!t) break;
      if (isOpen(t)) {
        // A body with no keys: read it as an anonymous block.
        this.pos++;
        servers.push(server([], this.body(1), t.line));
        continue;
      }
      // Keys: the tokens of this line (and of the next ones while a key ends with a comma), up to `{`.
      const keys: string[] = [];
      let last = t;
      keys.push(t.text);
      this.pos++;
      for (;;) {
        const n = this.peek();
        if (!n || isOpen(n) || isClose(n)) break;
        if (!(n.line === last.end || last.text.endsWith(','))) break;
        keys.push(n.text);
        last = n;
        this.pos++;
      }
      if (isOpen(this.peek())) {
        this.pos++;
        servers.push(server(keys, this.body(1), t.line));
      } else {
        // No braces: a single server block whose body runs to the end of the text.
        servers.push(server(keys, this.body(0), t.line));
      }
    }
    return { servers };
  }
}

/** A server key made comparable: lower-case, no `dns://`, no trailing dot on a zone, port 53 when none. */
export function normalizeKey(key: string): string {
  let k = key.trim().toLowerCase().replace(/,+$/, '');
  if (k.startsWith('dns://')) k = k.slice('dns://'.length);
  if (/^[a-z0-9+.-]+:\/\//.test(k) || /^\(.*\)$/.test(k)) return k;
  const m = /^([\s\S]*?)(?::(\d+))?$/.exec(k)!;
  let zone = m[1];
  if (zone.length > 1 && zone.endsWith('.')) zone = zone.slice(0, -1);
  if (zone === '') zone = '.';
  return `${zone}:${m[2] ?? '53'}`;
}

function server(rawKeys: readonly string[], directives: Directive[], line: number): ServerBlock {
  const keys = rawKeys.flatMap((k) => k.split(',')).filter((k) => k !== '');
  const snippet = keys.length === 1 && /^\(.*\)$/.test(keys[0]);
  const id = [...new Set(keys.map(normalizeKey))].sort().join(' ');
  return { keys, id, snippet, directives, line };
}

const parsedCorefiles = new Map<string, Corefile>();
const parsedBodies = new Map<string, Directive[]>();

function remember<T>(cache: Map<string, T>, text: string, make: () => T): T {
  const known = cache.get(text);
  if (known !== undefined) return known;
  const value = make();
  if (cache.size > 1024) cache.clear();
  cache.set(text, value);
  return value;
}

/** Parses a Corefile (cached per text). */
export function parseCorefile(text: string): Corefile {
  return remember(parsedCorefiles, text, () => new Parser(tokenize(text)).corefile());
}

/**
 * Parses a list of directives with no server block around them: an `*.override` key of `coredns-custom`,
 * which CoreDNS imports inside the main server block (cached per text).
 */
export function parseDirectives(text: string): Directive[] {
  return remember(parsedBodies, text, () => new Parser(tokenize(text)).body(0));
}

/** A canonical form of a directive list: equal for texts that differ only in comments and whitespace. */
export function canonical(directives: readonly Directive[] | undefined): string {
  return JSON.stringify((directives ?? []).map(canon));
}

function canon(d: Directive): unknown {
  return d.block ? [d.name, d.args, d.block.map(canon)] : [d.name, d.args];
}

/** The first top-level directive named `name` (plugin names compared case-insensitively). */
export function directiveOf(directives: readonly Directive[], name: string): Directive | undefined {
  return directives.find((d) => d.name.toLowerCase() === name);
}

/** CoreDNS cache defaults (`plugin/cache`): max TTL 3600 s for NOERROR answers, 1800 s for denials. */
export const CACHE_DEFAULT_SUCCESS_TTL = 3600;
export const CACHE_DEFAULT_DENIAL_TTL = 1800;
/** `serve_stale` without a duration serves expired entries for up to 1 h. */
export const CACHE_DEFAULT_STALE = 3600;
/** The kubernetes plugin's answer TTL when `ttl` is not set. */
export const KUBERNETES_DEFAULT_TTL = 5;

/** What one `cache` directive sets. */
export interface CacheSettings {
  /** Max TTL of successful answers, seconds. */
  readonly success: number;
  /** Max TTL of denial-of-existence answers (NXDOMAIN, NODATA), seconds. */
  readonly denial: number;
  /** How long past expiry `serve_stale` serves entries, seconds (0 when not set). */
  readonly stale: number;
  /** Line of the directive or sub-directive that sets the largest TTL. */
  readonly line: number;
}

/** A whole positive number of seconds (`strconv.Atoi` then > 0), else undefined. */
function positiveInt(s: string | undefined): number | undefined {
  if (s === undefined || !/^\+?\d+$/.test(s)) return undefined;
  const n = Number(s);
  return Number.isSafeInteger(n) && n > 0 ? n : undefined;
}

/** Go `time.ParseDuration` for the usual forms (`1h`, `30m`, `90s`, `1h30m`, `0`), in seconds; else undefined. */
export function goDuration(s: string | undefined): number | undefined {
  if (s === undefined) return undefined;
  if (s === '0') return 0;
  const units: Record<string, number> = { ns: 1e-9, us: 1e-6, µs: 1e-6, ms: 1e-3, s: 1, m: 60, h: 3600 };
  const re = /(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|ms|s|m|h)/y;
  let total = 0;
  let i = 0;
  while (i < s.length) {
    re.lastIndex = i;
    const m = re.exec(s);
    if (!m) return undefined;
    total += Number(m[1]) * units[m[2]];
    i = re.lastIndex;
  }
  return i > 0 ? total : undefined;
}

/**
 * What a `cache` directive sets (plugin/cache `setup.go`): `cache [TTL] [ZONES…]` sets both max TTLs
 * (defaults 3600 s success, 1800 s denial); `success CAPACITY [TTL]` and `denial CAPACITY [TTL]` in its block
 * override one each; `serve_stale [DURATION]` keeps serving expired entries (default 1 h).
 */
export function cacheSettings(d: Directive): CacheSettings {
  let success = CACHE_DEFAULT_SUCCESS_TTL;
  let denial = CACHE_DEFAULT_DENIAL_TTL;
  let stale = 0;
  let successLine = d.line;
  let denialLine = d.line;
  const ttl = positiveInt(d.args[0]);
  if (ttl !== undefined) success = denial = ttl;
  for (const sub of d.block ?? []) {
    const name = sub.name.toLowerCase();
    const value = positiveInt(sub.args[1]);
    if (name === 'success' && value !== undefined) {
      success = value;
      successLine = sub.line;
    } else if (name === 'denial' && value !== undefined) {
      denial = value;
      denialLine = sub.line;
    } else if (name === 'serve_stale') {
      stale = sub.args.length === 0 ? CACHE_DEFAULT_STALE : (goDuration(sub.args[0]) ?? CACHE_DEFAULT_STALE);
    }
  }
  return { success, denial, stale, line: success >= denial ? successLine : denialLine };
}

/** The answer TTL of a `kubernetes` directive (`ttl` in its block; default 5 s, range 0–3600). */
export function kubernetesTtl(d: Directive): { ttl: number; line: number } {
  const sub = (d.block ?? []).find((s) => s.name.toLowerCase() === 'ttl');
  const value = sub?.args[0] !== undefined && /^\d+$/.test(sub.args[0]) ? Number(sub.args[0]) : undefined;
  return value !== undefined && value <= 3600 ? { ttl: value, line: sub!.line } : { ttl: KUBERNETES_DEFAULT_TTL, line: d.line };
}

/**
 * The largest max TTL, in seconds, that the `cache` plugin of any server block of a Corefile sets (3600
 * for a bare `cache`), or undefined when no server block uses `cache`.
 */
export function cacheTtlOf(corefileText: string): number | undefined {
  let max: number | undefined;
  for (const s of parseCorefile(corefileText).servers) {
    const d = directiveOf(s.directives, 'cache');
    if (!d) continue;
    const c = cacheSettings(d);
    max = Math.max(max ?? 0, c.success, c.denial);
  }
  return max;
}

/** The longest `serve_stale` duration of any server block's `cache`, in seconds (0 when none). */
export function serveStaleOf(corefileText: string): number {
  let max = 0;
  for (const s of parseCorefile(corefileText).servers) {
    const d = directiveOf(s.directives, 'cache');
    if (d) max = Math.max(max, cacheSettings(d).stale);
  }
  return max;
}
