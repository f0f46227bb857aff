/** The model card (`models/<id>/model.json`): what a model is, where it comes from, how to feed it. */
export interface ModelColumn {
  readonly name: string;
  /** UCUM unit ('1' for indicators). */
  readonly unit: string;
  /** Range the equation was derived and validated in; outside it no number is given. */
  readonly validRange: readonly [number, number];
  /** Where the value comes from in FHIR. */
  readonly fhir: string;
}

export interface ModelTensorSpec {
  readonly name: string;
  readonly dtype: 'float32';
  /** -1 marks the dynamic batch dimension. */
  readonly shape: readonly number[];
  readonly description?: string;
  readonly columns?: readonly ModelColumn[];
  /** Names of the per-term contributions, in output order. */
  readonly terms?: readonly string[];
}

export interface ModelCard {
  readonly id: string;
  readonly version: number;
  readonly title: string;
  readonly family: string;
  readonly outcome: string;
  readonly intendedUse: string;
  readonly population: string;
  readonly inputs: readonly ModelTensorSpec[];
  readonly outputs: readonly ModelTensorSpec[];
  readonly source: { readonly citation: string; readonly doi: string; readonly table?: string };
  readonly validation: string;
  readonly limitations: readonly string[];
}
