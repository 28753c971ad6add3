/**
 * The import boundaries of ARCHITECTURE.md are lint rules (eslint.boundaries.js): a wrong import
 * fails `npm run lint`. Checked here on probe files at real paths of the tree, linted with the
 * boundary rules alone, as `npm run lint` applies them.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ESLint } from 'eslint';
import tseslint from 'typescript-eslint';
import { boundaryConfigs } from '../../eslint.boundaries.js';
import { projectRoot } from '../helpers/build-app.ts';

const eslint = new ESLint({
  cwd: projectRoot,
  overrideConfigFile: true,
  overrideConfig: [{ files: ['**/*.ts'], languageOptions: { parser: tseslint.parser } }, ...boundaryConfigs(projectRoot)],
});

/** The messages ESLint gives for `code` placed at `path`. */
async function problems(path: string, code: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath: `${projectRoot}/${path}` });
  return (result?.messages ?? []).map((message) => `${message.ruleId ?? 'parse'}: ${message.message}`);
}

describe('import boundaries', () => {
  const refused: Array<[string, string, string, RegExp]> = [
    [
      'a store imports a service',
      'src/members/store/probe.ts',
      "import '../services/member-service.ts';",
      /members store .* may not import members services/,
    ],
    [
      'a store imports http code',
      'src/images/store/probe.ts',
      "import '../../http/respond.ts';",
      /images store .* may not import shared http/,
    ],
    [
      "a store imports another room's store",
      'src/members/store/probe.ts',
      "import '../../images/store/image-store.ts';",
      /members store .* may not import images store/,
    ],
    ['a service imports express', 'src/members/services/probe.ts', "import express from 'express';", /services layer may not use express/],
    ['a service imports knex', 'src/images/services/probe.ts', "import knex from 'knex';", /services layer may not use knex/],
    [
      'a service imports the database layer',
      'src/images/services/probe.ts',
      "import '../../store/db.ts';",
      /images services .* may not import shared store/,
    ],
    [
      'a route imports its store',
      'src/members/http/probe.ts',
      "import '../store/member-store.ts';",
      /members http .* may not import members store/,
    ],
    [
      'base imports a room',
      'src/base/probe.ts',
      "import '../members/services/member-service.ts';",
      /base .* may not import members services/,
    ],
    ['base imports shared http', 'src/base/probe.ts', "import '../http/respond.ts';", /base .* may not import shared http/],
    [
      'shared store imports a room',
      'src/store/probe.ts',
      "import '../identity/store/token-store.ts';",
      /shared store .* may not import identity store/,
    ],
    [
      'a migration imports a service',
      'src/store/migrations/probe.ts',
      "import '../../members/services/member-limits.ts';",
      /may not import members services/,
    ],
  ];
  for (const [what, path, code, expected] of refused) {
    it(`refuses: ${what}`, async () => {
      const found = await problems(path, code);
      assert.equal(found.length, 1, found.join('\n'));
      assert.match(found[0]!, /^no-restricted-imports: /);
      assert.match(found[0]!, expected);
    });
  }

  const allowed: Array<[string, string, string]> = [
    ['a service imports its own store', 'src/members/services/probe.ts', "import '../store/member-store.ts';"],
    ["a service borrows another room's rule", 'src/members/services/probe.ts', "import '../../images/services/image-access.ts';"],
    [
      'a store imports the shared store and base',
      'src/members/store/probe.ts',
      "import '../../store/db.ts'; import '../../base/errors.ts';",
    ],
    [
      'a route imports its service and shared http',
      'src/members/http/probe.ts',
      "import '../services/member-service.ts'; import '../../http/respond.ts';",
    ],
    ['base imports base', 'src/base/probe.ts', "import './errors.ts';"],
    ['the composition root imports anything', 'src/probe.ts', "import './members/store/member-store.ts'; import './http/respond.ts';"],
  ];
  for (const [what, path, code] of allowed) {
    it(`allows: ${what}`, async () => {
      assert.deepEqual(await problems(path, code), []);
    });
  }
});
