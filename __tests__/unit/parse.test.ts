import { describe, expect, it } from 'vitest';
import { expandedSize, getIn, walk } from '../../src/yaml/walk.js';
import { isHelmTemplate, parseYamlFile } from '../../src/yaml/parse.js';
import { lineOf } from '../../src/yaml/lines.js';
import { ALIAS_BOMB, DEEP_DOCUMENT } from '../e2e/fixtures.js';

describe('parseYamlFile', () => {
  it('loads every document and keeps Kubernetes objects (List items each)', () => {
    const text = 'apiVersion: v1\nkind: ConfigMap\nmetadata: { name: a, namespace: n }\n---\n# nothing\n---\nfoo: bar\n---\napiVersion: v1\nkind: List\nitems:\n  - { apiVersion: v1, kind: Namespace, metadata: { name: ns } }\n  - { apiVersion: v1, kind: Service, metadata: { name: s, namespace: ns } }\n';
    const f = parseYamlFile('x.yaml', 'b', text);
    expect(f.error).toBeUndefined();
    expect(f.objects.map((o) => o.ref)).toEqual(['ConfigMap/n/a', 'Namespace/ns', 'Service/ns/s']);
    expect(f.objects[2].docPath).toEqual(['items', 1]);
    expect(f.objects[2].docIndex).toBe(3);
  });

  it('reports a parse error with its 1-based line and keeps the documents before it', () => {
    const f = parseYamlFile('x.yaml', 'b', 'apiVersion: v1\nkind: ConfigMap\nmetadata: { name: a }\n---\nkey: [1, 2\nother: 3\n');
    expect(f.error?.line).toBeGreaterThanOrEqual(5);
    expect(f.error?.message).toMatch(/^YAML parse error/);
    expect(f.objects.map((o) => o.ref)).toEqual(['ConfigMap/a']);
  });

  it('rejects an alias bomb without expanding it, and a 5,000-deep document', () => {
    const t0 = Date.now();
    const bomb = parseYamlFile('b.yaml', 'b', ALIAS_BOMB);
    expect(bomb.error?.message).toMatch(/alias bomb/);
    expect(bomb.docs).toEqual([]);
    const deep = parseYamlFile('d.yaml', 'd', DEEP_DOCUMENT);
    expect(deep.error?.message).toMatch(/maxDepth/);
    expect(Date.now() - t0).toBeLessThan(5000);
  });

  it('takes the last of duplicate keys, strips a BOM, and refuses binary content', () => {
    const dup = parseYamlFile('x.yaml', 'b', '\ufeffapiVersion: v1\nkind: ConfigMap\nmetadata: { name: a }\nmetadata: { name: b }\n');
    expect(dup.error).toBeUndefined();
    expect(dup.objects[0].name).toBe('b');
    expect(parseYamlFile('x.yaml', 'b', 'a: 1\u0000\u0001').error?.message).toMatch(/binary/);
  });

  it('recognises Helm chart templates', () => {
    const has = (p: string) => p === 'charts/x/Chart.yaml';
    expect(isHelmTemplate('charts/x/templates/ds.yaml', 'kind: DaemonSet', has)).toBe(true);
    expect(isHelmTemplate('other/templates/ds.yaml', 'name: {{ .Values.x }}', () => false)).toBe(true);
    expect(isHelmTemplate('other/templates/ds.yaml', 'kind: DaemonSet', () => false)).toBe(false);
    expect(isHelmTemplate('charts/x/values.yaml', '{{ x }}', has)).toBe(false);
  });
});

