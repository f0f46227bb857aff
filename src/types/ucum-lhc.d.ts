/**
 * The part of @lhncbc/ucum-lhc (no types shipped) the service uses: unit conversion.
 * https://lhncbc.github.io/ucum-lhc/ — UcumLhcUtils.convertUnitTo.
 */
declare module '@lhncbc/ucum-lhc' {
  export interface ConvertUnitResult {
    /** 'succeeded', 'failed' (units not commensurable) or 'error' (bad input). */
    readonly status: 'succeeded' | 'failed' | 'error';
    readonly toVal: number | null;
    readonly msg: readonly string[];
  }
  export interface UcumLhcUtilsInstance {
    convertUnitTo(fromUnitCode: string, fromVal: number, toUnitCode: string): ConvertUnitResult;
  }
  /** Named export (the package is CommonJS; Node's ESM loader detects it, and so does TypeScript's interop). */
  export const UcumLhcUtils: { getInstance(): UcumLhcUtilsInstance };
}
