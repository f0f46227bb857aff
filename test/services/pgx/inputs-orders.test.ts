import { describe, expect, it } from '@jest/globals';
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Bundle, FhirResource, Medication, MedicationRequest, MedicationStatement } from 'fhir/r4.js';
import {
  DRUG_INGREDIENTS,
  PARTNER_INGREDIENTS,
  RXNORM_PRODUCTS,
  activeMedicationIngredients,
  extractDraftMedications,
  productIngredients,
  type DraftMedication,
} from '../../../src/services/pgx/inputs/orders.js';

/*
 * Draft medication orders from CDS Hooks contexts (the published order-select / order-sign
 * examples in shared/cds-hooks/examples and hand-made drafts) and active medications.
 */

const RXNORM = 'http://www.nlm.nih.gov/research/umls/rxnorm';

function deepFreeze<T>(x: T): T {
  if (x && typeof x === 'object' && !Object.isFrozen(x)) {
    Object.freeze(x);
    for (const v of Object.values(x as object)) deepFreeze(v);
  }
  return x;
}

function example(file: string): { context: { draftOrders?: unknown; selections?: unknown } } {
  return JSON.parse(readFileSync(resolve(process.cwd(), '..', 'shared', 'cds-hooks', 'examples', file), 'utf8'));
}

function fixtureResources(file: string): FhirResource[] {
  const bundle = JSON.parse(readFileSync(resolve(process.cwd(), 'fhir-fixtures', file), 'utf8')) as Bundle;
  return (bundle.entry ?? []).map((e) => e.resource!);
}

function mr(id: string | undefined, med: Partial<MedicationRequest> = {}): MedicationRequest {
  return {
    resourceType: 'MedicationRequest',
    ...(id ? { id } : {}),
    status: 'draft',
    intent: 'order',
    subject: { reference: 'Patient/p1' },
    ...med,
  } as MedicationRequest;
}

const rx = (code: string, display?: string, text?: string): Partial<MedicationRequest> => ({
  medicationCodeableConcept: { coding: [{ system: RXNORM, code, ...(display ? { display } : {}) }], ...(text ? { text } : {}) },
});
const textOnly = (text: string): Partial<MedicationRequest> => ({ medicationCodeableConcept: { text } });

function bundle(...resources: FhirResource[]): Bundle {
  return { resourceType: 'Bundle', type: 'collection', entry: resources.map((resource) => ({ resource })) };
}

function sign(...requests: FhirResource[]): DraftMedication[] {
  return extractDraftMedications(deepFreeze({ draftOrders: bundle(...requests) }), 'order-sign');
}

function one(request: MedicationRequest | FhirResource, ...others: FhirResource[]): DraftMedication {
  const drafts = sign(request, ...others);
  expect(drafts).toHaveLength(1);
  return drafts[0]!;
}

const names = (d: DraftMedication): string[] => d.ingredients.map((i) => i.name);

const EXAMPLES = resolve(process.cwd(), '..', 'shared', 'cds-hooks', 'examples');
if (!existsSync(EXAMPLES)) console.warn(`inputs-orders: CDS Hooks examples skipped, ${EXAMPLES} not found (../shared is beside CI and dev checkouts only)`);
(existsSync(EXAMPLES) ? describe : describe.skip)('CDS Hooks examples', () => {
  it('order-select (library R4): the NutritionOrder is ignored, the selected MedicationRequest is read', () => {
    const ex = example('library1.0.1-order-select-context-R4.json');
    const before = JSON.stringify(ex);
    const drafts = extractDraftMedications(deepFreeze(ex.context), 'order-select');
    expect(drafts).toHaveLength(1);
    const d = drafts[0]!;
    expect(d).toMatchObject({
      requestId: 'smart-MedicationRequest-103',
      reference: 'MedicationRequest/smart-MedicationRequest-103',
      ingredients: [],
      matchedBy: 'none', // amoxicillin/clavulanate: not a drug of the list
      displayText: 'Amoxicillin 120 MG/ML / clavulanate potassium 8.58 MG/ML Oral Suspension',
      nonSystemic: false,
    });
    const entries = (ex.context.draftOrders as Bundle).entry!;
    expect(d.resource).toBe(entries[1]!.resource); // the draft as sent, the same object
    expect(JSON.stringify(ex)).toBe(before);
  });

  it('order-select (docs): a ServiceRequest only -> no medications', () => {
    expect(extractDraftMedications(example('cdshooks-docs-examples-order-select-request.json').context, 'order-select')).toEqual([]);
  });

  it('order-sign (library R4 and spec 2.0 fragment): every MedicationRequest', () => {
    expect(extractDraftMedications(example('library1.0.1-order-sign-context-R4.json').context, 'order-sign').map((d) => d.reference)).toEqual([
      'MedicationRequest/smart-MedicationRequest-103',
    ]);
    const fragment = extractDraftMedications(example('spec2.0-context-draftOrders-fragment.json').context, 'order-sign');
    expect(fragment).toHaveLength(1);
    expect(fragment[0]).toMatchObject({ reference: 'MedicationRequest/123', displayText: 'Amoxicillin 120 MG/ML / clavulanate potassium 8.58 MG/ML Oral Suspension' });
  });
});

