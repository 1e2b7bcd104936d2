/**
 * The per-kind index (src/kinds.ts): every list keeps the objects' order in the array it indexes, so a
 * rule reading some kinds sees what a scan of the whole array would have given it.
 */
import { describe, expect, it } from 'vitest';
import { kindsOf, ofKind, ofKindInUnit, ofKinds, select } from '../../src/kinds.js';
import type { KubeObject } from '../../src/types.js';

function obj(kind: string, name: string, unit = '.'): KubeObject {
  return { apiVersion: 'v1', kind, name, namespace: null, ref: `${kind}/${name}`, doc: { kind, metadata: { name } }, file: `${name}.yaml`, docIndex: 0, docPath: [], unit };
}

const objects = [obj('DaemonSet', 'a', 'u1'), obj('ConfigMap', 'b', 'u1'), obj('Deployment', 'c', 'u2'), obj('DaemonSet', 'd', 'u2'), obj('ConfigMap', 'e', 'u2'), obj('Secret', 'f', 'u1')];
const names = (list: readonly KubeObject[]) => list.map((o) => o.name).join('');

describe('kinds', () => {
  it('lists one kind, several kinds and every kind in array order', () => {
    expect(names(ofKind(objects, 'DaemonSet'))).toBe('ad');
    expect(names(ofKind(objects, 'Pod'))).toBe('');
    expect(names(ofKinds(objects, ['Secret', 'DaemonSet', 'ConfigMap']))).toBe('abdef');
    expect(names(ofKinds(objects, ['Deployment', 'Pod']))).toBe('c');
    expect(names(ofKinds(objects, []))).toBe('');
    expect([...kindsOf(objects).keys()]).toEqual(['DaemonSet', 'ConfigMap', 'Deployment', 'Secret']);
  });

  it('gives the same list for the same set of kinds, in any order', () => {
    expect(ofKinds(objects, ['ConfigMap', 'DaemonSet'])).toBe(ofKinds(objects, ['DaemonSet', 'ConfigMap', 'DaemonSet']));
  });

  it('indexes each array on its own', () => {
    const other = objects.slice(2);
    expect(names(ofKind(other, 'DaemonSet'))).toBe('d');
    expect(names(ofKind(objects, 'DaemonSet'))).toBe('ad');
  });

  it('lists one kind of one unit', () => {
    expect(names(ofKindInUnit(objects, 'ConfigMap', 'u2'))).toBe('e');
    expect(names(ofKindInUnit(objects, 'ConfigMap', 'u3'))).toBe('');
  });

  it('selects what keep accepts, whole kinds without a look, in array order', () => {
    const keep = (o: KubeObject) => o.unit === 'u2';
    expect(names(select(objects, ['DaemonSet', 'ConfigMap'], keep))).toBe('de');
    expect(names(select(objects, ['DaemonSet', 'ConfigMap'], keep, new Set(['ConfigMap'])))).toBe('bde');
    expect(names(select(objects, ['DaemonSet'], keep))).toBe('d');
    expect(names(select(objects, ['DaemonSet'], keep, new Set(['DaemonSet'])))).toBe('ad');
    expect(names(select(objects, ['Pod'], keep))).toBe('');
    // A fresh array: the caller may keep it without holding the index's list.
    expect(select(objects, ['DaemonSet'], () => true, new Set(['DaemonSet']))).not.toBe(ofKind(objects, 'DaemonSet'));
  });
});
