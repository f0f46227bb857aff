import type { ErrorRequestHandler, RequestHandler } from 'express';
import { HttpError } from './http-error.js';

/** Errors raised by express.json / raw-body carry a `type`; map them to the catalogue. */
function fromBodyParser(err: unknown): HttpError | undefined {
  if (typeof err !== 'object' || err === null || !('type' in err)) return undefined;
  switch ((err as { type: unknown }).type) {
    case 'entity.too.large':
      return new HttpError('PAYLOAD_TOO_LARGE');
    case 'entity.parse.failed':
      return new HttpError('INVALID_JSON');
    case 'encoding.unsupported':
    case 'charset.unsupported':
      return new HttpError('UNSUPPORTED_MEDIA_TYPE', 'only UTF-8 JSON is accepted');
    case 'request.aborted':
    case 'request.size.invalid':
    case 'stream.encoding.set':
      return new HttpError('INVALID_REQUEST', 'the request body could not be read');
    default:
      return undefined;
  }
}

export function toHttpError(err: unknown): HttpError {
  if (err instanceof HttpError) return err;
  return fromBodyParser(err) ?? new HttpError('INTERNAL', undefined, { cause: err });
}

/**
 * The single error handler: every failure becomes an OperationOutcome with the catalogue's
 * status. 5xx are logged with their cause; nothing internal reaches the response.
 */
export const errorHandler: ErrorRequestHandler = (err, req, res, _next) => {
  const httpError = toHttpError(err);
  if (httpError.status >= 500) {
    req.log?.error({ err: httpError.cause ?? err, errorKey: httpError.key }, 'request failed');
  } else {
    req.log?.info({ errorKey: httpError.key, status: httpError.status }, httpError.message);
  }
  if (res.headersSent) return;
  if (httpError.status === 401) res.setHeader('WWW-Authenticate', 'Bearer');
  res.status(httpError.status).type('application/fhir+json').send(JSON.stringify(httpError.outcome));
};

export const notFoundHandler: RequestHandler = (_req, _res, next) => next(new HttpError('NOT_FOUND'));
