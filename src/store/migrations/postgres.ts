import type { Migration } from '../types.js';

/**
 * PostgreSQL schema, in order, created in the store's schema (search_path). Applied ones are
 * never edited (their checksum is checked at start): add a new entry instead.
 */
export const POSTGRES_MIGRATIONS: readonly Migration[] = [
  {
    id: 1,
    name: '001-initial',
    sql: `
CREATE TABLE issued_cards (
  service_id       text        NOT NULL,
  card_uuid        text        NOT NULL,
  hook             text        NOT NULL,
  hook_instance    text        NOT NULL,
  kind             text        NOT NULL,
  indicator        text        NOT NULL,
  summary          text        NOT NULL,
  suggestion_uuids jsonb       NOT NULL DEFAULT '[]',
  models           jsonb       NOT NULL DEFAULT '[]',
  rule_tables      jsonb       NOT NULL DEFAULT '[]',
  issued_at        timestamptz NOT NULL,
  PRIMARY KEY (service_id, card_uuid)
);
CREATE INDEX issued_cards_issued_at ON issued_cards (issued_at);
CREATE INDEX issued_cards_kind ON issued_cards (service_id, kind, issued_at);

CREATE TABLE feedback (
  id                   bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  service_id           text        NOT NULL,
  card_uuid            text        NOT NULL,
  outcome              text        NOT NULL CHECK (outcome IN ('accepted', 'overridden')),
  outcome_timestamp    text        NOT NULL,
  outcome_at           timestamptz,
  received_at          timestamptz NOT NULL,
  unknown_card         boolean     NOT NULL,
  accepted_suggestions jsonb       NOT NULL DEFAULT '[]',
  override_system      text,
  override_code        text,
  override_display     text,
  has_comment          boolean     NOT NULL DEFAULT false,
  UNIQUE (service_id, card_uuid, outcome, outcome_timestamp)
);
CREATE INDEX feedback_received_at ON feedback (received_at);
CREATE INDEX feedback_unknown ON feedback (unknown_card) WHERE unknown_card;

CREATE TABLE audit (
  id                bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  at                timestamptz      NOT NULL,
  client_iss        text,
  tenant            text,
  service_id        text             NOT NULL,
  hook              text             NOT NULL,
  hook_instance     text             NOT NULL,
  status            integer          NOT NULL,
  latency_ms        double precision NOT NULL,
  patient_token     text,
  user_token        text,
  prefetch_supplied jsonb            NOT NULL DEFAULT '[]',
  prefetch_fetched  jsonb            NOT NULL DEFAULT '[]',
  models            jsonb            NOT NULL DEFAULT '[]',
  card_uuids        jsonb            NOT NULL DEFAULT '[]'
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
  feedback_id      bigint  NOT NULL REFERENCES feedback (id) ON DELETE CASCADE,
  position         integer NOT NULL,
  override_system  text,
  override_code    text,
  override_display text,
  has_comment      boolean NOT NULL DEFAULT false,
  PRIMARY KEY (feedback_id, position)
);
CREATE INDEX feedback_override_reasons_code ON feedback_override_reasons (override_system, override_code);

INSERT INTO feedback_override_reasons (feedback_id, position, override_system, override_code, override_display, has_comment)
SELECT id, 0, override_system, override_code, override_display, has_comment
FROM feedback
WHERE override_system IS NOT NULL OR override_code IS NOT NULL OR override_display IS NOT NULL OR has_comment;
`,
  },
];
