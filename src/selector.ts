/**
 * Kubernetes label selectors (metav1.LabelSelector) evaluated against a label set, with the API server's
 * semantics: `matchLabels` and every `matchExpressions` requirement are ANDed; `In` needs the label with one
 * of the values, `NotIn` matches when the label is absent or has none of the values, `Exists` /
 * `DoesNotExist` test presence only. An absent (`null` / missing) or empty (`{}`) selector matches
 * everything — the meaning Kubernetes gives it wherever the field defaults to "everything" (webhook
 * `namespaceSelector` / `objectSelector`).
 *
 * A malformed selector matches nothing. The API server validates selectors on create and update
 * (`ValidateLabelSelector`) and rejects the whole object when one is malformed, so such an object never
 * selects anything in a cluster. Malformed means: not a mapping; `matchLabels` not a mapping;
 * `matchExpressions` not a list; a requirement without a string `key`; an operator other than the four
 * (case-sensitive); `In` / `NotIn` without values; `Exists` / `DoesNotExist` with values; any key or value
 * that is not a string (a YAML `1` or `true` fails to decode into a string field: the apply fails) or not
 * a valid label key / value. No selector here is ever read more leniently than the API server reads it, so
 * a selector that this module says excludes something is one the API server would also refuse to apply
 * as written — never a guess.
 */
import { asList, asMap } from './yaml/walk.js';

/** The four `LabelSelectorRequirement` operators (case-sensitive, as in the API). */
export const SELECTOR_OPERATORS = ['In', 'NotIn', 'Exists', 'DoesNotExist'] as const;
export type SelectorOperator = (typeof SELECTOR_OPERATORS)[number];

/** One requirement of a valid selector: `matchLabels` entries become `In` with one value. */
export interface SelectorRequirement {
  readonly key: string;
  readonly operator: SelectorOperator;
  readonly values: readonly string[];
}

/** A parsed selector: its requirements (empty = everything), or the first reason it is malformed. */
export type ParsedSelector = { ok: true; requirements: SelectorRequirement[] } | { ok: false; problem: string };

// IsQualifiedName / IsValidLabelValue / IsDNS1123Subdomain (k8s.io/apimachinery/pkg/util/validation).
const NAME_PART = /^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$/;
const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

/** True for a valid label key: `[prefix/]name`, name ≤ 63 characters, prefix a DNS subdomain ≤ 253. */
export function isValidLabelKey(key: string): boolean {
  const parts = key.split('/');
  if (parts.length > 2) return false;
  const name = parts[parts.length - 1];
  if (name.length === 0 || name.length > 63 || !NAME_PART.test(name)) return false;
  if (parts.length === 2) {
    const prefix = parts[0];
    if (prefix.length === 0 || prefix.length > 253 || !DNS1123_SUBDOMAIN.test(prefix)) return false;
  }
  return true;
}

/** True for a valid label value: empty, or ≤ 63 characters of `[A-Za-z0-9_.-]` starting and ending alphanumeric. */
export function isValidLabelValue(value: string): boolean {
  return value === '' || (value.length <= 63 && NAME_PART.test(value));
}

const parsedSelectors = new WeakMap<object, ParsedSelector>();

/** Parses and validates a selector as the API server would (once per selector object). Never throws. */
export function parseSelector(selector: unknown): ParsedSelector {
  if (selector === undefined || selector === null) return { ok: true, requirements: [] };
  if (typeof selector !== 'object') return parseSelectorOnce(selector);
  let parsed = parsedSelectors.get(selector);
  if (!parsed) parsedSelectors.set(selector, (parsed = parseSelectorOnce(selector)));
  return parsed;
}

function parseSelectorOnce(selector: unknown): ParsedSelector {
  const map = asMap(selector);
  if (!map) return { ok: false, problem: 'selector is not a mapping' };
  const requirements: SelectorRequirement[] = [];

  const labels = map.matchLabels;
  if (labels !== undefined && labels !== null) {
    const m = asMap(labels);
    if (!m) return { ok: false, problem: 'matchLabels is not a mapping' };
    for (const [key, value] of Object.entries(m)) {
      if (!isValidLabelKey(key)) return { ok: false, problem: `matchLabels key "${key}" is not a valid label key` };
      if (typeof value !== 'string') return { ok: false, problem: `matchLabels value of "${key}" is not a string` };
      if (!isValidLabelValue(value)) return { ok: false, problem: `matchLabels value "${value}" is not a valid label value` };
      requirements.push({ key, operator: 'In', values: [value] });
    }
  }

  const expressions = map.matchExpressions;
  if (expressions !== undefined && expressions !== null) {
    if (!Array.isArray(expressions)) return { ok: false, problem: 'matchExpressions is not a list' };
    for (const [i, raw] of expressions.entries()) {
      const e = asMap(raw);
      if (!e) return { ok: false, problem: `matchExpressions[${i}] is not a mapping` };
      const key = e.key;
      if (typeof key !== 'string' || !isValidLabelKey(key)) return { ok: false, problem: `matchExpressions[${i}].key is not a valid label key` };
      const operator = e.operator;
      if (typeof operator !== 'string' || !(SELECTOR_OPERATORS as readonly string[]).includes(operator)) {
        return { ok: false, problem: `matchExpressions[${i}].operator is not one of ${SELECTOR_OPERATORS.join(', ')}` };
      }
      if (e.values !== undefined && e.values !== null && !Array.isArray(e.values)) {
        return { ok: false, problem: `matchExpressions[${i}].values is not a list` };
      }
      const values: string[] = [];
      for (const v of asList(e.values)) {
        if (typeof v !== 'string' || !isValidLabelValue(v)) return { ok: false, problem: `matchExpressions[${i}].values holds an invalid label value` };
        values.push(v);
      }
      const op = operator as SelectorOperator;
      if ((op === 'In' || op === 'NotIn') && values.length === 0) return { ok: false, problem: `matchExpressions[${i}]: ${op} needs values` };
      if ((op === 'Exists' || op === 'DoesNotExist') && values.length > 0) return { ok: false, problem: `matchExpressions[${i}]: ${op} takes no values` };
      requirements.push({ key, operator: op, values });
    }
  }
  return { ok: true, requirements };
}

/** True when the requirement holds for the label set. */
function holds(r: SelectorRequirement, labels: Readonly<Record<string, string>>): boolean {
  const has = Object.prototype.hasOwnProperty.call(labels, r.key);
  switch (r.operator) {
    case 'In':
      return has && r.values.includes(labels[r.key]);
    case 'NotIn':
      return !has || !r.values.includes(labels[r.key]);
    case 'Exists':
      return has;
    case 'DoesNotExist':
      return !has;
  }
}

/**
 * True when `selector` (a metav1.LabelSelector as parsed from YAML) selects an object with `labels`.
 * Absent or empty selectors match everything; malformed ones match nothing (see the module comment).
 */
export function matchesSelector(selector: unknown, labels: Readonly<Record<string, string>>): boolean {
  const parsed = parseSelector(selector);
  return parsed.ok && parsed.requirements.every((r) => holds(r, labels));
}

/** True for an absent selector or one with no requirements: it selects everything. */
export function isEmptySelector(selector: unknown): boolean {
  const parsed = parseSelector(selector);
  return parsed.ok && parsed.requirements.length === 0;
}
