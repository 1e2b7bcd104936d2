/**
 * Helm template semantics the chart adapters share: Go template truth, what `{{ x }}` prints, sprig's
 * `default`, and the `<chart>.serviceAccountName` helper most charts write the same way. Sources: Go's
 * text/template package documentation (`if`: "The empty values are false, 0, any nil pointer or interface
 * value, and any array, slice, map, or string of length zero"), Helm's pkg/engine/engine.go (a missing value
 * prints `<no value>`, which Helm blanks after rendering), and sprig's `default` / `empty` (the same empty
 * values as `if`). Anything one chart does its own way stays in that chart's adapter.
 */
import { asString } from '../yaml/walk.js';
import type { Values } from './chart.js';

/**
 * Go template truth (`if`, `with`, `not`, `and`, `or`) and sprig's `empty`: false, 0, "", nil (null or
 * missing) and empty lists and mappings are false; any other value, even the string "false", is true.
 */
export function truthy(v: unknown): boolean {
  if (v === undefined || v === null || v === false || v === 0 || v === '') return false;
  if (Array.isArray(v)) return v.length > 0;
  if (typeof v === 'object') return Object.keys(v).length > 0;
  return true;
}

/**
 * A scalar as `{{ x }}` prints it (strings as written, numbers and booleans as text); the empty string for
 * a missing or null value, which Helm prints as nothing. A mapping or list, which Go would print as
 * `map[…]` / `[…]`, also gives the empty string: no adapter uses that form.
 */
export function text(v: unknown): string {
  return asString(v) ?? '';
}

/**
 * `text`, with `fallback` for a missing, null or non-scalar value (an adapter's stand-in for a default the
 * chart's values.yaml would supply). An empty string stays empty: unlike sprig's `default`, only a value
 * that prints nothing at all takes the fallback.
 */
export function textOr(v: unknown, fallback: string): string {
  return asString(v) ?? fallback;
}

/** sprig's `default DEFAULT GIVEN` (`GIVEN | default DEFAULT`): `given` unless it is empty (see `truthy`), else `dflt`. */
export function withDefault(dflt: unknown, given: unknown): unknown {
  return truthy(given) ? given : dflt;
}

/**
 * The `<chart>.serviceAccountName` helper as alloy, fluent-bit, kube-state-metrics, opentelemetry-collector,
 * promtail and vector write it: `serviceAccount.create` ? `default (fullname) serviceAccount.name` :
 * `default "default" serviceAccount.name`. The name is taken as `{{ }}` prints it (`text`), so a `false` or
 * `0` name stays as written where sprig's `default` would take the fallback (no values file names an
 * account so). Datadog's chart names its accounts from other keys: its adapter has its own helper.
 */
export function serviceAccountName(values: Values, fullname: string): string {
  const name = text(values.get(['serviceAccount', 'name']));
  return name || (truthy(values.get(['serviceAccount', 'create'])) ? fullname : 'default');
}
