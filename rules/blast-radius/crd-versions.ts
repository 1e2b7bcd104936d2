/**
 * blast-radius/crd-versions — CustomResourceDefinition edits that take a version away from its clients or
 * put a webhook on every read and write of the type (RULEBOOK C.5, [S-CRD-API]).
 *
 * A change rule over `CustomResourceDefinition` of `apiextensions.k8s.io/v1` and `/v1beta1` present on both
 * sides (same deployable unit and name): a CRD added by the pull request is new (nothing can use it yet) and
 * a deleted one is `blast-radius/deletion`'s. Per version of `spec.versions` (v1beta1: the single
 * `spec.version` when `versions` is absent):
 *
 * - high `version-removed:<v>`: a version that was served is removed; medium when it was already unserved
 *   (no client can be using it; the API server still refuses the update while `status.storedVersions` lists it);
 * - high `version-unserved:<v>`: `served` goes from true to anything else;
 * - high `storage-switch`: the storage version moves and the old storage version is removed in the same change
 *   (replaces `version-removed` for that version): the API server refuses the update while objects stored at
 *   the old version are listed in `status.storedVersions`;
 * - medium `conversion-webhook`: `spec.conversion.strategy` becomes `Webhook`, or the webhook's client config
 *   (service, URL, CA bundle) changes while it is `Webhook`.
 *
 * Removal and unserving messages count the custom resources of the repository (head tree, copies of one
 * source counted once) still written as `<group>/<version>` with the CRD's kind. Comment-, label- and
 * annotation-only edits and added versions are quiet: only the fields above are compared.
 */
import { changedPairs, type ObjectPair, sameValue, type VerdictSink, verdictSink } from '../../src/changes.js';
import type { ChangeContext, ChangeRule } from '../../src/rule.js';
import type { KubeObject, Tree, YamlPath } from '../../src/types.js';
import { listing, quote } from '../../src/text.js';
import { cmp } from '../../src/util.js';
import { asList, asMap, asString, getIn } from '../../src/yaml/walk.js';

const KIND = 'CustomResourceDefinition';
const KINDS: ReadonlySet<string> = new Set([KIND]);
const V1 = 'apiextensions.k8s.io/v1';
const V1BETA1 = 'apiextensions.k8s.io/v1beta1';
const API_VERSIONS: ReadonlySet<string> = new Set([V1, V1BETA1]);

const REMEDIATION_REMOVED =
  'Stop serving the version first (served: false) in its own pull request, migrate stored objects to the storage version and drop it from status.storedVersions, then remove it once no manifest, client or controller uses it.';
const REMEDIATION_REMOVED_UNSERVED =
  'Migrate stored objects to the storage version (kube-storage-version-migrator, or a read and write of every object) and drop the version from status.storedVersions before removing it.';
const REMEDIATION_UNSERVED =
  'Keep the version served until every manifest, client and controller has moved to another version, and stop serving it on one cluster first.';
const REMEDIATION_STORAGE =
  'Switch the storage version in one pull request while keeping the old version served, migrate stored objects and trim status.storedVersions, then remove the old version in a later pull request.';
const REMEDIATION_CONVERSION =
  'Run the conversion webhook with at least 2 replicas and a PodDisruptionBudget, and roll the change out to one cluster first, checking reads and writes at every served version there.';

/** One entry of `spec.versions`, read defensively. */
interface CrdVersion {
  name: string;
  served: boolean;
  storage: boolean;
  /** Index in `spec.versions`, or -1 for the v1beta1 top-level `spec.version`. */
  index: number;
}

function versionsOf(o: KubeObject): CrdVersion[] {
  const spec = asMap(o.doc.spec);
  const out: CrdVersion[] = [];
  asList(spec?.versions).forEach((raw, index) => {
    const v = asMap(raw);
    const name = asString(v?.name);
    if (!v || !name || out.some((x) => x.name === name)) return;
    // `served` and `storage` are plain booleans: unset is false.
    out.push({ name, served: v.served === true, storage: v.storage === true, index });
  });
  if (out.length === 0 && o.apiVersion === V1BETA1) {
    const name = asString(spec?.version);
    if (name) out.push({ name, served: true, storage: true, index: -1 });
  }
  return out;
}

function versionPath(v: CrdVersion, field?: string): YamlPath {
  if (v.index < 0) return ['spec', 'version'];
  return field ? ['spec', 'versions', v.index, field] : ['spec', 'versions', v.index];
}

interface Conversion {
  strategy: string;
  clientConfig: unknown;
  /** Where the client config lives in this API version. */
  path: YamlPath;
}

function conversionOf(o: KubeObject): Conversion {
  const conversion = asMap(getIn(o.doc, ['spec', 'conversion']));
  // v1: conversion.webhook.clientConfig; v1beta1: conversion.webhookClientConfig.
  const path: YamlPath = o.apiVersion === V1 ? ['spec', 'conversion', 'webhook', 'clientConfig'] : ['spec', 'conversion', 'webhookClientConfig'];
  return { strategy: asString(conversion?.strategy) ?? 'None', clientConfig: getIn(o.doc, path), path };
}

