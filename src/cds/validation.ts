import { readFileSync } from 'node:fs';
import { Ajv2020, type ErrorObject, type ValidateFunction } from 'ajv/dist/2020.js';
import * as ajvFormats from 'ajv-formats';
import type { IssueInput } from '../errors/outcome.js';

const OPENAPI_KEYWORDS = ['openapi', 'info', 'paths', 'components', 'servers', 'tags', 'security', 'webhooks', 'externalDocs', 'jsonSchemaDialect'];

/** Per-hook context schemas (CDS Hooks library 1.0.1); other hooks only need an object. */
const CONTEXT_SCHEMAS: Readonly<Record<string, string>> = {
  'patient-view': 'PatientViewContext',
  'order-select': 'OrderSelectContext',
  'order-sign': 'OrderSignContext',
};

export type Validation = { readonly ok: true } | { readonly ok: false; readonly issues: readonly Omit<IssueInput, 'code'>[] };

export interface Validators {
  readonly request: (body: unknown) => Validation;
  readonly context: (hook: string, context: unknown) => Validation;
  readonly feedback: (body: unknown) => Validation;
  readonly response: (body: unknown) => Validation;
}

/** `/context/patientId` -> `context.patientId`; required errors name the missing member. */
function expressionOf(e: ErrorObject, prefix: string): string {
  const parts = e.instancePath.split('/').slice(1).map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~'));
  if (e.keyword === 'required') parts.push(String(e.params['missingProperty']));
  if (e.keyword === 'dependentRequired') parts.push(String(e.params['missingProperty']));
  const path = parts.map((p, i) => (/^\d+$/.test(p) ? `[${p}]` : i === 0 ? p : `.${p}`)).join('');
  return [prefix, path].filter(Boolean).join(path.startsWith('[') ? '' : '.');
}

function describe(e: ErrorObject, expression: string): string {
  const where = expression || 'body';
  switch (e.keyword) {
    case 'required':
    case 'dependentRequired':
      return `${where} is required`;
    case 'type':
      return `${where} must be of type ${String(e.params['type'])}`;
    case 'enum':
      return `${where} must be one of ${(e.params['allowedValues'] as unknown[]).map(String).join(', ')}`;
    case 'const':
      return `${where} must be ${JSON.stringify(e.params['allowedValue'])}`;
    case 'false schema':
    case 'not':
      return `${where} is not allowed here`;
    default:
      return `${where} ${e.message ?? 'is invalid'}`;
  }
}

function toValidation(fn: ValidateFunction, data: unknown, prefix = ''): Validation {
  if (fn(data)) return { ok: true };
  const seen = new Set<string>();
  const issues: Omit<IssueInput, 'code'>[] = [];
  // Keyword errors of if/then/anyOf wrappers repeat what the inner errors say.
  for (const e of (fn.errors ?? []).filter((x) => !['if', 'anyOf', 'oneOf', 'allOf'].includes(x.keyword))) {
    const expression = expressionOf(e, prefix);
    const diagnostics = describe(e, expression);
    if (seen.has(diagnostics)) continue;
    seen.add(diagnostics);
    issues.push({ diagnostics, ...(expression ? { expression } : {}) });
    if (issues.length >= 20) break;
  }
  return { ok: false, issues };
}

/** Compiles the schemas of `openapi/openapi.json` once, at start. */
export function createValidators(openapiPath: string): Validators {
  const doc = JSON.parse(readFileSync(openapiPath, 'utf8')) as unknown;
  const ajv = new Ajv2020({ allErrors: true, strict: true, keywords: OPENAPI_KEYWORDS });
  const addFormats = ((ajvFormats as unknown as { default?: unknown }).default ?? ajvFormats) as (a: Ajv2020) => void;
  addFormats(ajv);
  ajv.addSchema(doc as object, 'openapi.json');
  const get = (name: string): ValidateFunction => {
    const fn = ajv.getSchema(`openapi.json#/components/schemas/${name}`);
    if (!fn) throw new Error(`schema ${name} missing from ${openapiPath}`);
    return fn;
  };
  const request = get('CdsRequest');
  const feedback = get('FeedbackRequest');
  const response = get('CdsServiceResponse');
  const contexts = new Map(Object.entries(CONTEXT_SCHEMAS).map(([hook, name]) => [hook, get(name)]));
  return {
    request: (body) => toValidation(request, body),
    context: (hook, ctx) => {
      const fn = contexts.get(hook);
      return fn ? toValidation(fn, ctx, 'context') : { ok: true };
    },
    feedback: (body) => toValidation(feedback, body),
    response: (body) => toValidation(response, body),
  };
}
