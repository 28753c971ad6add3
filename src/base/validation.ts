/**
 * One Ajv instance, built once from every JSON schema in `schemas/` and compiled up front
 * (never per request). Each schema is addressed by its `$id`, which is its file name.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import addFormatsModule from 'ajv-formats';

// ajv-formats is CommonJS; under NodeNext its default export is the module object.
const addFormats = addFormatsModule as unknown as (ajv: Ajv) => Ajv;

export interface Validator {
  /** Returns the list of problems (empty when `data` is valid). Defaults from the schema are applied in place. */
  check(schemaId: string, data: unknown): string[];
  /** The raw schema document, for routes that serve schemas. */
  schema(schemaId: string): unknown;
}

export function createValidator(schemaDir: string): Validator {
  const ajv = new Ajv({ allErrors: true, strict: true, useDefaults: true, allowUnionTypes: true });
  addFormats(ajv);
  const documents = new Map<string, unknown>();
  for (const file of readdirSync(schemaDir)
    .filter((name) => name.endsWith('.json'))
    .sort()) {
    const document = JSON.parse(readFileSync(join(schemaDir, file), 'utf8')) as { $id?: string };
    if (document.$id !== file) throw new Error(`schema ${file} must have "$id": "${file}"`);
    documents.set(file, document);
    ajv.addSchema(document);
  }
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