describe('selections', () => {
  const clopidogrel = mr('mr-1', rx('32968', 'clopidogrel'));
  const warfarin = mr('mr-2', rx('855332', 'warfarin sodium 5 MG Oral Tablet'));
  const service: FhirResource = { resourceType: 'ServiceRequest', id: 'sr-1', status: 'draft', intent: 'order', subject: { reference: 'Patient/p1' } };
  const draftOrders = deepFreeze(bundle(clopidogrel, warfarin, service));

  it('order-select reads only the selected orders; order-sign reads them all', () => {
    expect(extractDraftMedications({ draftOrders, selections: ['MedicationRequest/mr-2'] }, 'order-select').map((d) => d.requestId)).toEqual(['mr-2']);
    expect(extractDraftMedications({ draftOrders, selections: ['ServiceRequest/sr-1'] }, 'order-select')).toEqual([]);
    expect(extractDraftMedications({ draftOrders, selections: ['MedicationRequest/mr-2'] }, 'order-sign').map((d) => d.requestId)).toEqual(['mr-1', 'mr-2']);
  });

  it('absolute and versioned references select too; missing selections select nothing', () => {
    const sel = ['https://ehr.example/fhir/MedicationRequest/mr-1/_history/3'];
    expect(extractDraftMedications({ draftOrders, selections: sel }, 'order-select').map((d) => d.requestId)).toEqual(['mr-1']);
    expect(extractDraftMedications({ draftOrders }, 'order-select')).toEqual([]);
    expect(extractDraftMedications({ draftOrders, selections: 'MedicationRequest/mr-1' }, 'order-select')).toEqual([]);
  });

  it('a draft without an id is referenced (and selected) by its fullUrl', () => {
    const withFullUrl: Bundle = { resourceType: 'Bundle', type: 'collection', entry: [{ fullUrl: 'urn:uuid:5b6f', resource: mr(undefined, rx('32968')) }] };
    const drafts = extractDraftMedications({ draftOrders: withFullUrl, selections: ['urn:uuid:5b6f'] }, 'order-select');
    expect(drafts).toHaveLength(1);
    expect(drafts[0]!.reference).toBe('urn:uuid:5b6f');
    expect(drafts[0]!.requestId).toBeUndefined();
    const noUrl = extractDraftMedications({ draftOrders: bundle(mr(undefined, rx('32968'))) }, 'order-sign');
    expect(noUrl[0]!.reference).toBe('draftOrders.entry[0]');
  });

  it('not a Bundle, or no entries: nothing', () => {
    expect(extractDraftMedications({ draftOrders: undefined }, 'order-sign')).toEqual([]);
    expect(extractDraftMedications({ draftOrders: [clopidogrel] }, 'order-sign')).toEqual([]);
    expect(extractDraftMedications({ draftOrders: { resourceType: 'Bundle' } }, 'order-sign')).toEqual([]);
  });

  it('doNotPerform and entered-in-error drafts are left out', () => {
    expect(sign(mr('a', { ...rx('32968'), doNotPerform: true }), mr('b', { ...rx('32968'), status: 'entered-in-error' }))).toEqual([]);
  });
});

