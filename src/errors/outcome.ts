import type { OperationOutcome, OperationOutcomeIssue } from 'fhir/r4.js';

/** FHIR issue-type codes we emit. https://hl7.org/fhir/R4/valueset-issue-type.html */
export type IssueType = OperationOutcomeIssue['code'];

export interface IssueInput {
  readonly code: IssueType;
  readonly diagnostics: string;
  /** FHIRPath-like location of the offending element (e.g. `context.patientId`). */
  readonly expression?: string;
  readonly severity?: OperationOutcomeIssue['severity'];
}

/** Builds an OperationOutcome; every issue names the problem in plain words. */
export function operationOutcome(issues: readonly IssueInput[]): OperationOutcome {
  return {
    resourceType: 'OperationOutcome',
    issue: issues.map((i) => ({
      severity: i.severity ?? 'error',
      code: i.code,
      diagnostics: i.diagnostics,
      ...(i.expression ? { expression: [i.expression] } : {}),
    })),
  };
}
