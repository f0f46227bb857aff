import { pino, type Logger, type DestinationStream } from 'pino';

/**
 * Paths pino removes before a line is written. Tokens and patient identifiers must never
 * reach a log (DEVELOPERS.md, privacy); request bodies are never logged at all.
 */
export const REDACT_PATHS: readonly string[] = [
  'req.headers.authorization',
  'headers.authorization',
  'authorization',
  'access_token',
  '*.access_token',
  'fhirAuthorization',
  '*.fhirAuthorization',
  'patientId',
  '*.patientId',
  'context',
  '*.context',
  'prefetch',
  '*.prefetch',
  'token',
  '*.token',
];

export function createLogger(level: string, destination?: DestinationStream): Logger {
  return pino(
    {
      level,
      base: { service: 'precision-cds' },
      redact: { paths: [...REDACT_PATHS], censor: '[redacted]' },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
    },
    destination,
  );
}
