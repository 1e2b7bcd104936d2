#!/usr/bin/env node
import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);

// src/cli.ts
import { parseArgs } from "node:util";
var HELP = `Usage: blast-radius check [options]

Checks what a change to a Kubernetes infrastructure repository does to the fleet, and reports a
risk score (0-100), a level and findings on exact lines.

Options:
  --repo DIR          repository to read (default: the current directory)
  --base REF          what the change is compared against (default: merge-base of HEAD with the
                      default branch)
  --head REF          the change (default: HEAD)
  --config FILE       read the config from this file instead of .blast-radius.yml on the base commit
  --format FORMAT     text | json | markdown | sarif (default: text)
  --output FILE       write the report to FILE instead of stdout
  --fail-on LEVEL     none | low | medium | high | critical (default: the config's failOn, else high)
  --labels L1,L2      pull-request labels to honour (trusted as given)
  -h, --help          show this help
  -v, --version       show the version

Exit codes: 0 level below fail-on; 1 level at or above fail-on; 2 usage or configuration error;
3 internal error.
`;
var FORMATS = ["text", "json", "markdown", "sarif"];
var LEVELS = ["none", "low", "medium", "high", "critical"];
function fail(code, message) {
  process.stderr.write(`blast-radius: ${message}
`);
  process.exit(code);
}
async function main(argv) {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      strict: true,
      options: {
        repo: { type: "string" },
        base: { type: "string" },
        head: { type: "string" },
        config: { type: "string" },
        format: { type: "string" },
        output: { type: "string" },
        "fail-on": { type: "string" },
        labels: { type: "string" },
        help: { type: "boolean", short: "h" },
        version: { type: "boolean", short: "v" }
      }
    });
  } catch (e) {
    fail(2, `${e.message} (see --help)`);
  }
  const { values, positionals } = parsed;
  if (values.help) {
    process.stdout.write(HELP);
    return 0;
  }
  if (values.version) {
    process.stdout.write(`${process.env.BLAST_RADIUS_VERSION ?? "0.9.3"}
`);
    return 0;
  }
  if (positionals.length === 0) fail(2, "missing command: blast-radius check [options] (see --help)");
  if (positionals[0] !== "check" || positionals.length > 1) fail(2, `unknown command "${positionals.join(" ")}" (see --help)`);
  const format = values.format ?? "text";
  if (!FORMATS.includes(format)) fail(2, `--format must be one of ${FORMATS.join(", ")}, not "${format}"`);
  const failOn = values["fail-on"];
  if (failOn !== void 0 && !LEVELS.includes(failOn)) fail(2, `--fail-on must be one of ${LEVELS.join(", ")}, not "${failOn}"`);
  const { check } = await import("./chunks/check-3FK63BNH.js");
  const { UsageError } = await import("./chunks/errors-JGNSTIUX.js");
  const timingsFile = process.env.BLAST_RADIUS_TIMINGS;
  if (timingsFile) {
    const { timings } = await import("./chunks/timings-B6I7IDY2.js");
    const { writeFileSync } = await import("node:fs");
    process.on("exit", () => writeFileSync(timingsFile, JSON.stringify({ phases: timings() })));
  }
  try {
    return await check({
      repo: values.repo ?? process.cwd(),
      base: values.base,
      head: values.head,
      config: values.config,
      format,
      output: values.output,
      failOn,
      labels: (values.labels ?? "").split(",").map((s) => s.trim()).filter(Boolean),
      color: !values.output && format === "text" && process.stdout.isTTY === true && !process.env.NO_COLOR
    });
  } catch (e) {
    if (e instanceof UsageError) fail(2, e.message);
    fail(3, `internal error: ${e instanceof Error ? e.stack ?? e.message : String(e)}`.split("\n").slice(0, 1).join(""));
  }
}
main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (e) => fail(3, `internal error: ${e instanceof Error ? e.message : String(e)}`)
);
