import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { Patient } from 'fhir/r4.js';
import { MODELS_DIR } from '../../../src/app.js';
import { ModelRuntime } from '../../../src/models/runtime.js';
import { iwpc } from '../../../src/models/reference/iwpc.js';
import { cyp2c9Category, iwpcGenotypeProblems, iwpcRace, predictWarfarinDose, vkorc1Category, type WarfarinInputs } from '../../../src/services/pgx/warfarin.js';

const m = (value: number, unit: string) => ({ value, unit, date: '2026-11-01', source: ['Observation/x'] });
const base: WarfarinInputs = {
  age: m(67, 'a'),
  heightCm: m(178, 'cm'),
  weightKg: m(82, 'kg'),
  race: 'white',
  raceText: 'White',
  vkorc1: 'A/G',
  cyp2c9: '*1/*3',
  amiodarone: true,
  enzymeInducer: false,
  missing: [],
};
const race = (...codes: string[]): Patient => ({
  resourceType: 'Patient',
  extension: [{ url: 'http://hl7.org/fhir/us/core/StructureDefinition/us-core-race', extension: [...codes.map((code) => ({ url: 'ombCategory', valueCoding: { code } })), { url: 'text', valueString: 'x' }] }],
});

describe('warfarin dose (IWPC pharmacogenetic algorithm)', () => {
  let models: ModelRuntime;
  beforeAll(async () => {
    models = await ModelRuntime.load(MODELS_DIR);
  });
  afterAll(async () => models.close());

  it('the ONNX dose equals the published equation for the same inputs (age in decades = floor(age/10))', async () => {
    const { dose } = await predictWarfarinDose(models, base);
    const zero = { vkorc1Aa: 0, vkorc1Unknown: 0, cyp2c9_12: 0, cyp2c9_22: 0, cyp2c9_23: 0, cyp2c9_33: 0, cyp2c9Unknown: 0, raceAsian: 0, raceBlack: 0, raceMissingOrMixed: 0, enzymeInducer: 0 };
    const ref = iwpc({ ...zero, ageDecades: 6, heightCm: 178, weightKg: 82, vkorc1Ag: 1, cyp2c9_13: 1, amiodarone: 1 });
    expect(dose?.weeklyMg).toBeCloseTo(ref.weeklyDoseMg, 3);
    expect(dose?.dailyMg).toBeCloseTo(ref.weeklyDoseMg / 7, 4);
    expect(dose?.cautions).toEqual([]);
  });

  it('unknown genotypes use the algorithm "unknown" terms and say so', async () => {
    const { dose } = await predictWarfarinDose(models, { ...base, vkorc1: 'unknown', cyp2c9: 'unknown' });
    expect(dose?.cautions.join(' ')).toMatch(/VKORC1 genotype not on file/);
    expect(dose?.cautions.join(' ')).toMatch(/CYP2C9 genotype not on file/);
  });

  it('African ancestry without *5/*6/*8/*11 tested carries the CPIC caution', async () => {
    const { dose } = await predictWarfarinDose(models, { ...base, race: 'black' });
    expect(dose?.cautions.join(' ')).toMatch(/\*5, \*6, \*8 and \*11/);
  });

  it('no dose when height, weight or age is missing, naming what is missing', async () => {
    const { dose, notCalculated } = await predictWarfarinDose(models, { ...base, missing: ['height'] });
    expect(dose).toBeUndefined();
    expect(notCalculated).toEqual(['height not on file']);
  });

  it('no dose outside the model input range', async () => {
    const { dose, notCalculated } = await predictWarfarinDose(models, { ...base, weightKg: m(400, 'kg') });
    expect(dose).toBeUndefined();
    expect(notCalculated[0]).toMatch(/weight_kg 400 outside/);
  });

  it('maps genotypes and race to the algorithm categories', () => {
    expect(['G/A', 'AG', 'A/A', 'GG', 'A/T', undefined].map(vkorc1Category)).toEqual(['A/G', 'A/G', 'A/A', 'G/G', 'unknown', 'unknown']);
    expect(['*3/*1', 'CYP2C9 *2/*3', '*1/*8', undefined].map(cyp2c9Category)).toEqual(['*1/*3', '*2/*3', 'unknown', 'unknown']);
    expect([race('2106-3'), race('2054-5'), race('2028-9'), race('2106-3', '2054-5'), race(), race('1002-5')].map((p) => iwpcRace(p).race)).toEqual([
      'white',
      'black',
      'asian',
      'missing-or-mixed',
      'missing-or-mixed',
      'missing-or-mixed',
    ]);
  });
});

describe('iwpcGenotypeProblems: results the algorithm cannot map are not "not genotyped"', () => {
  const g = (phenotype: string, diplotype?: string, basis = 'genotype') => ({ finding: { phenotype, basis, ...(diplotype ? { diplotype } : {}) } });
  it('no result for either gene: nothing to report (the algorithm\'s unknown terms then mean "not tested", which is true)', () => {
    expect(iwpcGenotypeProblems({}, {})).toEqual([]);
  });
  it('readable genotypes: nothing to report', () => {
    expect(iwpcGenotypeProblems(g('-1639 AG', 'rs9923231 reference (C)/rs9923231 variant (T)'), g('Intermediate Metabolizer', '*1/*3'))).toEqual([]);
  });
  it('a CYP2C9 diplotype outside the six modelled ones is the algorithm\'s own "unknown" case, not a problem here', () => {
    expect(iwpcGenotypeProblems({}, g('Intermediate Metabolizer', '*1/*5'))).toEqual([]);
  });
  it('VKORC1 indeterminate, or reported without a -1639 genotype', () => {
    expect(iwpcGenotypeProblems(g('Indeterminate', undefined, 'reported-phenotype'), {})).toEqual([expect.stringMatching(/^VKORC1 result on file \(Indeterminate\)/)]);
  });
  it('CYP2C9 reported as a phenotype without a diplotype', () => {
    expect(iwpcGenotypeProblems({}, g('Poor Metabolizer', undefined, 'reported-phenotype'))).toEqual([expect.stringMatching(/^CYP2C9 result on file is a phenotype \(Poor Metabolizer\)/)]);
  });
  it('a reported phenotype that disagrees with the genotype, for either gene', () => {
    const conflict = { conflict: { reported: 'Poor Metabolizer', computed: 'Normal Metabolizer' } };
    expect(iwpcGenotypeProblems(conflict, conflict)).toEqual([expect.stringMatching(/^VKORC1: the reported phenotype/), expect.stringMatching(/^CYP2C9: the reported phenotype/)]);
  });
});