describe('identifying the drug', () => {
  it('RxNorm ingredient code -> rxnorm-ingredient', () => {
    const d = one(mr('a', rx('32968', 'clopidogrel', 'clopidogrel 75 MG Oral Tablet')));
    expect(d.ingredients).toEqual([{ rxnorm: '32968', name: 'clopidogrel' }]);
    expect(d.matchedBy).toBe('rxnorm-ingredient');
    expect(d.displayText).toBe('clopidogrel 75 MG Oral Tablet');
  });

  it('RxNorm clinical and branded drug codes -> rxnorm-product', () => {
    const scd = one(mr('a', rx('309362', 'clopidogrel 75 MG Oral Tablet')));
    expect(scd).toMatchObject({ ingredients: [{ rxnorm: '32968', name: 'clopidogrel' }], matchedBy: 'rxnorm-product', displayText: 'clopidogrel 75 MG Oral Tablet' });
    const sbd = one(mr('b', rx('213169')));
    expect(sbd).toMatchObject({ ingredients: [{ rxnorm: '32968', name: 'clopidogrel' }], matchedBy: 'rxnorm-product', displayText: 'RxNorm 213169' });
    expect(one(mr('c', rx('855332'))).ingredients).toEqual([{ rxnorm: '11289', name: 'warfarin' }]);
  });

  it('RxNorm by its OID system too', () => {
    const d = one(mr('a', { medicationCodeableConcept: { coding: [{ system: 'urn:oid:2.16.840.1.113883.6.88', code: '190521' }] } }));
    expect(d).toMatchObject({ matchedBy: 'rxnorm-ingredient', ingredients: [{ rxnorm: '190521', name: 'abacavir' }] });
  });

  it('a contained Medication -> medication-resource', () => {
    const contained: Medication = { resourceType: 'Medication', id: 'm1', code: { coding: [{ system: RXNORM, code: '855332', display: 'warfarin sodium 5 MG Oral Tablet' }] } };
    const d = one(mr('a', { contained: [contained], medicationReference: { reference: '#m1' } }));
    expect(d).toMatchObject({ matchedBy: 'medication-resource', ingredients: [{ rxnorm: '11289', name: 'warfarin' }], displayText: 'warfarin sodium 5 MG Oral Tablet' });
  });

  it('a Medication elsewhere in the draftOrders Bundle, and its ingredient list', () => {
    const med: Medication = {
      resourceType: 'Medication',
      id: 'med-7',
      code: { text: 'Compounded capsule' },
      ingredient: [{ itemCodeableConcept: { coding: [{ system: RXNORM, code: '1256', display: 'azathioprine' }] } }],
    };
    const drafts = sign(mr('a', { medicationReference: { reference: 'Medication/med-7' } }), med);
    expect(drafts).toHaveLength(1);
    expect(drafts[0]).toMatchObject({ matchedBy: 'medication-resource', ingredients: [{ rxnorm: '1256', name: 'azathioprine' }], displayText: 'Compounded capsule' });
  });

  it('a draft carries the Medication it references, as sent (for its strength: src/clinical/dose.ts)', () => {
    const med: Medication = { resourceType: 'Medication', id: 'med-8', code: { coding: [{ system: RXNORM, code: '855332' }] } };
    expect(sign(mr('a', { medicationReference: { reference: 'Medication/med-8' } }), med)[0]!.medication).toBe(med);
    expect(sign(mr('b', rx('855332', 'warfarin')))[0]!.medication).toBeUndefined();
  });

  it('text: ingredient or brand name as a whole word, the last resort', () => {
    expect(one(mr('a', textOnly('Plavix 75 mg tablet daily')))).toMatchObject({ matchedBy: 'text', ingredients: [{ rxnorm: '32968', name: 'clopidogrel' }] });
    expect(one(mr('b', rx('99999999', 'TRAMADOL HCL 50MG TAB')))).toMatchObject({ matchedBy: 'text', ingredients: [{ name: 'tramadol' }] });
    expect(one(mr('c', { medicationReference: { display: 'carbamazepine 200 mg' } }))).toMatchObject({ matchedBy: 'text', ingredients: [{ name: 'carbamazepine' }] });
    const med: Medication = { resourceType: 'Medication', id: 'm', code: { text: 'Xeloda 500 mg' } };
    expect(one(mr('d', { contained: [med], medicationReference: { reference: '#m' } }))).toMatchObject({ matchedBy: 'text', ingredients: [{ name: 'capecitabine' }] });
  });

  it('whole words only: dihydrocodeine, escitalopram and fosphenytoin are not codeine, citalopram and phenytoin', () => {
    expect(names(one(mr('a', textOnly('aspirin / caffeine / dihydrocodeine capsule'))))).toEqual([]);
    expect(names(one(mr('b', textOnly('escitalopram 10 mg'))))).toEqual(['escitalopram']);
    expect(names(one(mr('c', textOnly('fosphenytoin 50 mg PE/mL injection'))))).toEqual(['fosphenytoin']);
  });

  it('no code and no text -> none', () => {
    const d = one(mr('a'));
    expect(d).toMatchObject({ matchedBy: 'none', ingredients: [], displayText: 'Medication order without a drug name' });
    expect(one(mr('b', { medicationCodeableConcept: {} })).matchedBy).toBe('none');
  });

  it('an unverified ingredient code (fosphenytoin) is not used to identify an order', () => {
    expect(one(mr('a', rx('72236'))).matchedBy).toBe('none');
    expect(one(mr('b', rx('72236', 'fosphenytoin'))).matchedBy).toBe('text');
  });

  it('a partner ingredient alone does not make an order relevant', () => {
    expect(one(mr('a', rx('161', 'acetaminophen'))).matchedBy).toBe('none');
    expect(one(mr('b', textOnly('acetaminophen 500 mg'))).matchedBy).toBe('none');
  });

  it('non-systemic forms are flagged', () => {
    const cream = one(mr('a', textOnly('fluorouracil 50 MG/ML Topical Cream')));
    expect(cream).toMatchObject({ ingredients: [{ name: 'fluorouracil' }], matchedBy: 'text', nonSystemic: true });
    const byRoute = one(mr('b', { ...rx('42316'), dosageInstruction: [{ route: { text: 'Topical' } }] }));
    expect(byRoute.nonSystemic).toBe(true);
    expect(one(mr('c', rx('309362'))).nonSystemic).toBe(false);
  });
});

