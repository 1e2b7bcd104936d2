/**
 * `config/invalid`: a pull request that makes `.blast-radius.yml` invalid. The check would stop with
 * exit 2 on every later pull request once it merged, so it is a high finding on the offending line
 * rather than a failure of this run (the base config stays in force).
 */
import type { ConfigProblem } from './config.js';
import type { Finding, RuleMeta } from './types.js';

export const CONFIG_RULE: RuleMeta = {
  id: 'config/invalid',
  family: 'config',
  type: 'change',
  severity: 'high',
  description: 'Flag a change that makes the Blast Radius configuration invalid',
  docs: 'docs/rules/config/invalid.md',
  remediation: 'Fix the key as the message says; `npx blast-radius check --config .blast-radius.yml` validates it locally.',
};

/** One high finding per problem of the head config, on its line. */
export function configFindings(file: string, problems: readonly ConfigProblem[]): Finding[] {
  return problems.map((p) => ({
    ruleId: CONFIG_RULE.id,
    family: CONFIG_RULE.family,
    severity: CONFIG_RULE.severity,
    message: `${p.key}: ${p.message} — once merged, every later check would stop with a configuration error`,
    remediation: CONFIG_RULE.remediation,
    file,
    line: p.line,
    resource: null,
    clusters: [],
    suppressed: false,
    suppressedBy: null,
    key: p.key,
  }));
}