describe('alias-safe walks', () => {
  it('counts expanded size linearly for shared references and stops at the limit', () => {
    const shared = { a: 1 };
    expect(expandedSize({ x: shared, y: shared })).toBe(5);
    const cyclic: any = { a: 1 };
    cyclic.self = cyclic;
    expect(expandedSize(cyclic, 100)).toBe(101);
  });

  it('visits each shared node once and honours the budget', () => {
    const shared = { leaf: 1 };
    const seen: string[] = [];
    walk({ a: shared, b: shared }, (_v, p) => void seen.push(p.join('.')));
    expect(seen).toEqual(['', 'a', 'a.leaf']);
    let n = 0;
    walk(Array.from({ length: 100 }, (_, i) => i), () => void n++, 10);
    expect(n).toBe(10);
  });

  it('reads paths safely', () => {
    expect(getIn({ a: [{ b: 2 }] }, ['a', 0, 'b'])).toBe(2);
    expect(getIn({ a: [{ b: 2 }] }, ['a', 'x'])).toBeUndefined();
    expect(getIn({ a: null }, ['a', 'b'])).toBeUndefined();
    expect(getIn({}, ['constructor'])).toBeUndefined();
  });
});

describe('lineOf', () => {
  const text = 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: b\ndata:\n  config.yaml: |\n    receivers:\n      otlp: {}\n  quoted: "x"\nitems:\n  - one\n  - two\n';
  it('finds a key line, the deepest existing prefix for missing fields, and sequence items', () => {
    expect(lineOf(text, 0, ['metadata', 'name'])).toBe(4);
    expect(lineOf(text, 1, ['metadata', 'name'])).toBe(9);
    expect(lineOf(text, 1, ['metadata', 'labels', 'x'])).toBe(8);
    expect(lineOf(text, 1, ['items', 1])).toBe(17);
  });
  it('points inside a block scalar with an offset, and at the key for quoted scalars', () => {
    expect(lineOf(text, 1, ['data', 'config.yaml'], 1)).toBe(13);
    expect(lineOf(text, 1, ['data', 'quoted'], 3)).toBe(14);
  });
  it('points a folded scalar (>) at its key, and a duplicate key at the last one (the one in effect)', () => {
    const folded = 'data:\n  cfg: >\n    a\n    b\n\n    c\n';
    expect(lineOf(folded, 0, ['data', 'cfg'], 2)).toBe(2);
    expect(lineOf('spec:\n  replicas: 1\n  replicas: 3\n', 0, ['spec', 'replicas'])).toBe(3);
  });
  it('finds the document by identity when the index does not match', () => {
    expect(lineOf(text, 7, ['metadata', 'name'], undefined, (d: any) => d?.metadata?.name === 'b')).toBe(9);
  });
  it('parses only the one document when the document count agrees, with the same lines as a whole-file parse', () => {
    const multi = '# header\n\n---\nkind: A\nmetadata: {name: a}\n---\n---\n# comment\nkind: B\nmetadata:\n  name: b\ndata:\n  x: |\n    one\n    two\n';
    const count = parseYamlFile('m.yaml', 'm', multi).docs.length; // a, the empty document, b
    expect(count).toBe(3);
    const isB = (d: any) => d?.metadata?.name === 'b';
    for (const [doc, path, inner, id] of [[0, ['metadata', 'name']], [2, ['metadata', 'name'], undefined, isB], [2, ['data', 'x'], 1]] as const) {
      expect(lineOf(multi, doc, path, inner, id, count)).toBe(lineOf(multi, doc, path, inner, id));
    }
    expect(lineOf(multi, 2, ['data', 'x'], 1, undefined, count)).toBe(15);
    // A wrong count, `...` end markers, or an identity that does not hold fall back to the whole file.
    expect(lineOf(multi, 2, ['metadata', 'name'], undefined, isB, 5)).toBe(11);
    const ended = 'kind: A\nmetadata: {name: a}\n...\n---\nkind: B\nmetadata:\n  name: b\n';
    expect(lineOf(ended, 1, ['metadata', 'name'], undefined, isB, 2)).toBe(7);
    expect(lineOf(multi, 0, ['metadata', 'name'], undefined, isB, count)).toBe(11);
  });
});
