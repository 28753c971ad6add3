/**
 * The architecture as lint rules (ARCHITECTURE.md): which folder of `src/` may import which.
 *
 * Every folder of `src/` is classified as (area, layer):
 *   - `src/base`                      base: domain types, errors, config, validation, logger, clock
 *   - `src/store`, `src/http`         shared infrastructure of one layer (database, web)
 *   - `src/<room>/{http,services,store}`  a feature room and its layers
 *   - `src/*.ts`, `src/cli`           the composition root (app.ts, compose.ts, server.ts and the
 *                                     commands of src/cli): may import anything, and no other
 *                                     folder imports it
 * and the allowed arrows are listed once in `mayImport`. For each folder, every other folder it may
 * not import becomes a `no-restricted-imports` pattern on the relative path that would reach it, so
 * a wrong import fails `npm run lint` with a message that names both folders and the rule.
 */
import { readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';

const ROOMS = ['images', 'members', 'identity', 'batch'];
const LAYERS = ['http', 'services', 'store'];

/** Packages a layer must not use, whatever folder it is in. */
const FORBIDDEN_PACKAGES = {
  base: ['express', 'knex', 'pg', 'sqlite3'],
  http: ['knex', 'pg', 'sqlite3'],
  services: ['express', 'knex', 'pg', 'sqlite3'],
  store: ['express'],
};

/** The folders of `src/` that belong to the composition root, as `src/*.ts` does. */
const ROOT_FOLDERS = ['cli'];

/** `src/members/store/x` → { area: 'members', layer: 'store' }; undefined for the composition root. */
export function classify(folder) {
  const [top, sub] = folder.split('/').slice(1);
  if (top === undefined || ROOT_FOLDERS.includes(top)) return undefined;
  if (top === 'base') return { area: 'base', layer: 'base' };
  if (top === 'store' || top === 'http') return { area: 'shared', layer: top };
  if (ROOMS.includes(top) && LAYERS.includes(sub)) return { area: top, layer: sub };
  throw new Error(`eslint.boundaries.js: ${folder} is in no room or layer; add it to ARCHITECTURE.md and here`);
}

/** The allowed arrows: may code in `from` import code in `to`? */
export function mayImport(from, to) {
  if (to.area === 'base') return true;
  if (from.area === 'base') return false;
  if (from.area === 'shared') return to.area === 'shared' && to.layer === from.layer;
  // A room's layer: its own layer and the ones below it, the shared infrastructure of its layer,
  // and other rooms' services (a rule one feature borrows from another, never their storage).
  const own = to.area === from.area;
  switch (from.layer) {
    case 'http':
      return (own && (to.layer === 'http' || to.layer === 'services')) || (to.area === 'shared' && to.layer === 'http');
    case 'services':
      return (own && (to.layer === 'services' || to.layer === 'store')) || (to.area !== 'shared' && to.layer === 'services');
    case 'store':
      return (own && to.layer === 'store') || (to.area === 'shared' && to.layer === 'store');
    default:
      return false;
  }
}

/** Folders below `dir` (itself included) that hold TypeScript files. */
function foldersUnder(dir) {
  const names = readdirSync(dir);
  const found = names.some((name) => name.endsWith('.ts')) ? [dir] : [];
  for (const name of names) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) found.push(...foldersUnder(path));
  }
  return found;
}

const escapeRegex = (text) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
const describe = (kind) => {
  if (kind === undefined) return 'the composition root';
  const { area, layer } = kind;
  return area === 'base' ? 'base' : area === 'shared' ? `shared ${layer}` : `${area} ${layer}`;
};

/** One flat-config object per folder of `src/`, built from the folders that exist now. */
export function boundaryConfigs(root) {
  const folders = foldersUnder(join(root, 'src'))
    .map((path) => relative(root, path).split('\\').join('/'))
    .filter((folder) => folder !== 'src');
  const classified = folders.map((folder) => ({ folder, kind: classify(folder) }));
  // The composition root's folders (src/cli) get no rule: they may import anything.
  const ruled = classified.filter(({ kind }) => kind !== undefined);
  return ruled.map(({ folder, kind }) => {
    const patterns = classified
      // Nothing imports the composition root.
      .filter((other) => other.folder !== folder && (other.kind === undefined || !mayImport(kind, other.kind)))
      // A folder's own subfolders are part of it (src/store/migrations is the shared store too).
      .filter((other) => !other.folder.startsWith(`${folder}/`))
      .map((other) => {
        let path = relative(folder, other.folder).split('\\').join('/');
        if (!path.startsWith('.')) path = `./${path}`;
        return {
          regex: `^${escapeRegex(path)}/`,
          message: `${describe(kind)} (${folder}) may not import ${describe(other.kind)} (${other.folder}): see ARCHITECTURE.md, "allowed arrows".`,
        };
      });
    const paths = FORBIDDEN_PACKAGES[kind.layer].map((name) => ({
      name,
      message: `the ${kind.layer} layer may not use ${name}: see ARCHITECTURE.md.`,
    }));
    return {
      name: `boundaries/${folder}`,
      files: [`${folder}/*.ts`],
      rules: { 'no-restricted-imports': ['error', { paths, patterns }] },
    };
  });
}
