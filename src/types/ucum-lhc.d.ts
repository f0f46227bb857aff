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
  export interface UcumLhcUtils {
    convertUnitTo(fromUnitCode: string, fromVal: number, toUnitCode: string): ConvertUnitResult;
  }
  const ucum: {
    readonly UcumLhcUtils: { getInstance(): UcumLhcUtils };
  };
  export default ucum;
}
