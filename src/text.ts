/** Small text helpers for finding messages. */

/** A value quoted as the messages quote values (JSON string syntax). */
export const quote = (s: string): string => JSON.stringify(s);

/** `a`, `a and b`, `a, b and c`. */
export function listing(items: readonly string[]): string {
  if (items.length <= 1) return items.join('');
  return `${items.slice(0, -1).join(', ')} and ${items[items.length - 1]}`;
}
