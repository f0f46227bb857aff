/**
 * The project's compact pharmacogenomic knowledge (CPIC-derived): gene rule tables, diplotype parsing,
 * phenotype calls, HLA carrier status and drug recommendations. Pure functions over JSON data in ./data.
 */
export * from './types.js';
export { allelesOf, geneTable, lookupAllele, toGeneSymbol, type AlleleInfo } from './genes.js';
export { NO_CALL, alleleCallText, namesSnp, parseDiplotype, sameAllele, snpLetters, splitDiplotype, stripGeneNames, type SplitResult } from './diplotype.js';
export { readGenotypeValue } from './reading.js';
export { dpydPhenotypeFromVariants, phenotypeForScore, phenotypeOf } from './phenotype.js';
export { isFunctionTerm, isMetabolizerTerm, normalizePhenotype, samePhenotype, type SamePhenotypeOptions } from './terms.js';
export { hlaCarrierStatus, normalizeHlaAllele } from './hla.js';
export {
  allDrugs,
  allGuidelines,
  allRecommendationRows,
  drugInfo,
  drugKey,
  indicatorFor,
  isPreTestingExpected,
  recommendationsFor,
} from './recommendations.js';
