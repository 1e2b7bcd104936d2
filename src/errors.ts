/** Errors that map to the CLI's exit codes. Anything else is an internal error (exit 3). */

/** A usage or configuration error: exit 2 with one line on stderr. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}