/** `service "ns/name"`, `URL "https://…"`, or a fallback. */
function backendOf(clientConfig: unknown): string {
  const service = asMap(asMap(clientConfig)?.service);
  if (service) {
    const name = asString(service.name) ?? '?';
    const ns = asString(service.namespace);
    return `service ${quote(ns ? `${ns}/${name}` : name)}`;
  }
  const url = asString(asMap(clientConfig)?.url);
  return url ? `URL ${quote(url)}` : 'its webhook';
}

// ---------------------------------------------------------------------------------------------------------
// Custom resources of the repository, by `apiVersion` and kind (built once per tree, only when needed)

const usersCache = new WeakMap<Tree, Map<string, KubeObject[]>>();

function customResources(tree: Tree, apiVersion: string, kind: string): KubeObject[] {
  let index = usersCache.get(tree);
  if (!index) {
    index = new Map();
    const seen = new Set<KubeObject>();
    for (const o of tree.objects) {
      // Copies of one source across units are one manifest.
      const source = o.source ?? o;
      if (seen.has(source)) continue;
      seen.add(source);
      const id = `${o.apiVersion}\u0000${o.kind}`;
      (index.get(id) ?? index.set(id, []).get(id)!).push(o);
    }
    usersCache.set(tree, index);
  }
  return index.get(`${apiVersion}\u0000${kind}`) ?? [];
}

function usersText(tree: Tree, group: string, version: string, kind: string): { text: string; count: number } {
  const apiVersion = `${group}/${version}`;
  const users = customResources(tree, apiVersion, kind);
  if (users.length === 0) {
    return {
      text: `no ${kind || 'custom resource'} manifest in this repository is written as ${quote(apiVersion)}, but clusters can hold objects and clients that use it`,
      count: 0,
    };
  }
  const shown = [...users]
    .sort((a, b) => cmp(a.file, b.file) || a.docIndex - b.docIndex)
    .slice(0, 3)
    .map((o) => `${o.file} (${o.namespace ? `${o.namespace}/${o.name}` : o.name})`);
  const more = users.length > 3 ? ` and ${users.length - 3} more` : '';
  return {
    text: `${users.length} ${kind} manifest${users.length === 1 ? '' : 's'} in this repository ${users.length === 1 ? 'is' : 'are'} still written as ${quote(apiVersion)}: ${shown.join(', ')}${more}`,
    count: users.length,
  };
}

// ---------------------------------------------------------------------------------------------------------
// Findings, grouped across units



// ---------------------------------------------------------------------------------------------------------
// The checks

const STORED_VERSIONS = (v: string) =>
  `the API server refuses this update while ${quote(v)} is listed in status.storedVersions (it stays there until every object stored at it is migrated and the list is trimmed), so the sync of this CRD fails`;

