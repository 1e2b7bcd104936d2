/** Objects kustomize rendered take the place of the static build's, keeping the static names and sources. */
import { describe, expect, it } from 'vitest';
import { renderedObjects } from '../../src/units.js';
import type { KubeObject } from '../../src/types.js';

const statics = (): KubeObject[] => {
  const ds: KubeObject = { apiVersion: 'apps/v1', kind: 'DaemonSet', name: 'agent', namespace: 'logging', ref: 'DaemonSet/logging/agent', doc: {}, file: 'base/ds.yaml', docIndex: 0, docPath: [], unit: 'clusters/prod' };
  const cm: KubeObject = { apiVersion: 'v1', kind: 'ConfigMap', name: 'agent-config', namespace: 'logging', ref: 'ConfigMap/logging/agent-config', doc: {}, file: 'base/kustomization.yaml', docIndex: 0, docPath: [], unit: 'clusters/prod', generated: { entry: ['configMapGenerator', 0], inputs: { 'agent.conf': 'base/agent.conf' } } };
  return [ds, cm];
};

describe('renderedObjects', () => {
  const rendered = [
    { apiVersion: 'apps/v1', kind: 'DaemonSet', metadata: { name: 'agent', namespace: 'logging' }, spec: { template: { spec: { volumes: [{ name: 'c', configMap: { name: 'agent-config-5h2k8g7m9t' } }] } } } },
    { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'agent-config-5h2k8g7m9t', namespace: 'logging' }, data: { 'agent.conf': 'x' } },
    { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'made-by-a-transformer', namespace: 'logging' }, data: {} },
  ];

  it('takes generated names back to the static ones, in the object and in the references to it', () => {
    const out = renderedObjects(statics(), rendered, 'clusters/prod', 'clusters/prod/kustomization.yaml');
    expect(out.map((o) => o.ref)).toEqual(['DaemonSet/logging/agent', 'ConfigMap/logging/agent-config', 'ConfigMap/logging/made-by-a-transformer']);
    expect((out[0].doc as any).spec.template.spec.volumes[0].configMap.name).toBe('agent-config');
    expect(out[1].generated).toEqual(statics()[1].generated);
  });

  it('keeps the static source of matched objects and points the others at the kustomization', () => {
    const out = renderedObjects(statics(), rendered, 'clusters/prod', 'clusters/prod/kustomization.yaml');
    expect(out[0].source?.file).toBe('base/ds.yaml');
    expect(out[2].file).toBe('clusters/prod/kustomization.yaml');
    expect(out[2].source).toBeUndefined();
  });

  it('leaves a name alone when the static object of that name was not generated', () => {
    const [ds] = statics();
    const plain: KubeObject = { ...ds, kind: 'ConfigMap', name: 'settings', ref: 'ConfigMap/logging/settings' };
    const out = renderedObjects([plain], [{ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'settings-abcdefghij', namespace: 'logging' } }], 'u', 'k.yaml');
    expect(out[0].name).toBe('settings-abcdefghij');
  });
});
