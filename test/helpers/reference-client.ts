/**
 * A CDS client that calls the service the way the HL7 CDS Hooks reference client (the "sandbox",
 * github.com/cds-hooks/sandbox, as described in ../shared/cds-hooks/clients.md, checked 2026-12) does from a
 * browser. Used by test/integration/reference-client.test.ts; it reimplements the behaviour, not the code:
 * - JWT: ES384, header `kid` and always `jku: https://sandbox.cds-hooks.org/.well-known/jwks.json` (a URL
 *   nobody here can reach), claims `iss https://sandbox.cds-hooks.org`, `aud` = the exact URL called,
 *   `exp` = now + 300 s, `iat`, a uuid `jti`; no `sub`, no `tenant`.
 * - Every call carries an `Origin` (the page's) and must be allowed by CORS, as a browser requires.
 * - Discovery keyed by `id`: two entries under one id would collapse into one.
 * - Prefetch resolved by the client: tokens filled, reads by GET, searches by `POST <Type>/_search`
 *   (form-encoded) with GET as fallback, `Accept: application/json+fhir` (the DSTU2 media type), the **first
 *   page only**, and keys it failed to fetch left out.
 * - Requests carry `fhirServer` and, unless SMART-launched, no `fhirAuthorization`.
 * - Rx View sends order-select with `selections`; Rx Sign sends order-sign. Drafts: MedicationRequest
 *   `request-123`, an RxNorm product coding, a dose in `{pill}`.
 * - An accepted suggestion applies its **first** action only; feedback is posted on accept and on dismiss.
 */
import { randomUUID } from 'node:crypto';
import { SignJWT } from 'jose';
import type { ClientKey } from './harness.js';

export const REFERENCE_ISSUER = 'https://sandbox.cds-hooks.org';
export const REFERENCE_JKU = 'https://sandbox.cds-hooks.org/.well-known/jwks.json';
export const REFERENCE_ORIGIN = 'http://localhost:8000';
const FHIR_ACCEPT = 'application/json+fhir';

export interface Descriptor {
  readonly id: string;
  readonly hook: string;
  readonly title?: string;
  readonly version?: string;
  readonly prefetch?: Record<string, string>;
}

export interface ClientCard {
  readonly uuid: string;
  readonly summary: string;
  readonly indicator: string;
  readonly detail?: string;
  readonly suggestions?: { label: string; uuid?: string; actions?: { type: string; description: string; resource?: Record<string, any>; resourceId?: string }[] }[];
  readonly overrideReasons?: { system: string; code: string; display?: string }[];
  readonly extension?: Record<string, Record<string, any>>;
}

/** What the client's order form holds: the draft it builds a MedicationRequest from. */
export interface RxForm {
  /** RxNorm product code and its name, or undefined once a delete action cleared the form. */
  medication?: { code: string; name: string };
  /** Number of pills per dose and doses a day (daily, bid, tid, qid). */
  pills: number;
  perDay: 1 | 2 | 3 | 4;
}

/** One HTTP exchange the client made, for the test to inspect. */
export interface Exchange {
  readonly method: string;
  readonly url: string;
  readonly status: number;
  readonly requestHeaders: Record<string, string>;
  readonly allowOrigin: string | null;
}

export class ReferenceClient {
  readonly exchanges: Exchange[] = [];

  constructor(
    private readonly key: ClientKey,
    /** e.g. http://127.0.0.1:3000 (the discovery URL is <base>/cds-services) */
    private readonly serviceBase: string,
    private readonly fhirServer: string,
    private readonly opts: { readonly smartToken?: string } = {},
  ) {}

  /** The JWT the client signs for `audience` (the exact URL it calls). */
  async jwt(audience: string): Promise<string> {
    const now = Math.floor(Date.now() / 1000);
    return new SignJWT({ iss: REFERENCE_ISSUER, aud: audience, exp: now + 300, iat: now, jti: randomUUID() })
      .setProtectedHeader({ alg: 'ES384', typ: 'JWT', kid: this.key.kid, jku: REFERENCE_JKU })
      .sign(this.key.privateKey);
  }

