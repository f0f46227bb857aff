/**
 * CKD-EPI 2021 creatinine equation without race (Inker LA et al., N Engl J Med
 * 2021;385:1737-1749):
 *
 *   eGFR = 142 x min(Scr/k, 1)^a x max(Scr/k, 1)^-1.200 x 0.9938^age x 1.012 [if female]
 *   k = 0.7 (female) / 0.9 (male); a = -0.241 (female) / -0.302 (male); Scr in mg/dL
 *
 * Result in mL/min/1.73 m2. Age in years (whole years at the date of the sample).
 */
export function ckdEpi2021(scrMgDl: number, ageYears: number, sex: 'female' | 'male'): number {
  const female = sex === 'female';
  const k = female ? 0.7 : 0.9;
  const a = female ? -0.241 : -0.302;
  const ratio = scrMgDl / k;
  return 142 * Math.min(ratio, 1) ** a * Math.max(ratio, 1) ** -1.2 * 0.9938 ** ageYears * (female ? 1.012 : 1);
}
