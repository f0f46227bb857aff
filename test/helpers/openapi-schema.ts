import { readFileSync } from 'node:fs';
import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js';
import ajvFormats from 'ajv-formats';

const OPENAPI_KEYWORDS = ['openapi', 'info', 'paths', 'components', 'servers', 'tags', 'security', 'webhooks', 'externalDocs', 'jsonSchemaDialect'];

/** A validator for `components.schemas.<name>` of openapi/openapi.json, compiled as the service compiles it. */
export function openapiSchema(name: string): ValidateFunction {
  const ajv = new Ajv2020({ strict: true, allErrors: true, keywords: OPENAPI_KEYWORDS });
  (ajvFormats as unknown as { default: (a: Ajv2020) => void }).default(ajv);
  ajv.addSchema(JSON.parse(readFileSync('openapi/openapi.json', 'utf8')) as object, 'openapi.json');
  const fn = ajv.getSchema(`openapi.json#/components/schemas/${name}`);
  if (!fn) throw new Error(`no schema ${name}`);
  return fn;
}