describe('combination products', () => {
  it('product codes give every reported ingredient', () => {
    expect(one(mr('a', rx('993781'))).ingredients).toEqual([
      { rxnorm: '161', name: 'acetaminophen' },
      { rxnorm: '2670', name: 'codeine' },
    ]);
    expect(names(one(mr('b', rx('597990'))))).toEqual(['amlodipine', 'atorvastatin']);
    expect(names(one(mr('c', rx('836395'))))).toEqual(['acetaminophen', 'tramadol']);
    // ezetimibe's ingredient code is not verified: only simvastatin is reported
    expect(one(mr('d', rx('476350'))).ingredients).toEqual([{ rxnorm: '36567', name: 'simvastatin' }]);
  });

  it('text of a combination gives each ingredient named', () => {
    const d = one(mr('a', textOnly('abacavir 600 MG / lamivudine 300 MG Oral Tablet')));
    expect(d.matchedBy).toBe('text');
    expect(d.ingredients).toEqual([
      { rxnorm: '190521', name: 'abacavir' },
      { rxnorm: '68244', name: 'lamivudine' },
    ]);
    expect(names(one(mr('b', textOnly('Triumeq tablet'))))).toEqual(['abacavir']);
  });

  it('an ingredient code and a product code together give their union', () => {
    const d = one(mr('a', { medicationCodeableConcept: { coding: [{ system: RXNORM, code: '2670' }, { system: RXNORM, code: '993781' }] } }));
    expect(d.matchedBy).toBe('rxnorm-ingredient');
    expect(names(d)).toEqual(['acetaminophen', 'codeine']);
  });
});

