/** Helm's coalesce of values layers, and tracing a values path back to the layer that set it. */
import { describe, expect, it } from 'vitest';
import { coalesce, LayeredValues, mergedUserValues, nestedLayer } from '../../src/helm/values.js';

describe('coalesce', () => {
  it('merges mappings key by key; lists and scalars replace; null removes', () => {
    const under = { mode: 'deployment', config: { processors: { batch: {}, memory_limiter: { limit: 1 } }, service: { pipelines: { traces: { processors: ['batch'] } } } }, ports: [1, 2] };
    const over = { mode: 'daemonset', config: { processors: { memory_limiter: null, k8sattributes: {} }, service: { pipelines: { traces: { processors: ['k8sattributes'] } } } }, ports: [3] };
    expect(coalesce(under, over)).toEqual({
      mode: 'daemonset',
      config: { processors: { batch: {}, k8sattributes: {} }, service: { pipelines: { traces: { processors: ['k8sattributes'] } } } },
      ports: [3],
    });
    // The inputs are not touched.
    expect(under.config.processors.memory_limiter).toEqual({ limit: 1 });
  });

  it('lets a scalar or list replace a mapping and the other way round', () => {
    expect(coalesce({ a: { b: 1 } }, { a: 'x' })).toEqual({ a: 'x' });
    expect(coalesce({ a: 'x' }, { a: { b: 1 } })).toEqual({ a: { b: 1 } });
    expect(coalesce({ a: { b: 1 } }, undefined)).toEqual({ a: { b: 1 } });
  });
});

describe('LayeredValues', () => {
  const defaults = { doc: { mode: '', presets: { kubernetesAttributes: { enabled: false } } } };
  const chart = { doc: { mode: 'deployment', config: { processors: { batch: {} } } }, at: { file: 'c/values.yaml', docIndex: 0, docPath: [] } };
  const prod = { doc: { mode: 'daemonset', config: { processors: { k8sattributes: { passthrough: false } } } }, at: { file: 'c/values-prod.yaml', docIndex: 0, docPath: [] } };
  const v = new LayeredValues([defaults, chart, prod]);

  it('merges the layers lowest first', () => {
    expect(v.get(['mode'])).toBe('daemonset');
    expect(v.get(['config', 'processors'])).toEqual({ batch: {}, k8sattributes: { passthrough: false } });
    expect(v.get(['presets', 'kubernetesAttributes', 'enabled'])).toBe(false);
  });

  it('knows which paths a repository layer sets', () => {
    expect(v.isSet(['mode'])).toBe(true);
    expect(v.isSet(['presets', 'kubernetesAttributes'])).toBe(false);
  });

  it('traces a path to the last layer that set its deepest prefix', () => {
    expect(v.origin(['mode'])).toEqual({ at: prod.at, path: ['mode'], exact: true });
    expect(v.origin(['config', 'processors', 'batch'])).toEqual({ at: chart.at, path: ['config', 'processors', 'batch'], exact: true });
    // A field the processor does not set points at the processor.
    expect(v.origin(['config', 'processors', 'k8sattributes', 'filter'])).toEqual({ at: prod.at, path: ['config', 'processors', 'k8sattributes'], exact: false });
    // Only the built-in defaults hold it.
    expect(v.origin(['presets', 'kubernetesAttributes'])).toBeUndefined();
  });

  it('sees an umbrella chart layer from the subchart, inside a file or inside embedded text', () => {
    const parent = { doc: { agent: { mode: 'daemonset' }, other: 1 }, at: { file: 'u/values.yaml', docIndex: 0, docPath: [] } };
    expect(nestedLayer(parent, 'agent')).toEqual({ doc: { mode: 'daemonset' }, at: { file: 'u/values.yaml', docIndex: 0, docPath: ['agent'] } });
    expect(nestedLayer(parent, 'other')).toBeUndefined();
    const embedded = { doc: { agent: { mode: 'daemonset' } }, at: { file: 'app.yaml', docIndex: 0, docPath: ['spec', 'source', 'helm', 'values'], embedded: { text: 'agent:\n  mode: daemonset\n', prefix: [] } } };
    expect(nestedLayer(embedded, 'agent')?.at).toEqual({ file: 'app.yaml', docIndex: 0, docPath: ['spec', 'source', 'helm', 'values'], embedded: { text: 'agent:\n  mode: daemonset\n', prefix: ['agent'] } });
  });
});

describe('mergedUserValues', () => {
  it('keeps a null, which deletes the chart\'s default once helm lays the values over it', () => {
    const a = { doc: { resources: { limits: { cpu: '1' } }, tolerations: [{ operator: 'Exists' }] } };
    const b = { doc: { resources: null, image: { tag: '2' } } };
    expect(mergedUserValues([a, b])).toEqual({ resources: null, tolerations: [{ operator: 'Exists' }], image: { tag: '2' } });
    // LayeredValues (the chart's view, defaults included) deletes it.
    expect(new LayeredValues([a, b]).doc).toEqual({ tolerations: [{ operator: 'Exists' }], image: { tag: '2' } });
  });
});
