/**
 * Runs Tempest 33's nine image-member tests (spec/peers.md section 1) with pytest against any
 * Keystone v3 URL whose catalog points at glance-share: glance-share's built-in identity or a real
 * Keystone. pytest, not `tempest run`, because its closing line counts passes, and `tempest run`
 * exits 0 even when every test was skipped.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PYTHON, cleanEnv, runCli } from './cli.ts';

const TEMPEST_V2 = '/usr/lib/python3/dist-packages/tempest/api/image/v2';

/** The three paths of spec/peers.md section 1, in its order. */
export const TEMPEST_PATHS = [
  `${TEMPEST_V2}/test_images_member.py`,
  `${TEMPEST_V2}/test_images_member_negative.py`,
  `${TEMPEST_V2}/test_images.py::ListSharedImagesTest`,
] as const;

/** The nine test ids (module.Class.test) those paths must run, every one of them passing. */
export const TEMPEST_MEMBER_TESTS = [
  'tempest.api.image.v2.test_images_member.ImagesMemberTest.test_get_image_member',
  'tempest.api.image.v2.test_images_member.ImagesMemberTest.test_get_image_member_schema',
  'tempest.api.image.v2.test_images_member.ImagesMemberTest.test_get_image_members_schema',
  'tempest.api.image.v2.test_images_member.ImagesMemberTest.test_image_share_accept',
  'tempest.api.image.v2.test_images_member.ImagesMemberTest.test_image_share_reject',
  'tempest.api.image.v2.test_images_member.ImagesMemberTest.test_remove_image_member',
  'tempest.api.image.v2.test_images_member_negative.ImagesMemberNegativeTest.test_image_share_invalid_status',
  'tempest.api.image.v2.test_images_member_negative.ImagesMemberNegativeTest.test_image_share_owner_cannot_accept',
  'tempest.api.image.v2.test_images.ListSharedImagesTest.test_list_images_param_member_status',
] as const;

export interface TempestAccount {
  username: string;
  password: string;
  projectName: string;
}

export interface TempestOptions {
  /** Keystone v3 root (tempest.conf `[identity] uri_v3`), e.g. http://127.0.0.1:PORT/identity/v3. */
  identityUrl: string;
  /** At least two plain (non-admin) users in domain Default; Tempest uses `primary` and `alt`. */
  accounts: readonly TempestAccount[];
  timeoutMs?: number;
}

export interface TempestResult {
  /** pytest's closing line, e.g. `9 passed, 5 warnings in 2.22s`. */
  summary: string;
  /** Counts from the closing line: passed, failed, skipped, error(s), xfailed, … */
  counts: Record<string, number>;
  /** Outcome per test id (module.Class.test), from pytest's `-rA` short summary. */
  outcomes: Map<string, string>;
  code: number | null;
  timedOut: boolean;
  output: string;
  ms: number;
}

/** Writes tempest.conf and accounts.yaml (absolute paths) into a temporary directory, runs pytest, removes the directory. */
export async function runTempest({ identityUrl, accounts, timeoutMs = 300_000 }: TempestOptions): Promise<TempestResult> {
  if (accounts.length < 2) throw new Error('Tempest needs at least two accounts (primary and alt)');
  const dir = mkdtempSync(join(tmpdir(), 'glance-share-tempest-'));
  try {
    const home = join(dir, 'home');
    const lock = join(dir, 'lock');
    mkdirSync(home);
    mkdirSync(lock);
    const accountsFile = join(dir, 'accounts.yaml');
    writeFileSync(
      accountsFile,
      accounts
        .map((a) =>
          [
            `- username: ${yamlString(a.username)}`,
            `  project_name: ${yamlString(a.projectName)}`,
            `  password: ${yamlString(a.password)}`,
          ].join('\n'),
        )
        .join('\n') + '\n',
    );
    writeFileSync(
      join(dir, 'tempest.conf'),
      [
        '[auth]',
        'use_dynamic_credentials = false',
        `test_accounts_file = ${accountsFile}`,
        '[identity]',
        `uri_v3 = ${identityUrl}`,
        '[oslo_concurrency]',
        `lock_path = ${lock}`,
        '[image]',
        'container_formats = bare',
        'disk_formats = raw',
        '[image-feature-enabled]',
        'api_v2 = true',
        'api_v1 = false',
        '',
      ].join('\n'),
    );

    const result = await runCli(PYTHON, ['-m', 'pytest', '-p', 'no:cacheprovider', '-q', '-rA', ...TEMPEST_PATHS], {
      env: { ...cleanEnv(home), TEMPEST_CONFIG_DIR: dir, TEMPEST_CONFIG: 'tempest.conf' },
      cwd: dir,
      timeoutMs,
    });
    const output = result.stdout + result.stderr;
    const summary = summaryLine(result.stdout);
    return {
      summary,
      counts: countsOf(summary),
      outcomes: outcomesOf(result.stdout),
      code: result.code,
      timedOut: result.timedOut,
      output,
      ms: result.ms,
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** YAML double-quoted scalar (JSON strings are valid YAML). */
function yamlString(value: string): string {
  return JSON.stringify(value);
}

/** pytest -q ends with `N passed[, M failed…] in Xs`, possibly framed by `=` signs. */
function summaryLine(stdout: string): string {
  const lines = stdout
    .trim()
    .split('\n')
    .map((line) => line.replace(/^=+\s*|\s*=+$/g, '').trim());
  return [...lines].reverse().find((line) => /\bin \d+(\.\d+)?s\b/.test(line)) ?? '(no pytest summary line)';
}

function countsOf(summary: string): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const match of summary.matchAll(/(\d+) ([a-z]+)/g)) {
    const name = match[2]!.replace(/^errors$/, 'error').replace(/^warnings$/, 'warning');
    counts[name] = Number(match[1]);
  }
  return counts;
}

/** `PASSED ../path/tempest/api/image/v2/test_x.py::Class::test_y` → `tempest.api.image.v2.test_x.Class.test_y`. */
function outcomesOf(stdout: string): Map<string, string> {
  const outcomes = new Map<string, string>();
  for (const match of stdout.matchAll(/^(PASSED|FAILED|SKIPPED|ERROR|XFAIL|XPASS)\s+\S*?(tempest\/[\w/]+)\.py::(\w+)::(\w+)/gm)) {
    outcomes.set(`${match[2]!.replaceAll('/', '.')}.${match[3]}.${match[4]}`, match[1]!);
  }
  return outcomes;
}
