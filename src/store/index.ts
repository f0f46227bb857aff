/**
 * The decision store: pick one with `openDecisionStore`. SQLite for a single node (and, with
 * path ':memory:', for tests and the sandbox); PostgreSQL when replicas share one store.
 */
import { PostgresDecisionStore, type PostgresStoreOptions } from './postgres.js';
import { SqliteDecisionStore, type SqliteStoreOptions } from './sqlite.js';
import type { DecisionStore } from './types.js';

export type StoreConfig = ({ readonly kind: 'sqlite' } & SqliteStoreOptions) | ({ readonly kind: 'postgres' } & PostgresStoreOptions);

/** Opens the store and applies pending migrations; throws MigrationError when one fails. */
export async function openDecisionStore(config: StoreConfig): Promise<DecisionStore> {
  if (config.kind === 'postgres') return PostgresDecisionStore.open(config);
  return SqliteDecisionStore.open(config);
}

export { defaultCardKind } from './common.js';
export { isPseudonym, pseudonymize, type PseudonymKind } from './pseudonymize.js';
export { PostgresDecisionStore, type PostgresStoreOptions } from './postgres.js';
export { DEFAULT_SQLITE_PATH, SqliteDecisionStore, type SqliteStoreOptions } from './sqlite.js';
export * from './types.js';
