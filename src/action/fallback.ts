/**
 * The change set through the API, for a checkout that lacks the base or head commit and cannot fetch it:
 * the pull request's changed files (`pulls.listFiles`, paginated, at most 3,000 as GitHub lists) and the
 * YAML ones' contents on both sides. Only those files are analysed — no Kustomize graph around them, no
 * revert history — and a note says so and how to get the full analysis (`fetch-depth: 0`).
 */
import { formatProblem, parseConfig, defaultConfig, type Config } from '../config.js';
import { analyze } from '../engine.js';
import { UsageError } from '../errors.js';
import { treeFromFiles, type FileInput } from '../tree.js';
import type { ChangedFile, ParsedFile } from '../types.js';
import { isYamlPath } from '../yaml/parse.js';
import { RULES } from '../../rules/index.js';
import { statusOf, type Octokit } from './github.js';

/** GitHub lists at most this many files of a pull request. */
const MAX_FILES = 3000;
/** Contents requests in flight at once. */
const CONCURRENCY = 8;

interface ApiFile {
  filename: string;
  status: string;
  previous_filename?: string;
}

/** A file's text at a ref (the raw media type: files over 1 MB too), or null when it is not there. */
async function content(gh: Octokit, owner: string, repo: string, path: string, ref: string): Promise<string | null> {
  try {
    const { data } = await gh.rest.repos.getContent({ owner, repo, path, ref, mediaType: { format: 'raw' } });
    if (typeof data === 'string') return data;
    // A server that answers with the JSON object anyway: its base64 content.
    const file = data as { type?: string; content?: unknown };
    return !Array.isArray(data) && file.type === 'file' && typeof file.content === 'string' ? Buffer.from(file.content, 'base64').toString('utf8') : null;
  } catch (e) {
    if (statusOf(e) === 404) return null;
    throw e;
  }
}

/** Runs `fn` over `items`, at most `limit` at a time. */
async function pool<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}

export interface ApiChange {
  config: Config;
  analyzeWith(labels: string[]): ReturnType<typeof analyze>;
}

export async function changeThroughApi(gh: Octokit, t: { owner: string; repo: string; number: number; base: string; head: string }, configPath: string): Promise<ApiChange> {
  const { owner, repo, number } = t;
  const listed = (await gh.paginate(gh.rest.pulls.listFiles, { owner, repo, pull_number: number, per_page: 100 })) as ApiFile[];
  const files: ChangedFile[] = listed.slice(0, MAX_FILES).map((f) =>
    f.status === 'renamed' && f.previous_filename
      ? { path: f.filename, status: 'renamed', oldPath: f.previous_filename }
      : { path: f.filename, status: f.status === 'added' || f.status === 'copied' ? 'added' : f.status === 'removed' ? 'deleted' : 'modified' },
  );
  // Only YAML is read (two requests a file at most), a few at a time.
  const reads = files.flatMap((f) => [
    ...(f.status !== 'added' && isYamlPath(f.oldPath ?? f.path) ? [{ side: 'base' as const, path: f.oldPath ?? f.path, ref: t.base }] : []),
    ...(f.status !== 'deleted' && isYamlPath(f.path) ? [{ side: 'head' as const, path: f.path, ref: t.head }] : []),
  ]);
  const texts = await pool(reads, CONCURRENCY, (r) => content(gh, owner, repo, r.path, r.ref));
  const base: FileInput[] = [];
  const head: FileInput[] = [];
  reads.forEach((r, i) => {
    const text = texts[i];
    if (text !== null) (r.side === 'base' ? base : head).push({ path: r.path, text });
  });
  const configText = await content(gh, owner, repo, configPath, t.base);
  let config = defaultConfig();
  if (configText !== null) {
    const parsed = parseConfig(configText, RULES.map((r) => r.meta.id));
    if (!parsed.ok) throw new UsageError(`invalid config ${formatProblem(configPath, parsed.problems[0])} (read from the base commit)`);
    config = parsed.config;
  }
  const cache = new Map<string, ParsedFile>();
  const notes = [
    `the checkout lacks the base or head commit, so only the ${files.length} changed file${files.length === 1 ? '' : 's'} of the pull request ${files.length === 1 ? 'was' : 'were'} read through the API and analysed on their own (no Kustomize graph around them, no revert history): check out with \`actions/checkout\` and \`fetch-depth: 0\``,
    ...(listed.length > MAX_FILES ? [`the pull request changes more than ${MAX_FILES} files; GitHub lists only the first ${MAX_FILES}`] : []),
  ];
  const changes = { base: t.base, head: t.head, files };
  return {
    config,
    analyzeWith: (labels) =>
      analyze({
        changes,
        base: treeFromFiles('base', base, cache),
        head: treeFromFiles('head', head, cache),
        config,
        rules: RULES,
        labels,
        notes,
      }),
  };
}
