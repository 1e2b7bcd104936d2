import { describe, expect, it } from 'vitest';
import { isEmptySelector, isValidLabelKey, isValidLabelValue, matchesSelector, parseSelector } from '../src/selector.js';

const KS = { 'kubernetes.io/metadata.name': 'kube-system' };
const APP = { 'kubernetes.io/metadata.name': 'shop', team: 'payments', tier: 'web' };
const NONE = {};

describe('matchesSelector', () => {
  // [name, selector, labels, expected]
  const table: Array<[string, unknown, Record<string, string>, boolean]> = [
    // Absent and empty selectors select everything.
    ['undefined selects everything', undefined, APP, true],
    ['null selects everything', null, NONE, true],
    ['{} selects everything', {}, NONE, true],
    ['empty matchLabels and matchExpressions select everything', { matchLabels: {}, matchExpressions: [] }, APP, true],
    ['null matchLabels / matchExpressions are absent', { matchLabels: null, matchExpressions: null }, APP, true],
    // matchLabels.
    ['matchLabels equal', { matchLabels: { team: 'payments' } }, APP, true],
    ['matchLabels different value', { matchLabels: { team: 'search' } }, APP, false],
    ['matchLabels missing label', { matchLabels: { team: 'payments' } }, NONE, false],
    ['matchLabels all must hold', { matchLabels: { team: 'payments', tier: 'db' } }, APP, false],
    ['matchLabels empty value matches an empty label', { matchLabels: { x: '' } }, { x: '' }, true],
    // In.
    ['In with the value', { matchExpressions: [{ key: 'tier', operator: 'In', values: ['db', 'web'] }] }, APP, true],
    ['In without the value', { matchExpressions: [{ key: 'tier', operator: 'In', values: ['db'] }] }, APP, false],
    ['In on an absent label', { matchExpressions: [{ key: 'tier', operator: 'In', values: ['db'] }] }, NONE, false],
    // NotIn matches absent labels too.
    ['NotIn with another value', { matchExpressions: [{ key: 'kubernetes.io/metadata.name', operator: 'NotIn', values: ['kube-system'] }] }, APP, true],
    ['NotIn with the value', { matchExpressions: [{ key: 'kubernetes.io/metadata.name', operator: 'NotIn', values: ['kube-system', 'kube-node-lease'] }] }, KS, false],
    ['NotIn on an absent label', { matchExpressions: [{ key: 'tier', operator: 'NotIn', values: ['db'] }] }, NONE, true],
    // Exists / DoesNotExist.
    ['Exists present', { matchExpressions: [{ key: 'team', operator: 'Exists' }] }, APP, true],
    ['Exists absent', { matchExpressions: [{ key: 'team', operator: 'Exists' }] }, NONE, false],
    ['Exists with an empty values list', { matchExpressions: [{ key: 'team', operator: 'Exists', values: [] }] }, APP, true],
    ['DoesNotExist absent', { matchExpressions: [{ key: 'admission.gatekeeper.sh/ignore', operator: 'DoesNotExist' }] }, KS, true],
    ['DoesNotExist present', { matchExpressions: [{ key: 'admission.gatekeeper.sh/ignore', operator: 'DoesNotExist' }] }, { ...KS, 'admission.gatekeeper.sh/ignore': 'no-self-managing' }, false],
    ['DoesNotExist present with an empty value', { matchExpressions: [{ key: 'x', operator: 'DoesNotExist' }] }, { x: '' }, false],
    // matchLabels AND matchExpressions.
    ['matchLabels and matchExpressions both hold', { matchLabels: { team: 'payments' }, matchExpressions: [{ key: 'tier', operator: 'NotIn', values: ['db'] }] }, APP, true],
    ['matchLabels holds, matchExpressions does not', { matchLabels: { team: 'payments' }, matchExpressions: [{ key: 'tier', operator: 'In', values: ['db'] }] }, APP, false],
    ['every expression must hold', { matchExpressions: [{ key: 'team', operator: 'Exists' }, { key: 'tier', operator: 'DoesNotExist' }] }, APP, false],
    // Unknown keys of the selector mapping are ignored (as the API server's decoder drops them).
    ['unknown selector fields are ignored', { matchLabel: { team: 'x' } }, APP, true],
    // Malformed selectors match nothing, even an object they would otherwise select.
    ['unknown operator', { matchExpressions: [{ key: 'team', operator: 'Equals', values: ['payments'] }] }, APP, false],
    ['operator is case-sensitive', { matchExpressions: [{ key: 'team', operator: 'notin', values: ['x'] }] }, APP, false],
    ['In without values', { matchExpressions: [{ key: 'team', operator: 'In' }] }, APP, false],
    ['NotIn with an empty values list', { matchExpressions: [{ key: 'team', operator: 'NotIn', values: [] }] }, APP, false],
    ['Exists with values', { matchExpressions: [{ key: 'team', operator: 'Exists', values: ['payments'] }] }, APP, false],
    ['DoesNotExist with values', { matchExpressions: [{ key: 'x', operator: 'DoesNotExist', values: ['y'] }] }, APP, false],
    ['expression without a key', { matchExpressions: [{ operator: 'Exists' }] }, APP, false],
    ['invalid label key', { matchExpressions: [{ key: 'bad key', operator: 'DoesNotExist' }] }, APP, false],
    ['invalid label value', { matchExpressions: [{ key: 'x', operator: 'NotIn', values: ['not valid!'] }] }, APP, false],
    ['number as a matchLabels value', { matchLabels: { version: 1 } }, { version: '1' }, false],
    ['boolean in values', { matchExpressions: [{ key: 'enabled', operator: 'In', values: [true] }] }, { enabled: 'true' }, false],
    ['matchLabels is a list', { matchLabels: ['team'] }, APP, false],
    ['matchExpressions is a mapping', { matchExpressions: { key: 'team', operator: 'Exists' } }, APP, false],
    ['an expression is a string', { matchExpressions: ['team'] }, APP, false],
    ['values is a string', { matchExpressions: [{ key: 'team', operator: 'In', values: 'payments' }] }, APP, false],
    ['selector is a string', 'team=payments', APP, false],
    ['selector is a list', [], APP, false],
  ];
  it.each(table)('%s', (_name, selector, labels, expected) => {
    expect(matchesSelector(selector, labels)).toBe(expected);
  });

  it('ignores inherited properties of the label set', () => {
    expect(matchesSelector({ matchExpressions: [{ key: 'toString', operator: 'Exists' }] }, {})).toBe(false);
    expect(matchesSelector({ matchExpressions: [{ key: 'constructor', operator: 'DoesNotExist' }] }, {})).toBe(true);
  });
});

