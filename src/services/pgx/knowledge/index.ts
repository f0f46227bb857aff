/**
 * The project's compact pharmacogenomic knowledge (CPIC-derived): gene rule tables, diplotype parsing,
 * phenotype calls, HLA carrier status and drug recommendations. Pure functions over JSON data in ./data.
 */
export * from './types.js';
export { allelesOf, geneTable, lookupAllele, toGeneSymbol, type AlleleInfo } from './genes.js';
export { alleleCallText, parseDiplotype, sameAllele } from './diplotype.js';
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
