/**
 * `glance-share check-config FILE`: the file validated exactly as `serve` validates it (the same
 * loading, HOST and PORT included, and the same start-up refusals), then the effective
 * configuration on stdout as JSON with its secrets masked. Invalid: the problems, one a line, on
 * stderr, and exit 1.
 */
import { startupProblems } from '../base/config.ts';
import type { Validator } from '../base/validation.ts';
import { effectiveConfig, problemLines } from './config-file.ts';
import { OperatorError } from './operator-error.ts';
import { maskedConfig } from './secrets.ts';

export interface CheckConfigOptions {
  configPath: string;
  env: { HOST?: string | undefined; PORT?: string | undefined };
  validator: Validator;
}

export function checkConfig(options: CheckConfigOptions): void {
  const { config, file } = effectiveConfig(options);
  const problems = startupProblems(config);
  if (problems.length > 0) throw new OperatorError(problemLines(file, problems));
  process.stdout.write(`${JSON.stringify(maskedConfig(config), null, 2)}\n`);
}