describe('parseSelector', () => {
  it('turns matchLabels into single-value In requirements', () => {
    expect(parseSelector({ matchLabels: { a: 'b' }, matchExpressions: [{ key: 'c', operator: 'Exists' }] })).toEqual({
      ok: true,
      requirements: [
        { key: 'a', operator: 'In', values: ['b'] },
        { key: 'c', operator: 'Exists', values: [] },
      ],
    });
  });
  it('names the problem of a malformed selector', () => {
    const r = parseSelector({ matchExpressions: [{ key: 'a', operator: 'In', values: [] }] });
    expect(r).toEqual({ ok: false, problem: 'matchExpressions[0]: In needs values' });
  });
  it('tells empty selectors apart', () => {
    expect(isEmptySelector(undefined)).toBe(true);
    expect(isEmptySelector({})).toBe(true);
    expect(isEmptySelector({ matchLabels: {} })).toBe(true);
    expect(isEmptySelector({ matchLabels: { a: 'b' } })).toBe(false);
    expect(isEmptySelector({ matchExpressions: [{ key: 'a', operator: 'Nope' }] })).toBe(false);
  });
});

describe('label syntax', () => {
  it.each([
    ['app', true],
    ['kubernetes.io/metadata.name', true],
    ['admission.gatekeeper.sh/ignore', true],
    ['a.b-c_d', true],
    ['A1', true],
    ['x'.repeat(63), true],
    ['x'.repeat(64), false],
    ['', false],
    ['/name', false],
    ['Example.com/name', false],
    ['a/b/c', false],
    ['-app', false],
    ['app-', false],
    ['bad key', false],
  ])('key %j valid: %s', (key, valid) => {
    expect(isValidLabelKey(key)).toBe(valid);
  });
  it.each([
    ['', true],
    ['kube-system', true],
    ['v1.2.3', true],
    ['x'.repeat(63), true],
    ['x'.repeat(64), false],
    ['-x', false],
    ['a/b', false],
  ])('value %j valid: %s', (value, valid) => {
    expect(isValidLabelValue(value)).toBe(valid);
  });
});
