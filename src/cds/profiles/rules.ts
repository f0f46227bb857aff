import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv2020 } from 'ajv/dist/2020.js';
import type { Action } from '../types.js';

/** The kinds of CDS client a trusted-clients entry can name (`profile`); `generic` by default. */
export const PROFILE_NAMES = ['generic', 'epic', 'oracle'] as const;
export type ProfileName = (typeof PROFILE_NAMES)[number];

/** What one kind of client supports (cards/profiles.json `profiles.<name>`). */
export interface ClientProfile {
  readonly source: string;
  /** The only selectionBehavior the client accepts; absent: as issued. */
  readonly selectionBehavior?: 'any' | 'at-most-one';
  /** Absent: no limit. */
  readonly maxActionsPerSuggestion?: number;
  readonly actionTypes: readonly Action['type'][];
  readonly systemActions: boolean;
  readonly appContext: boolean;
  /** `interruptive-kinds-only`: critical is kept only for the kinds listed under `interruptive`. */
  readonly critical: 'as-issued' | 'interruptive-kinds-only';
  /** Give cards and suggestions without a uuid a stable one (feedback needs them). */
  readonly requireUuids?: boolean;
}

export interface ProfileWording {
  readonly reorderLabel: string;
  readonly reorderDescription: string;
  readonly reorderDescriptionNoText: string;
  readonly cancelForReorderLabel: string;
  readonly cancelForReorderDescription: string;
  readonly reorderOtherLabel: string;
  readonly cancelForOtherLabel: string;
  readonly choiceSuffix: string;
  readonly medicationFallback: string;
}

/** cards/profiles.json, checked against cards/profiles.schema.json. */
export interface ProfileRules {
  readonly version: string;
  readonly topic: { readonly source: string; readonly system: string; readonly maxCodeLength: number; readonly hashLength: number };
  readonly profiles: Readonly<Record<ProfileName, ClientProfile>>;
  /** Per service id, the card kinds that warrant an interruptive pop-up. */
  readonly interruptive: Readonly<Record<string, { readonly source: string; readonly kinds: readonly string[] }>>;
  readonly wording: ProfileWording;
}

export const PROFILES_FILE = 'profiles.json';
export const PROFILES_SCHEMA_FILE = 'profiles.schema.json';

/** A profiles file that cannot be used; the app refuses to start with it. */
export class ProfileRulesError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ProfileRulesError';
  }
}

/** Checks parsed profile rules against the schema; throws ProfileRulesError naming the first problem. */
export function parseProfileRules(json: unknown, schema: object, source = PROFILES_FILE): ProfileRules {
  const validate = new Ajv2020({ allErrors: true, strict: true }).compile(schema);
  if (!validate(json)) {
    const e = validate.errors?.[0];
    throw new ProfileRulesError(`${source}: ${e?.instancePath || '/'} ${e?.message ?? 'is invalid'}`);
  }
  const rules = json as ProfileRules;
  for (const name of PROFILE_NAMES) {
    const p = rules.profiles[name];
    // An update becomes cancel-and-reorder only where both halves can be applied.
    if (!p.actionTypes.includes('update') && !(p.actionTypes.includes('create') && p.actionTypes.includes('delete'))) {
      throw new ProfileRulesError(`${source}: profile "${name}" supports neither update nor both create and delete`);
    }
  }
  const { $comment: _comment, ...interruptive } = rules.interruptive as Record<string, unknown>;
  // A frozen copy: the caller's object is left as it was.
  return deepFreeze(structuredClone({ ...rules, interruptive: interruptive as ProfileRules['interruptive'] }));
}

/** Reads `<cardsDir>/profiles.json` and its schema (once, at start). */
export function loadProfileRules(cardsDir: string): ProfileRules {
  const read = (file: string): unknown => {
    try {
      return JSON.parse(readFileSync(join(cardsDir, file), 'utf8'));
    } catch (err) {
      throw new ProfileRulesError(`${file}: cannot be read as JSON (${(err as Error).message})`);
    }
  };
  return parseProfileRules(read(PROFILES_FILE), read(PROFILES_SCHEMA_FILE) as object);
}

function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object') {
    for (const v of Object.values(value)) deepFreeze(v);
    Object.freeze(value);
  }
  return value;
}