function check(ctx: ChangeContext, pair: ObjectPair & { base: KubeObject; head: KubeObject }, out: VerdictSink): void {
  const { base, head } = pair;
  const group = asString(getIn(head.doc, ['spec', 'group'])) ?? '';
  const kind = asString(getIn(head.doc, ['spec', 'names', 'kind'])) ?? '';
  const crd = `CustomResourceDefinition ${quote(head.name)}`;
  const before = versionsOf(base);
  const after = versionsOf(head);
  // A CRD without a group, a kind or exactly one storage version is refused by the API server: nothing to judge.
  const valid = (vs: readonly CrdVersion[]) => vs.filter((v) => v.storage).length === 1;
  if (!group || !kind || !valid(before) || !valid(after)) return;
  const byName = new Map(after.map((v) => [v.name, v]));
  const oldStorage = before.find((v) => v.storage);
  const newStorage = after.find((v) => v.storage);
  const versionsField: YamlPath = after.some((v) => v.index < 0) ? ['spec', 'version'] : ['spec', 'versions'];

  for (const v of before) {
    const now = byName.get(v.name);
    if (!now) {
      const users = usersText(ctx.head, group, v.name, kind);
      if (v === oldStorage && newStorage && newStorage.name !== v.name) {
        out.add({
          object: head,
          path: versionPath(newStorage, 'storage'),
          key: 'storage-switch',
          severity: 'high',
          message:
            `the storage version of ${crd} moves from ${quote(v.name)} to ${quote(newStorage.name)} and ${quote(v.name)} is removed in the same change: ` +
            `every object written so far is stored as ${quote(v.name)}, so ${STORED_VERSIONS(v.name)} in every cluster this reaches; ` +
            `were the list trimmed without migrating them, those objects could no longer be read; ${users.text}`,
          remediation: REMEDIATION_STORAGE,
          data: { from: v.name, to: newStorage.name, manifests: users.count },
        });
        continue;
      }
      out.add({
        object: head,
        path: versionsField,
        key: `version-removed:${v.name}`,
        severity: v.served ? 'high' : 'medium',
        message: v.served
          ? `version ${quote(v.name)} is removed from ${crd}: every client, controller and manifest still using ${quote(`${group}/${v.name}`)} gets 404 ` +
            `(no matches for kind ${quote(kind)} in that version) in every cluster this reaches, and ${STORED_VERSIONS(v.name)}; ${users.text}`
          : `version ${quote(v.name)}, already unserved, is removed from ${crd}: ${STORED_VERSIONS(v.name)}; ${users.text}`,
        remediation: v.served ? REMEDIATION_REMOVED : REMEDIATION_REMOVED_UNSERVED,
        data: { version: v.name, served: v.served, manifests: users.count },
      });
      continue;
    }
    if (v.served && !now.served) {
      const users = usersText(ctx.head, group, v.name, kind);
      const field = now.index >= 0 && asMap(asList(getIn(head.doc, ['spec', 'versions']))[now.index])?.served !== undefined ? 'served' : 'name';
      out.add({
        object: head,
        path: versionPath(now, field),
        key: `version-unserved:${v.name}`,
        severity: 'high',
        message:
          `version ${quote(v.name)} of ${crd} is no longer served (served true → ${field === 'served' ? 'false' : 'unset, which is false'}): every client, controller and manifest still using ` +
          `${quote(`${group}/${v.name}`)} gets 404 in every cluster this reaches, and controllers watching it stop seeing changes; ${users.text}`,
        remediation: REMEDIATION_UNSERVED,
        data: { version: v.name, manifests: users.count },
      });
    }
  }

  const oldConversion = conversionOf(base);
  const newConversion = conversionOf(head);
  if (newConversion.strategy === 'Webhook') {
    const becomes = oldConversion.strategy !== 'Webhook';
    // Compared key by key (service, url, caBundle), so a move between the v1beta1 and v1 layouts with the
    // same client config is not a change.
    const oldConfig = asMap(oldConversion.clientConfig) ?? {};
    const newConfig = asMap(newConversion.clientConfig) ?? {};
    const changedParts = becomes
      ? []
      : [...new Set([...Object.keys(oldConfig), ...Object.keys(newConfig)])].filter((k) => !sameValue(oldConfig[k], newConfig[k])).sort(cmp);
    if (becomes || changedParts.length > 0) {
      const backend = backendOf(newConversion.clientConfig);
      const what = becomes
        ? `conversion between the versions of ${crd} now goes through a webhook (conversion.strategy ${quote(oldConversion.strategy)} → "Webhook", ${backend})`
        : `the conversion webhook of ${crd} changes its client config (${listing(changedParts)}; now ${backend})`;
      out.add({
        object: head,
        path: becomes ? ['spec', 'conversion', 'strategy'] : [...newConversion.path, changedParts[0]],
        key: 'conversion-webhook',
        severity: 'medium',
        message:
          `${what}: every read, write and watch of ${quote(kind)} at a version other than the stored one now depends on that webhook in every cluster this reaches; ` +
          'while it is down, unreachable or presents a certificate the CA bundle does not match, those requests fail, and garbage collection and namespace deletion that list the type stall',
        remediation: REMEDIATION_CONVERSION,
        data: { becomes, changed: changedParts },
      });
    }
  }
}

/** The parts of a CRD this rule judges: its API version, each version's name, served and storage flags, and the conversion. */
function versionShape(o: KubeObject): unknown {
  const spec = asMap(o.doc.spec);
  return {
    apiVersion: o.apiVersion,
    versions: asList(spec?.versions).map((v) => {
      const m = asMap(v);
      return m ? [m.name, m.served, m.storage] : v;
    }),
    version: spec?.version,
    conversion: spec?.conversion,
  };
}

export const crdVersions: ChangeRule = {
  meta: {
    id: 'blast-radius/crd-versions',
    family: 'blast-radius',
    type: 'change',
    severity: 'high',
    description:
      'Flag CustomResourceDefinition edits that remove or stop serving a version, move the storage version while removing the old one, or put a conversion webhook on every read and write of the type.',
    docs: 'docs/rules/blast-radius/crd-versions.md',
    remediation: REMEDIATION_REMOVED,
  },
  check(ctx) {
    const out = verdictSink(ctx);
    for (const pair of changedPairs(ctx.base, ctx.head, KINDS)) {
      const { base, head } = pair;
      if (!base || !head || !API_VERSIONS.has(base.apiVersion) || !API_VERSIONS.has(head.apiVersion)) continue;
      // Unchanged where this rule looks (versions' names, served and storage flags, conversion), or only in
      // comments: compared without walking the (large) schemas.
      if (sameValue(versionShape(base), versionShape(head))) continue;
      check(ctx, { ...pair, base, head }, out);
    }
  },
};
