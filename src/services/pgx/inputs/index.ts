/**
 * Inputs of the pharmacogenomic service, read from FHIR: genomic results (results.ts) and draft
 * or active medication orders (orders.ts). Pure functions, no I/O beyond the bundled data tables.
 */
export {
  KNOWN_GENES,
  VKORC1_RSID,
  extractPgxResults,
  isUnreadable,
  type GenotypeResult,
  type HlaResult,
  type PgxInputProblem,
  type ProblemResult,
  type PgxResults,
  type ReportedPhenotype,
  type VariantResult,
} from './results.js';
export {
  DRUG_INGREDIENTS,
  PARTNER_INGREDIENTS,
  RXNORM_PRODUCTS,
  activeMedicationIngredients,
  extractDraftMedications,
  productIngredients,
  type ActiveIngredient,
  type DraftMedication,
  type IngredientDef,
  type IngredientRef,
  type MatchedBy,
  type ProductDef,
} from './orders.js';
