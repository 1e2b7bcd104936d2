/** Where YAML 1.1 and 1.2 read a plain value differently: found outside block scalars and Secrets only. */
import { describe, expect, it } from 'vitest';
import { parseYamlFile, yaml11Value } from '../../src/yaml/parse.js';

const at = (text: string) => yaml11Value(parseYamlFile('a.yaml', 'b', text))?.line;

describe('yaml11Value', () => {
  it.each([
    ['a boolean word as a value', 'apiVersion: v1\nkind: Pod\nspec:\n  hostNetwork: yes\n', 4],
    ['an octal mode', 'apiVersion: v1\nkind: Pod\nspec:\n  volumes:\n    - configMap: { name: c }\n      defaultMode: 0644\n', 6],
    ['a list item', 'a:\n  - on\n', 2],
    ['in the second document', 'kind: ConfigMap\ndata: { a: b }\n---\nkind: Pod\nx: off\n', 5],
  ])('%s', (_name, text, line) => expect(at(text)).toBe(line));

  it.each([
    ['zero and plain numbers', 'spec:\n  replicas: 0\n  fsGroup: 0\n  port: 8080\n'],
    ['quoted values', 'a: "yes"\nb: \'0644\'\n'],
    ['text inside a block scalar (an agent config)', 'kind: ConfigMap\ndata:\n  fluent-bit.yaml: |\n    service:\n      daemon: off\n      hot_reload: on\nother: 1\n'],
    ['a Secret (never looked into)', 'apiVersion: v1\nkind: Secret\nstringData:\n  pin: 0415\n'],
    ['true and false', 'a: true\nb: false\n'],
  ])('quiet on %s', (_name, text) => expect(at(text)).toBeUndefined());
});
