/**
 * The real renderers (issue 10): finding `helm` and `kubectl`, giving each check run a private workspace,
 * copying repository files into it, and running the tools there so that rendering a pull request's charts
 * and overlays cannot reach the network, run a plugin, or read outside the copy.
 *
 * What each layer stops, and why it is needed (verified against helm v4.1.4 and kubectl 1.35.2 / 1.32):
 *
 * - Environment: nothing of the caller's is inherited. `HOME`, `TMPDIR`, the XDG dirs and Helm's own homes
 *   (`HELM_CACHE_HOME`, `HELM_CONFIG_HOME`, `HELM_DATA_HOME`, with `HELM_REGISTRY_CONFIG`,
 *   `HELM_REPOSITORY_CONFIG`, `HELM_REPOSITORY_CACHE` and Helm 4's `HELM_CONTENT_CACHE` inside them; see
 *   https://helm.sh/docs/helm/helm/ "Environment variables") point into the workspace. `HELM_PLUGINS` is an
 *   empty dir: this is what keeps plugins out, since Helm 4 still loads getter (downloader) plugins when
 *   `HELM_NO_PLUGINS=1` is set (a getter plugin for `evil://` ran for `helm template -f evil://…` with it
 *   set); `HELM_NO_PLUGINS=1` is set as well, for Helm 3's CLI plugins. `KUBECONFIG` is an empty file, so
 *   no cluster credentials are ever in reach.
 * - Network: `HTTP_PROXY` / `HTTPS_PROXY` / `ALL_PROXY` (and lower-case) name a closed loopback port and
 *   `NO_PROXY` is empty, so every HTTP(S) request the Go tools make (Helm's getters, kustomize's remote
 *   files, both through `http.ProxyFromEnvironment`) fails with `proxyconnect … connection refused`.
 *   Go never proxies requests to `localhost` or a loopback address (golang.org/x/net/http/httpproxy,
 *   `ProxyFunc`: "if req.URL.Host is "localhost" or a loopback address … a nil URL … will be returned"),
 *   so a URL naming 127.0.0.1 goes out directly: the argument check below refuses URLs, and
 *   kustomize.ts refuses kustomizations with remote references before running anything.
 * - PATH: a workspace dir holding only a link to the tool itself, not the tool's own dir. The tool's dir is
 *   often /usr/bin or /usr/local/bin, where `git`, `ssh` and `sh` live, and kustomize runs the `git` it
 *   finds on PATH for remote bases (kustomize api/internal/git: `exec.LookPath("git")`, "no 'git' program
 *   on path" otherwise); git over ssh would not honour the proxy variables.
 * - Arguments: only the subcommands the renderers need (`helm template|version|env|show|lint|plugin list`,
 *   `kubectl kustomize|version --client`); flags that fetch, run code or reach a cluster are refused
 *   (`--dependency-update`, `--post-renderer`, `--repo`, `--enable-dns`, `--set-file`, `--enable-helm`,
 *   `--enable-alpha-plugins`, `--enable-exec`, `--load-restrictor`, `--mount`, `--network`, …), as are
 *   arguments that are URLs (`helm template -f <url>` and a chart URL are fetched by Helm's getters,
 *   plugins included) and paths outside the workspace.
 * - Files: `materialize` writes the repository's files (regular files, from the git tree) into a fresh dir;
 *   it never creates a symlink and refuses absolute paths, `..` segments and NUL, so nothing rendered can
 *   point outside the copy.
 * - Time and size: a timeout per run kills the whole process group; stdout beyond 64 MiB is an error.
 */
