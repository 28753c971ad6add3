/**
 * One Ajv instance, built once and compiled up front (never per request), holding every JSON
 * schema of `schemas/` — each addressed by its `$id`, which is its file name — and Glance's image
 * schema, registered as GLANCE_IMAGE_SCHEMA_ID from the very document served as /v2/schemas/image,
 * so that what is checked and what clients are shown cannot drift apart.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import addFormatsModule from 'ajv-formats';

// ajv-formats is CommonJS; under NodeNext its default export is the module object.
const addFormats = addFormatsModule as unknown as (ajv: Ajv) => Ajv;

/** The id of Glance's image schema (schemas/glance/image.json): create bodies and PATCH values are checked against it. */
export const GLANCE_IMAGE_SCHEMA_ID = 'glance/image.json';

/**
 * Keywords of Glance's schema documents that annotate rather than validate: the schema's `name`
 * and `links`, and `is_base` on the properties Glance does not store as base attributes. Declared
 * to Ajv so that strict mode accepts them (and still refuses any other unknown keyword).
 */
const GLANCE_ANNOTATIONS = ['is_base', 'name', 'links'];

/** JSON schema checks by schema id. */
export interface Validator {
  /** Returns the list of problems (empty when `data` is valid). Defaults from the schema are applied in place. */
  check(schemaId: string, data: unknown): string[];
  /** The raw schema document, for routes that serve schemas. */
  schema(schemaId: string): unknown;
}

const readJson = (path: string): Record<string, unknown> => JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>;

/** The schemas of `schemaDir` itself (not its subdirectories), in file-name order, each checked to be named by its `$id`. */
function ownSchemas(schemaDir: string): Array<[string, Record<string, unknown>]> {
  const files = readdirSync(schemaDir)
    .filter((name) => name.endsWith('.json'))
    .sort();
  return files.map((file) => {
    const document = readJson(join(schemaDir, file));
    if (document['$id'] !== file) throw new Error(`schema ${file} must have "$id": "${file}"`);
    return [file, document];
  });
}

/** The validator over `schemaDir` (the project's `schemas/`: its own files, and `glance/image.json`). */
export function createValidator(schemaDir: string): Validator {
  const ajv = new Ajv({ allErrors: true, strict: true, useDefaults: true, allowUnionTypes: true });
  addFormats(ajv);
  ajv.addVocabulary(GLANCE_ANNOTATIONS);
  const documents = new Map<string, unknown>();
  for (const [id, document] of ownSchemas(schemaDir)) {
    documents.set(id, document);
    ajv.addSchema(document);
  }
  // The served document stays as it is (schema() returns it: Glance's 400 texts quote it); Ajv gets
  // a copy with an id and the object type Glance's validator implies for a whole image.
  const glanceImage = readJson(join(schemaDir, GLANCE_IMAGE_SCHEMA_ID));
  documents.set(GLANCE_IMAGE_SCHEMA_ID, glanceImage);
  ajv.addSchema({ $id: GLANCE_IMAGE_SCHEMA_ID, type: 'object', ...structuredClone(glanceImage) });

  const compiled = new Map<string, ValidateFunction>();
  for (const id of documents.keys()) compiled.set(id, ajv.getSchema(id)!);

  return {
    check(schemaId, data) {
      const validate = compiled.get(schemaId);
      if (!validate) throw new Error(`unknown schema ${schemaId}`);
      if (validate(data)) return [];
      return (validate.errors ?? []).map(describeProblem);
    },
    schema(schemaId) {
      const document = documents.get(schemaId);
      if (document === undefined) throw new Error(`unknown schema ${schemaId}`);
      return document;
    },
  };
}

function describeProblem(error: ErrorObject): string {
  const where = error.instancePath === '' ? '(root)' : error.instancePath;
  if (error.keyword === 'additionalProperties') {
    return `${where}: unknown property "${String(error.params['additionalProperty'])}"`;
  }
  if (error.keyword === 'enum') {
    return `${where}: must be one of ${JSON.stringify(error.params['allowedValues'])}`;
  }
  return `${where}: ${error.message ?? error.keyword}`;
}
