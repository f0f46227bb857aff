import type { Logger } from 'pino';
import type { ClientIdentity } from '../auth/types.js';

declare global {
  namespace Express {
    interface Request {
      /** Per-request child logger carrying the request id. */
      log: Logger;
      id: string;
      /** The verified CDS client, set by the auth middleware (absent when auth is disabled). */
      client?: ClientIdentity;
    }
  }
}
export {};
