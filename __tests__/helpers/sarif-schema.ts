/** The official SARIF 2.1.0 schema as an Ajv validator, for the SARIF and injection tests. */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { Ajv } from 'ajv';
import addFormatsModule from 'ajv-formats';

/** A validator of SARIF 2.1.0 logs (draft-04 style `id`/`$schema`, which Ajv 8 does not load as is). */
export function sarifValidator() {
  const path = createRequire(import.meta.url).resolve('@microsoft/jest-sarif/lib/schemas/sarif-2.1.0-rtm.5.json');
  const { $schema: _draft, id: _id, ...schema } = JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>;
  // The schema's `language` pattern is not valid under the `u` flag Ajv uses by default.
  const ajv = new Ajv({ strict: false, allErrors: true, unicodeRegExp: false });
  // ajv-formats is CommonJS: under NodeNext its default import may be the module object.
  const mod = addFormatsModule as unknown as { default?: (a: Ajv) => Ajv } & ((a: Ajv) => Ajv);
  (mod.default ?? mod)(ajv);
  return ajv.compile(schema);
}