  private async send(method: string, url: string, headers: Record<string, string>, body?: string): Promise<Response> {
    const all = { Origin: REFERENCE_ORIGIN, ...headers };
    const res = await fetch(url, { method, headers: all, ...(body !== undefined ? { body } : {}) });
    this.exchanges.push({ method, url, status: res.status, requestHeaders: all, allowOrigin: res.headers.get('access-control-allow-origin') });
    return res;
  }

  /** GET <base>/cds-services; services keyed by id, as the client's store keeps them. */
  async discover(): Promise<Map<string, Descriptor>> {
    const url = `${this.serviceBase}/cds-services`;
    const res = await this.send('GET', url, { Accept: 'application/json', Authorization: `Bearer ${await this.jwt(url)}` });
    if (res.status !== 200) throw new Error(`discovery: HTTP ${res.status}`);
    const services = ((await res.json()) as { services: Descriptor[] }).services;
    return new Map(services.map((s) => [s.id, s]));
  }

  /** The client's own prefetch: tokens filled, searches POSTed to _search (GET fallback), first page only. */
  async prefetch(templates: Record<string, string>, context: Record<string, unknown>): Promise<Record<string, unknown>> {
    const out: Record<string, unknown> = {};
    const headers: Record<string, string> = { Accept: FHIR_ACCEPT, ...(this.opts.smartToken ? { Authorization: `Bearer ${this.opts.smartToken}` } : {}) };
    const [, practitioner] = String(context['userId'] ?? '').split('/');
    await Promise.all(
      Object.entries(templates).map(async ([key, template]) => {
        const filled = template
          .replace(/\{\{\s*context\.([A-Za-z0-9_]+)\s*\}\}/g, (m, name: string) => {
            const v = context[name];
            return typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean' ? String(v) : m;
          })
          .replace(/\{\{\s*userPractitionerId\s*\}\}/g, practitioner ?? '{{userPractitionerId}}');
        if (/\{\{[^}]+\}\}/.test(filled)) return; // unresolved tokens: skipped, as the client does
        const [path = '', query] = filled.split('?');
        try {
          if (query === undefined) {
            const res = await this.send('GET', `${this.fhirServer}/${path}`, headers);
            if (res.ok) out[key] = await res.json();
            return;
          }
          const params = new URLSearchParams(query).toString();
          let res = await this.send('POST', `${this.fhirServer}/${path}/_search`, { ...headers, 'Content-Type': 'application/x-www-form-urlencoded' }, params);
          if (!res.ok) res = await this.send('GET', `${this.fhirServer}/${path}?${params}`, headers);
          if (res.ok) out[key] = await res.json(); // the first page, whatever its `next` link says
        } catch {
          // a key the client could not fetch is left out
        }
      }),
    );
    return out;
  }

  /** Calls a service the way the client does: prefetch first (if the service declares any), then POST. */
  async call(service: Descriptor, context: Record<string, unknown>): Promise<{ status: number; cards: ClientCard[]; request: Record<string, unknown> }> {
    const url = `${this.serviceBase}/cds-services/${service.id}`;
    const request: Record<string, unknown> = { hookInstance: randomUUID(), hook: service.hook, fhirServer: this.fhirServer, context };
    if (this.opts.smartToken) {
      request['fhirAuthorization'] = { access_token: this.opts.smartToken, token_type: 'Bearer', expires_in: 300, scope: 'patient/*.* user/*.* launch openid profile online_access', subject: 'sandbox-client' };
    }
    if (service.prefetch && Object.keys(service.prefetch).length > 0) {
      const prefetch = await this.prefetch(service.prefetch, context);
      if (Object.keys(prefetch).length > 0) request['prefetch'] = prefetch;
    }
    const res = await this.send('POST', url, { Accept: 'application/json', 'Content-Type': 'application/json', Authorization: `Bearer ${await this.jwt(url)}` }, JSON.stringify(request));
    const body = (await res.json()) as { cards?: ClientCard[] };
    return { status: res.status, cards: body.cards ?? [], request };
  }

  private async feedback(service: Descriptor, item: Record<string, unknown>): Promise<{ status: number; body: any }> {
    const url = `${this.serviceBase}/cds-services/${service.id}/feedback`;
    const res = await this.send('POST', url, { 'Content-Type': 'application/json', Authorization: `Bearer ${await this.jwt(url)}` }, JSON.stringify({ feedback: [item] }));
    return { status: res.status, body: await res.json() };
  }

  /** Takes a suggestion: feedback "accepted", then the first action only is applied to the form. */
  async accept(service: Descriptor, card: ClientCard, index: number, form: RxForm): Promise<{ feedback: { status: number; body: any }; form: RxForm }> {
    const suggestion = card.suggestions?.[index];
    if (!suggestion) throw new Error('no such suggestion');
    const feedback = suggestion.uuid
      ? await this.feedback(service, { card: card.uuid, outcome: 'accepted', acceptedSuggestions: [{ id: suggestion.uuid }], outcomeTimestamp: new Date().toISOString() })
      : { status: 0, body: undefined };
    const first = suggestion.actions?.[0];
    let next = form;
    if (first && (first.type === 'create' || first.type === 'update')) {
      const concept = first.resource?.['medicationCodeableConcept'] as { text?: string; coding?: { code?: string }[] } | undefined;
      // The client takes the new medication's text and first coding as its prescribable; nothing else.
      if (concept?.text && concept.coding?.[0]?.code) next = { ...form, medication: { code: concept.coding[0].code, name: concept.text } };
    } else if (first?.type === 'delete') {
      next = { pills: form.pills, perDay: form.perDay };
    }
    return { feedback, form: next };
  }

  /** Dismisses a card: feedback "overridden", with the reason picked (code and system only), if any. */
  async dismiss(service: Descriptor, card: ClientCard, reason?: { code: string; system: string }): Promise<{ status: number; body: any }> {
    return this.feedback(service, {
      card: card.uuid,
      outcome: 'overridden',
      outcomeTimestamp: new Date().toISOString(),
      ...(reason ? { overrideReason: { reason: { code: reason.code, system: reason.system } } } : {}),
    });
  }
}

