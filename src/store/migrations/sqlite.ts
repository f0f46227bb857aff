import type { Migration } from '../types.js';

/**
 * SQLite schema, in order. Applied ones are never edited (their checksum is checked at start):
 * add a new entry instead. Times are milliseconds since the Unix epoch (INTEGER); lists are JSON.
 */
export const SQLITE_MIGRATIONS: readonly Migration[] = [
  {
    id: 1,
    name: '001-initial',
    sql: `
CREATE TABLE issued_cards (
  service_id       TEXT    NOT NULL,
  card_uuid        TEXT    NOT NULL,
  hook             TEXT    NOT NULL,
  hook_instance    TEXT    NOT NULL,
  kind             TEXT    NOT NULL,
  indicator        TEXT    NOT NULL,
  summary          TEXT    NOT NULL,
  suggestion_uuids TEXT    NOT NULL DEFAULT '[]',
  models           TEXT    NOT NULL DEFAULT '[]',
  rule_tables      TEXT    NOT NULL DEFAULT '[]',
  issued_at        INTEGER NOT NULL,
  PRIMARY KEY (service_id, card_uuid)
) WITHOUT ROWID;
CREATE INDEX issued_cards_issued_at ON issued_cards (issued_at);
CREATE INDEX issued_cards_kind ON issued_cards (service_id, kind, issued_at);

CREATE TABLE feedback (
  id                   INTEGER PRIMARY KEY,
  service_id           TEXT    NOT NULL,
  card_uuid            TEXT    NOT NULL,
  outcome              TEXT    NOT NULL CHECK (outcome IN ('accepted', 'overridden')),
  outcome_timestamp    TEXT    NOT NULL,
  outcome_at           INTEGER,
  received_at          INTEGER NOT NULL,
  unknown_card         INTEGER NOT NULL CHECK (unknown_card IN (0, 1)),
  accepted_suggestions TEXT    NOT NULL DEFAULT '[]',
  override_system      TEXT,
  override_code        TEXT,
  override_display     TEXT,
  has_comment          INTEGER NOT NULL DEFAULT 0,
  UNIQUE (service_id, card_uuid, outcome, outcome_timestamp)
);
CREATE INDEX feedback_received_at ON feedback (received_at);
CREATE INDEX feedback_unknown ON feedback (unknown_card) WHERE unknown_card = 1;

CREATE TABLE audit (
  id                INTEGER PRIMARY KEY,
  at                INTEGER NOT NULL,
  client_iss        TEXT,
  tenant            TEXT,
  service_id        TEXT    NOT NULL,
  hook              TEXT    NOT NULL,
  hook_instance     TEXT    NOT NULL,
  status            INTEGER NOT NULL,
  latency_ms        REAL    NOT NULL,
  patient_token     TEXT,
  user_token        TEXT,
  prefetch_supplied TEXT    NOT NULL DEFAULT '[]',
  prefetch_fetched  TEXT    NOT NULL DEFAULT '[]',
  models            TEXT    NOT NULL DEFAULT '[]',
  card_uuids        TEXT    NOT NULL DEFAULT '[]'
);
CREATE INDEX audit_at ON audit (at);
CREATE INDEX audit_patient ON audit (patient_token) WHERE patient_token IS NOT NULL;
`,
  },
  {
    id: 2,
    name: '002-feedback-override-reasons',
    // Every override reason of a feedback item (Epic sends a list, overrideReasons); the ones
    // already stored in the feedback row are copied over so analytics read one table.
    sql: `
CREATE TABLE feedback_override_reasons (
  feedback_id      INTEGER NOT NULL REFERENCES feedback (id) ON DELETE CASCADE,
  position         INTEGER NOT NULL,
  override_system  TEXT,
  override_code    TEXT,
  override_display TEXT,
  has_comment      INTEGER NOT NULL DEFAULT 0 CHECK (has_comment IN (0, 1)),
  PRIMARY KEY (feedback_id, position)
) WITHOUT ROWID;
CREATE INDEX feedback_override_reasons_code ON feedback_override_reasons (override_system, override_code);

INSERT INTO feedback_override_reasons (feedback_id, position, override_system, override_code, override_display, has_comment)
SELECT id, 0, override_system, override_code, override_display, has_comment
FROM feedback
WHERE override_system IS NOT NULL OR override_code IS NOT NULL OR override_display IS NOT NULL OR has_comment = 1;
`,
  },
];
