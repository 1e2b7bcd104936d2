/** Every rule is complete: id shape, doc page, table test, and remediation style (STYLE.md practices 1 and 5). */
import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { RULES } from '../../rules/index.js';
import { CONFIG_RULE } from '../../src/config-rule.js';

const root = new URL('../../', import.meta.url);
const metas = [...RULES.map((r) => r.meta), CONFIG_RULE];

describe.each(metas.map((m) => [m.id, m] as const))('%s', (id, meta) => {
  it('has a <family>/<kebab-name> id and a unique one', () => {
    expect(id).toMatch(/^[a-z]+(-[a-z]+)*\/[a-z0-9]+(-[a-z0-9]+)*$/);
    expect(id.split('/')[0]).toBe(meta.family);
    expect(metas.filter((m) => m.id === id)).toHaveLength(1);
  });

  it('has a doc page that names it and says why and how to fix', () => {
    expect(meta.docs).toBe(`docs/rules/${id}.md`);
    const doc = readFileSync(new URL(meta.docs, root), 'utf8');
    expect(doc.split('\n')[0]).toBe(`# ${id}`);
    expect(doc).toMatch(/## (Why|Why it matters)/i);
    expect(doc).toMatch(/## How to fix/i);
    expect(doc).toMatch(/## Sources?/i);
  });

  it('has a table test (rules only)', () => {
    if (meta.family === 'config') return; // config/invalid is exercised end to end in __tests__/e2e
    expect(existsSync(new URL(`__tests__/rules/${id}.test.ts`, root))).toBe(true);
  });

  it('has a one-sentence imperative remediation ending with a period, and a description', () => {
    expect(meta.remediation).toMatch(/^[A-Z].*\.$/s);
    expect(meta.description.length).toBeGreaterThan(10);
  });
});