/** The MedicationRequest the client's Rx View / Rx Sign builds from its form (R4). */
export function rxDraft(patientId: string, form: RxForm): Record<string, unknown> {
  return {
    resourceType: 'MedicationRequest',
    id: 'request-123',
    status: 'draft',
    subject: { reference: `Patient/${patientId}` },
    authoredOn: new Date().toISOString().slice(0, 10),
    ...(form.medication
      ? {
          dosageInstruction: [
            {
              timing: { repeat: { frequency: form.perDay, period: 1, periodUnit: 'd' } },
              doseAndRate: [{ doseQuantity: { value: form.pills, system: 'http://unitsofmeasure.org', code: '{pill}' } }],
            },
          ],
          medicationCodeableConcept: { text: form.medication.name, coding: [{ display: form.medication.name, system: 'http://www.nlm.nih.gov/research/umls/rxnorm', code: form.medication.code }] },
        }
      : {}),
  };
}

/** order-select context of Rx View (the draft is selected) or order-sign context of Rx Sign. */
export function rxContext(hook: string, patientId: string, form: RxForm): Record<string, unknown> {
  const draft = rxDraft(patientId, form);
  return {
    patientId,
    userId: 'Practitioner/COREPRACTITIONER1',
    ...(hook === 'order-select' ? { selections: ['MedicationRequest/request-123'] } : {}),
    draftOrders: { resourceType: 'Bundle', entry: [{ resource: draft }] },
  };
}