import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { accessSync, constants, existsSync, mkdirSync, mkdtempSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';

export interface RenderTool {
  readonly name: 'helm' | 'kubectl';
  readonly path: string;
  readonly version: string;
}

/** A private temp dir for one check run: `dir` for materialized repo files, `home` holding HELM_* homes, an empty plugins dir, an empty kubeconfig. */
export interface Workspace {
  readonly dir: string;
  readonly home: string;
  cleanup(): void;
}

export interface ToolRun {
  readonly ok: boolean;
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
  readonly timedOut: boolean;
}

/** Refused input to `materialize` (a path that could leave the copy). The only error it throws on input. */
export class MaterializeError extends Error {
  override readonly name = 'MaterializeError';
}

/** A proxy nobody listens on: port 9 (discard) on loopback. Requests through it fail at once. */
export const CLOSED_PROXY = 'http://127.0.0.1:9';
/** Largest stdout accepted from one run; more is an error (a runaway template, not a real manifest set). */
export const MAX_STDOUT_BYTES = 64 * 1024 * 1024;
/** stderr kept from one run (the start of it: errors come first). */
const MAX_STDERR_BYTES = 1024 * 1024;
/** Version probes are quick; a binary that hangs on `version` is not used. */
const PROBE_TIMEOUT_MS = 15_000;

// ---------------------------------------------------------------------------------------------------------
// Finding the tools

const versionCache = new Map<string, { version: string } | { error: string }>();

/** True for an existing regular file the process may execute. */
export function isExecutableFile(path: string): boolean {
  try {
    if (!statSync(path).isFile()) return false;
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

function probeVersion(name: RenderTool['name'], path: string): { version: string } | { error: string } {
  const hit = versionCache.get(path);
  if (hit) return hit;
  const args = name === 'helm' ? ['version', '--short'] : ['version', '--client', '-o', 'json'];
  let result: { version: string } | { error: string };
  let ws: Workspace | undefined;
  try {
    ws = createWorkspace();
    const run = spawnSync(path, args, {
      cwd: ws.dir,
      env: toolEnvironment({ name, path }, ws),
      stdio: ['ignore', 'pipe', 'pipe'],
      timeout: PROBE_TIMEOUT_MS,
      killSignal: 'SIGKILL',
      maxBuffer: 1024 * 1024,
      encoding: 'utf8',
    });
    if (run.error || run.status !== 0) {
      const why = run.error?.message ?? (run.stderr.trim().split('\n')[0] || `exit ${String(run.status)}`);
      result = { error: `\`${name} ${args.join(' ')}\` failed: ${why}` };
    } else if (name === 'helm') {
      const v = run.stdout.trim().split('\n')[0] ?? '';
      // Helm 2's `version` talks to Tiller and its `template` differs: only v3 and later are used.
      result = /^v?([3-9]|\d{2,})\.\d+/.test(v) ? { version: v } : { error: `helm ${JSON.stringify(v)} is not Helm 3 or later` };
    } else {
      let v: unknown;
      try {
        v = (JSON.parse(run.stdout) as { clientVersion?: { gitVersion?: unknown } }).clientVersion?.gitVersion;
      } catch {
        v = undefined;
      }
      result = typeof v === 'string' && v ? { version: v } : { error: 'kubectl did not report its client version' };
    }
  } catch (e) {
    result = { error: `cannot run ${name}: ${e instanceof Error ? e.message : String(e)}` };
  } finally {
    ws?.cleanup();
  }
  versionCache.set(path, result);
  return result;
}

function findTool(name: RenderTool['name'], envVar: string, env: NodeJS.ProcessEnv, notes: string[]): RenderTool | undefined {
  let path: string | undefined;
  const explicit = env[envVar];
  if (explicit) {
    // An explicit setting that does not work is reported, not silently replaced by whatever PATH has.
    // A relative one would resolve against the working directory: the checked-out pull request.
    if (!isAbsolute(explicit)) {
      notes.push(`${envVar}=${explicit} is not an absolute path: ${name} not used`);
      return undefined;
    }
    if (!isExecutableFile(explicit)) {
      notes.push(`${envVar}=${explicit} is not an executable file: ${name} not used`);
      return undefined;
    }
    path = explicit;
  } else {
    // Only absolute PATH entries: an empty or relative entry means the current directory, which for a
    // pull-request check is the checked-out pull request, which could ship its own `helm`.
    for (const dir of (env.PATH ?? '').split(delimiter)) {
      if (!dir || !isAbsolute(dir)) continue;
      const candidate = join(dir, name);
      if (isExecutableFile(candidate)) {
        path = candidate;
        break;
      }
    }
    if (!path) {
      notes.push(`no ${name} on PATH (nor ${envVar})`);
      return undefined;
    }
  }
  const probe = probeVersion(name, path);
  if ('error' in probe) {
    notes.push(`${path}: ${probe.error}; ${name} not used`);
    return undefined;
  }
  return { name, path, version: probe.version };
}

/** HELM_BIN / KUBECTL_BIN (must be absolute paths of executable files), else the first `helm` / `kubectl` on env.PATH; version probed once (`helm version --short`, `kubectl version --client -o json`), cached per path. */
export function findTools(env: NodeJS.ProcessEnv = process.env): { helm?: RenderTool; kubectl?: RenderTool; notes: string[] } {
  const notes: string[] = [];
  const helm = findTool('helm', 'HELM_BIN', env, notes);
  const kubectl = findTool('kubectl', 'KUBECTL_BIN', env, notes);
  return { ...(helm ? { helm } : {}), ...(kubectl ? { kubectl } : {}), notes };
}

// ---------------------------------------------------------------------------------------------------------
// Workspace and files

/** Where each home lives inside `ws.home` (one place, so the env and the dirs created agree). */
function homes(home: string) {
  const helm = join(home, 'helm');
  return {
    tmp: join(home, 'tmp'),
    xdgCache: join(home, 'xdg', 'cache'),
    xdgConfig: join(home, 'xdg', 'config'),
    xdgData: join(home, 'xdg', 'data'),
    helmCache: join(helm, 'cache'),
    helmConfig: join(helm, 'config'),
    helmData: join(helm, 'data'),
    helmPlugins: join(helm, 'plugins'),
    kustomizePlugins: join(home, 'kustomize-plugins'),
    kubeconfig: join(home, 'kubeconfig'),
  };
}

/** A private temp dir for one check run (mode 0700, from mkdtemp). `cleanup()` removes it and never throws. */
export function createWorkspace(): Workspace {
  const root = mkdtempSync(join(tmpdir(), 'blast-radius-render-'));
  const dir = join(root, 'repo');
  const home = join(root, 'home');
  mkdirSync(dir);
  const h = homes(home);
  for (const d of [h.tmp, h.xdgCache, h.xdgConfig, h.xdgData, h.helmCache, h.helmConfig, h.helmData, h.helmPlugins, h.kustomizePlugins]) {
    mkdirSync(d, { recursive: true });
  }
  writeFileSync(h.kubeconfig, '');
  return {
    dir,
    home,
    cleanup() {
      try {
        rmSync(root, { recursive: true, force: true });
      } catch {
        // A temp dir left behind is not worth failing a check for.
      }
    },
  };
}

/** The segments of a repository-relative path, or a reason it is refused. */
function safeSegments(path: string): string[] | string {
  if (path.length === 0) return 'empty path';
  if (path.includes('\0')) return 'NUL in path';
  if (path.startsWith('/') || isAbsolute(path) || /^[A-Za-z]:[\\/]/.test(path)) return 'absolute path';
  const segments = path.split('/').filter((s) => s !== '' && s !== '.');
  if (segments.includes('..')) return '`..` segment';
  if (segments.length === 0) return 'no file name';
  return segments;
}

/** Writes repository files (regular files only, from the git tree, never symlinks) under ws.dir/<sub>; refuses absolute paths, `..` segments, NUL. Returns the absolute root. */
export function materialize(ws: Workspace, files: Iterable<{ readonly path: string; readonly text: string | Uint8Array }>, sub: string): string {
  const subSegments = safeSegments(sub);
  if (typeof subSegments === 'string') throw new MaterializeError(`materialize: sub dir ${JSON.stringify(sub)} refused (${subSegments})`);
  const root = join(ws.dir, ...subSegments);
  mkdirSync(root, { recursive: true });
  for (const file of files) {
    const segments = safeSegments(file.path);
    if (typeof segments === 'string') throw new MaterializeError(`materialize: ${JSON.stringify(file.path)} refused (${segments})`);
    const target = join(root, ...segments);
    // Only this function creates entries under ws.dir and it makes no symlinks, so the dirs on the way
    // are real dirs of the copy; a file and a dir of the same name fail here (ENOTDIR / EISDIR).
    try {
      mkdirSync(dirname(target), { recursive: true });
      writeFileSync(target, file.text, { mode: 0o644 });
    } catch (e) {
      throw new MaterializeError(`materialize: cannot write ${JSON.stringify(file.path)}: ${e instanceof Error ? e.message : String(e)}`);
    }
  }
  return root;
}

// ---------------------------------------------------------------------------------------------------------
// Running

/**
 * The whole environment a tool runs with (exported for the safety tests, which spawn a tool with it
 * directly to show that the environment alone stops a tool that tries to fetch or load a plugin).
 */
export function toolEnvironment(tool: Pick<RenderTool, 'name' | 'path'>, ws: Workspace): Record<string, string> {
  const h = homes(ws.home);
  // PATH holds only a link to the tool (see the module comment); made on first use, one dir per binary.
  const bin = join(ws.home, `path-${tool.name}-${createHash('sha256').update(tool.path).digest('hex').slice(0, 16)}`);
  const link = join(bin, tool.name);
  if (!existsSync(bin)) {
    mkdirSync(bin, { recursive: true });
    symlinkSync(tool.path, link);
  }
  return {
    PATH: bin,
    HOME: ws.home,
    TMPDIR: h.tmp,
    XDG_CACHE_HOME: h.xdgCache,
    XDG_CONFIG_HOME: h.xdgConfig,
    XDG_DATA_HOME: h.xdgData,
    HELM_CACHE_HOME: h.helmCache,
    HELM_CONFIG_HOME: h.helmConfig,
    HELM_DATA_HOME: h.helmData,
    HELM_PLUGINS: h.helmPlugins,
    HELM_NO_PLUGINS: '1',
    HELM_REGISTRY_CONFIG: join(h.helmConfig, 'registry', 'config.json'),
    HELM_REPOSITORY_CONFIG: join(h.helmConfig, 'repositories.yaml'),
    HELM_REPOSITORY_CACHE: join(h.helmCache, 'repository'),
    HELM_CONTENT_CACHE: join(h.helmCache, 'content'),
    KUSTOMIZE_PLUGIN_HOME: h.kustomizePlugins,
    KUBECONFIG: h.kubeconfig,
    HTTP_PROXY: CLOSED_PROXY,
    HTTPS_PROXY: CLOSED_PROXY,
    ALL_PROXY: CLOSED_PROXY,
    http_proxy: CLOSED_PROXY,
    https_proxy: CLOSED_PROXY,
    all_proxy: CLOSED_PROXY,
    NO_PROXY: '',
    no_proxy: '',
  };
}

const HELM_SUBCOMMANDS = new Set(['template', 'version', 'env', 'show', 'lint', 'plugin']);
const KUBECTL_SUBCOMMANDS = new Set(['kustomize', 'version']);
/** Flags that fetch, run code, write outside the workspace or reach a cluster. */
const HELM_REFUSED = new Set([
  '--dependency-update', '--post-renderer', '--post-renderer-args', '--repo', '--enable-dns', '--set-file', '--dry-run',
  '--output-dir', '--verify', '--keyring', '--username', '--password', '--pass-credentials', '--plain-http',
  '--insecure-skip-tls-verify', '--ca-file', '--cert-file', '--key-file', '--content-cache', '--registry-config',
  '--repository-config', '--repository-cache', '--kubeconfig', '--kube-context', '--kube-apiserver', '--kube-token',
  '--kube-as-user', '--kube-as-group', '--kube-ca-file', '--kube-insecure-skip-tls-verify', '--kube-tls-server-name',
  '--validate', '--devel', '--version',
]);
const KUBECTL_REFUSED = new Set([
  '--enable-helm', '--helm-command', '--enable-alpha-plugins', '--enable-exec', '--enable-star', '--load-restrictor',
  '--mount', '--network', '--network-name', '--env', '-e', '--as-current-user', '--kubeconfig', '--server', '-s',
  '--token', '--context', '--cluster', '--user',
]);
/** Flags whose value is a literal values entry (may legitimately hold a URL or `..`), not a path. */
const HELM_SET_FLAGS = new Set(['--set', '--set-string', '--set-json', '--set-literal']);

function inside(parent: string, path: string): boolean {
  const rel = relative(parent, path);
  return rel === '' || (!rel.startsWith(`..${sep}`) && rel !== '..' && !isAbsolute(rel));
}

/** Why `args` are refused for `tool`, or undefined when they may run. */
export function refusedArguments(tool: Pick<RenderTool, 'name'>, args: readonly string[], cwd: string, ws: Workspace): string | undefined {
  const sub = args[0];
  const allowed = tool.name === 'helm' ? HELM_SUBCOMMANDS : KUBECTL_SUBCOMMANDS;
  if (sub === undefined || !allowed.has(sub)) return `subcommand ${JSON.stringify(sub ?? '')} is not one the renderers use`;
  if (tool.name === 'helm' && sub === 'plugin' && (args.length !== 2 || !['list', 'ls'].includes(args[1] ?? ''))) return 'only `helm plugin list` is allowed';
  // Without --client, `kubectl version` asks a cluster for its version.
  if (tool.name === 'kubectl' && sub === 'version' && !args.some((a) => a === '--client' || a === '--client=true')) return '`kubectl version` needs --client';
  const refused = tool.name === 'helm' ? HELM_REFUSED : KUBECTL_REFUSED;
  const roots = [ws.dir, ws.home];
  if (!roots.some((r) => inside(r, resolve(cwd)))) return `working directory ${cwd} is outside the workspace`;
  let literal = false;
  for (const arg of args.slice(1)) {
    let value: string | undefined = arg;
    if (arg.startsWith('-')) {
      const eq = arg.indexOf('=');
      const flag = eq < 0 ? arg : arg.slice(0, eq);
      if (refused.has(flag)) return `flag ${flag} is refused (network, code execution or outside access)`;
      literal = tool.name === 'helm' && HELM_SET_FLAGS.has(flag);
      if (eq < 0) continue;
      value = arg.slice(eq + 1);
      if (literal) {
        literal = false;
        continue;
      }
    } else if (literal) {
      literal = false;
      continue;
    }
    if (/^[a-z][a-z0-9+.-]*:\/\//i.test(value) || /^oci:/i.test(value)) return `argument ${JSON.stringify(value)} is a URL`;
    if (value.includes('\0')) return 'NUL in an argument';
    // Words without a slash cannot leave the working directory; paths must stay in the workspace.
    if ((value.includes('/') || value === '..' || value.startsWith('~')) && !roots.some((r) => inside(r, resolve(cwd, value)))) {
      return `argument ${JSON.stringify(value)} is a path outside the workspace`;
    }
  }
  return undefined;
}

function killGroup(pid: number | undefined): void {
  if (pid === undefined) return;
  try {
    process.kill(-pid, 'SIGKILL');
  } catch {
    // ESRCH: the group is already gone.
  }
}

/** Runs a tool with a clean environment: PATH only the tool's dir, HOME and HELM_* homes in the workspace (HELM_PLUGINS an empty dir, HELM_REGISTRY_CONFIG / HELM_REPOSITORY_CONFIG / HELM_REPOSITORY_CACHE inside it), KUBECONFIG an empty file, HTTP_PROXY/HTTPS_PROXY/ALL_PROXY (and lower-case) set to a closed loopback port and NO_PROXY empty (no network even if the tool tried), nothing else inherited; a timeout (kill the process group); stdout capped (e.g. 64 MiB → error). */
export function runTool(tool: RenderTool, args: readonly string[], opts: { readonly cwd: string; readonly workspace: Workspace; readonly timeoutMs: number }): Promise<ToolRun> {
  const refusal = (stderr: string): Promise<ToolRun> => Promise.resolve({ ok: false, code: null, stdout: '', stderr, timedOut: false });
  if (!isAbsolute(tool.path)) return refusal(`blast-radius: ${tool.name} path ${tool.path} is not absolute`);
  const why = refusedArguments(tool, args, opts.cwd, opts.workspace);
  if (why) return refusal(`blast-radius: refused to run ${tool.name}: ${why}`);
  let env: Record<string, string>;
  try {
    env = toolEnvironment(tool, opts.workspace);
  } catch (e) {
    return refusal(`blast-radius: cannot prepare ${tool.name}'s environment: ${e instanceof Error ? e.message : String(e)}`);
  }

  return new Promise<ToolRun>((resolveRun) => {
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    let outBytes = 0;
    let errBytes = 0;
    let timedOut = false;
    let overflow = false;
    let spawnError: string | undefined;
    let settled = false;

    // detached: the tool leads its own process group, so a timeout kills what it started too.
    const child = spawn(tool.path, [...args], { cwd: opts.cwd, env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    const timer = setTimeout(() => {
      timedOut = true;
      killGroup(child.pid);
    }, Math.max(1, opts.timeoutMs));

    child.stdout.on('data', (chunk: Buffer) => {
      if (overflow) return;
      outBytes += chunk.length;
      if (outBytes > MAX_STDOUT_BYTES) {
        overflow = true;
        out.length = 0;
        killGroup(child.pid);
        return;
      }
      out.push(chunk);
    });
    child.stderr.on('data', (chunk: Buffer) => {
      if (errBytes >= MAX_STDERR_BYTES) return;
      const keep = chunk.subarray(0, MAX_STDERR_BYTES - errBytes);
      errBytes += keep.length;
      err.push(keep);
    });
    // Whatever the tool left running in its group goes with it.
    child.on('exit', () => killGroup(child.pid));
    const finish = (code: number | null) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      let stderr = Buffer.concat(err).toString('utf8');
      if (spawnError) stderr = `blast-radius: cannot run ${tool.path}: ${spawnError}\n${stderr}`;
      if (overflow) stderr = `blast-radius: ${tool.name} wrote more than ${MAX_STDOUT_BYTES} bytes to stdout; stopped\n${stderr}`;
      if (timedOut) stderr = `blast-radius: ${tool.name} timed out after ${opts.timeoutMs} ms; killed\n${stderr}`;
      resolveRun({
        ok: code === 0 && !timedOut && !overflow && !spawnError,
        code,
        stdout: overflow ? '' : Buffer.concat(out).toString('utf8'),
        stderr,
        timedOut,
      });
    };
    child.on('error', (e) => {
      spawnError = e.message;
      // A spawn failure emits no 'close' when the process never started.
      if (child.pid === undefined) finish(null);
    });
    child.on('close', (code) => finish(code));
  });
}
