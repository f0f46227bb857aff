import type { IssueType } from './outcome.js';

/**
 * One catalogue of every error the service returns: HTTP status, FHIR issue type and the
 * fixed public message. Callers add detail that is safe to show (a field path, a key name),
 * never an internal message or a stack.
 */
export const ErrorCatalog = {
  INVALID_REQUEST: { status: 400, code: 'invalid', message: 'The request is invalid' },
  INVALID_JSON: { status: 400, code: 'structure', message: 'The request body is not valid JSON' },
  HOOK_MISMATCH: { status: 400, code: 'invalid', message: 'The hook does not match the service' },
  FHIR_SERVER_NOT_ALLOWED: { status: 400, code: 'security', message: 'fhirServer is not allowed for this client' },
  UNAUTHORIZED: { status: 401, code: 'login', message: 'Authentication failed' },
  FORBIDDEN: { status: 403, code: 'forbidden', message: 'Not allowed' },
  SERVICE_NOT_FOUND: { status: 404, code: 'not-found', message: 'Unknown CDS service' },
  NOT_FOUND: { status: 404, code: 'not-found', message: 'Not found' },
  METHOD_NOT_ALLOWED: { status: 405, code: 'not-supported', message: 'Method not allowed' },
  PRECONDITION_FAILED: { status: 412, code: 'incomplete', message: 'Required FHIR data could not be obtained' },
  PAYLOAD_TOO_LARGE: { status: 413, code: 'too-costly', message: 'The request body is too large' },
  UNSUPPORTED_MEDIA_TYPE: { status: 415, code: 'not-supported', message: 'Content-Type must be application/json' },
  INTERNAL: { status: 500, code: 'exception', message: 'Internal error' },
  SERVICE_UNAVAILABLE: { status: 503, code: 'transient', message: 'Service unavailable' },
} as const satisfies Record<string, { status: number; code: IssueType; message: string }>;

export type ErrorKey = keyof typeof ErrorCatalog;