describe('active medications (warfarin model co-medication)', () => {
  it('pgx-warfarin: amiodarone from its active MedicationRequest', () => {
    const resources = fixtureResources('16-pgx-warfarin.json');
    const requests = resources.filter((r): r is MedicationRequest => r.resourceType === 'MedicationRequest');
    expect(activeMedicationIngredients(deepFreeze(requests), [])).toEqual([
      { rxnorm: '703', name: 'amiodarone', source: 'MedicationRequest/pgx-warfarin-medrx-1', matchedBy: 'rxnorm-ingredient', warfarinModel: 'amiodarone' },
    ]);
  });

  it('pgx-cyp2c19-poor and pgx-multi: clopidogrel and simvastatin; aspirin is not a drug of the list', () => {
    const requests = (file: string): MedicationRequest[] =>
      fixtureResources(file).filter((r): r is MedicationRequest => r.resourceType === 'MedicationRequest');
    expect(activeMedicationIngredients(requests('12-pgx-cyp2c19-poor.json'), []).map((i) => i.name)).toEqual(['clopidogrel']);
    expect(activeMedicationIngredients(requests('17-pgx-multi.json'), []).map((i) => i.name)).toEqual(['simvastatin']);
  });

  it('only active requests and statements; enzyme inducers are marked', () => {
    const requests = deepFreeze([
      mr('r1', { ...rx('2002', 'carbamazepine'), status: 'active' }),
      mr('r2', { ...rx('703'), status: 'stopped' }),
      mr('r3', { ...rx('9384'), status: 'active', doNotPerform: true }),
    ]);
    const statements: MedicationStatement[] = deepFreeze([
      { resourceType: 'MedicationStatement', id: 's1', status: 'active', subject: { reference: 'Patient/p1' }, medicationCodeableConcept: { text: 'Rifadin 300 mg' } },
      { resourceType: 'MedicationStatement', id: 's2', status: 'completed', subject: { reference: 'Patient/p1' }, medicationCodeableConcept: { text: 'phenytoin 100 mg' } },
      {
        resourceType: 'MedicationStatement',
        id: 's3',
        status: 'active',
        subject: { reference: 'Patient/p1' },
        contained: [{ resourceType: 'Medication', id: 'm', code: { coding: [{ system: RXNORM, code: '855671' }] } }],
        medicationReference: { reference: '#m' },
      },
    ]);
    expect(activeMedicationIngredients(requests, statements)).toEqual([
      { rxnorm: '2002', name: 'carbamazepine', source: 'MedicationRequest/r1', matchedBy: 'rxnorm-ingredient', warfarinModel: 'enzyme-inducer' },
      { rxnorm: '9384', name: 'rifampin', source: 'MedicationStatement/s1', matchedBy: 'text', warfarinModel: 'enzyme-inducer' },
      { rxnorm: '8183', name: 'phenytoin', source: 'MedicationStatement/s3', matchedBy: 'medication-resource', warfarinModel: 'enzyme-inducer' },
    ]);
  });
});

describe('data tables', () => {
  it('the drug list has every drug with its RxNorm ingredient code', () => {
    const expected: Record<string, string> = {
      clopidogrel: '32968', citalopram: '2556', escitalopram: '321988', voriconazole: '121243', codeine: '2670', tramadol: '10689',
      warfarin: '11289', simvastatin: '36567', atorvastatin: '83367', rosuvastatin: '301542', pravastatin: '42463', pitavastatin: '861634',
      lovastatin: '6472', fluvastatin: '41127', azathioprine: '1256', mercaptopurine: '103', thioguanine: '10485', fluorouracil: '4492',
      capecitabine: '194000', abacavir: '190521', carbamazepine: '2002', oxcarbazepine: '32624', allopurinol: '519', phenytoin: '8183',
      fosphenytoin: '72236', tacrolimus: '42316', atazanavir: '343047', prasugrel: '613391', ticagrelor: '1116632', amiodarone: '703', rifampin: '9384',
    };
    expect(Object.fromEntries(DRUG_INGREDIENTS.map((d) => [d.name, d.rxnorm]))).toEqual(expected);
    const codes = [...DRUG_INGREDIENTS, ...PARTNER_INGREDIENTS].map((d) => d.rxnorm);
    expect(new Set(codes).size).toBe(codes.length);
  });

  it('every product code is unique, named, and reports at least one drug of the list', () => {
    const drugNames = new Set(DRUG_INGREDIENTS.map((d) => d.name));
    const codes = RXNORM_PRODUCTS.map((p) => p.rxcui);
    expect(new Set(codes).size).toBe(codes.length);
    for (const p of RXNORM_PRODUCTS) {
      expect(p.name).toMatch(/MG|ML/);
      expect(productIngredients(p.rxcui).some((i) => drugNames.has(i.name))).toBe(true);
      for (const name of p.ingredients) expect([...drugNames, ...PARTNER_INGREDIENTS.map((d) => d.name), 'ezetimibe']).toContain(name);
    }
  });
});
