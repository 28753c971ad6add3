/**
 * The configuration a command runs with: the file of --config or GLANCE_SHARE_CONFIG (without one,
 * `{ "auth": { "demo": true } }`), HOST and PORT from the environment, loaded and checked by
 * base/config.ts. Every way it fails is one line per problem, naming the file.
 */
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { ConfigError, loadConfig, type Config } from '../base/config.ts';
import type { Validator } from '../base/validation.ts';
import { jsonErrorOffset, jsonErrorReason, lineAndColumn } from './json-error.ts';
import { OperatorError, fsReason } from './operator-error.ts';

/** What runs without a configuration file: the demo identity, on the default loopback address. */
export const NO_FILE_CONFIG = { auth: { demo: true } } as const;

export interface EffectiveConfig {
  config: Readonly<Config>;
  /** The file's absolute path; undefined when there is none (the demo identity). */
  file: string | undefined;
}

export interface EffectiveConfigOptions {
  /** As given on the command line or in GLANCE_SHARE_CONFIG; resolved against the working directory. */
  configPath: string | undefined;
  env: { HOST?: string | undefined; PORT?: string | undefined };
  validator: Validator;
}

/** The parsed file; unreadable or not JSON: one line with the path and the reason (line and column for JSON). */
export function readConfigFile(file: string): unknown {
  let text: string;
  try {
    text = readFileSync(file, 'utf8').replace(/^\uFEFF/, '');
  } catch (error) {
    throw new OperatorError([`glance-share: cannot read the configuration file ${file}: ${fsReason(error)}`]);
  }
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    // Never JSON.parse's own message alone: it may quote the text, and the text holds secrets.
    const offset = jsonErrorOffset(text) ?? 0;
    const { line, column } = lineAndColumn(text, offset);
    throw new OperatorError([`glance-share: ${file}:${line}:${column}: invalid JSON: ${jsonErrorReason(error, text, offset)}`]);
  }
}

/** The validated configuration, as every command loads it; throws OperatorError with one line per problem. */
export function effectiveConfig({ configPath, env, validator }: EffectiveConfigOptions): EffectiveConfig {
  const file = configPath === undefined ? undefined : resolve(configPath);
  const contents = file === undefined ? structuredClone(NO_FILE_CONFIG) : readConfigFile(file);
  try {
    const config = loadConfig({
      file: contents,
      baseDir: file === undefined ? process.cwd() : dirname(file),
      env: { HOST: env.HOST, PORT: env.PORT },
      check: (data) => validator.check('config.json', data),
    });
    return { config, file };
  } catch (error) {
    if (error instanceof ConfigError) throw new OperatorError(problemLines(file, error.problems), { cause: error });
    throw error;
  }
}

/** One line per problem, each naming where it comes from. */
export function problemLines(file: string | undefined, problems: readonly string[]): string[] {
  return problems.map((problem) => `glance-share: ${file ?? 'configuration'}: ${problem}`);
}
