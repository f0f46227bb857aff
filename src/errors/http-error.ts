import type { OperationOutcome } from 'fhir/r4.js';
import { ErrorCatalog, type ErrorKey } from './catalog.js';
import { operationOutcome, type IssueInput } from './outcome.js';

/** The one error type of the service: an HTTP status with the OperationOutcome to send. */
export class HttpError extends Error {
  readonly status: number;
  readonly outcome: OperationOutcome;
  readonly key: ErrorKey;

  constructor(key: ErrorKey, details?: string | readonly Omit<IssueInput, 'code'>[], options?: { cause?: unknown }) {
    const entry = ErrorCatalog[key];
    const issues: IssueInput[] =
      details === undefined
        ? [{ code: entry.code, diagnostics: entry.message }]
        : typeof details === 'string'
          ? [{ code: entry.code, diagnostics: `${entry.message}: ${details}` }]
          : details.map((d) => ({ ...d, code: entry.code }));
    super(issues.map((i) => i.diagnostics).join('; '), options);
    this.name = 'HttpError';
    this.key = key;
    this.status = entry.status;
    this.outcome = operationOutcome(issues);
  }
}
