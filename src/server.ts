#!/usr/bin/env node
/**
 * The process entry point (the `glance-share` command): reads the command line and the
 * environment, runs one command of src/cli/, and turns what fails into an exit status. An error an
 * operator can fix (cli/operator-error.ts: a port in use, a file that cannot be read, an invalid
 * configuration, a database that does not answer) is printed as its lines, without a stack, and
 * exits 1; anything else is a bug and prints its stack. `glance-share --help` lists the commands.
 */
import { join } from 'node:path';
import { createLogger } from './base/logger.ts';
import { createValidator } from './base/validation.ts';
import { checkConfig } from './cli/check-config.ts';
import { packageVersion, parseCommandLine, USAGE, type Invocation } from './cli/command-line.ts';
import { effectiveConfig } from './cli/config-file.ts';
import { hashPasswordCommand } from './cli/hash-password.ts';
import { OperatorError } from './cli/operator-error.ts';
import { serve } from './cli/serve.ts';
import { databaseFailure, ensureWritableDirectories } from './cli/startup-checks.ts';
import { migrateDatabase } from './compose.ts';

/** schemas/ sits beside src/ and dist/ alike. */
const SCHEMA_DIR = join(import.meta.dirname, '..', 'schemas');

async function run(invocation: Invocation): Promise<void> {
  const env = { HOST: process.env['HOST'], PORT: process.env['PORT'] };
  switch (invocation.command) {
    case 'help':
      process.stdout.write(USAGE);
      return;
    case 'version':
      process.stdout.write(`${packageVersion()}\n`);
      return;
    case 'hash-password':
      return hashPasswordCommand();
    case 'check-config':
      return checkConfig({ configPath: invocation.configPath, env, validator: createValidator(SCHEMA_DIR) });
    case 'migrate': {
      const { config } = effectiveConfig({ configPath: invocation.configPath, env, validator: createValidator(SCHEMA_DIR) });
      ensureWritableDirectories(config, { withImages: false });
      await migrateDatabase({ config, logger: createLogger(config.logLevel) }).catch((error: unknown) => {
        throw databaseFailure(error, config);
      });
      return;
    }
    case 'serve': {
      const validator = createValidator(SCHEMA_DIR);
      // GLANCE_SHARE_LOG_PRETTY=1 (set by `npm run dev`): human-readable logs through pino-pretty.
      const prettyLogs = process.env['GLANCE_SHARE_LOG_PRETTY'] === '1';
      return serve(effectiveConfig({ configPath: invocation.configPath, env, validator }), validator, { prettyLogs });
    }
  }
}

async function main(): Promise<void> {
  await run(parseCommandLine(process.argv.slice(2), process.env['GLANCE_SHARE_CONFIG']));
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof OperatorError ? error.message : ((error as Error).stack ?? String(error))}\n`);
  process.exit(1);
});
