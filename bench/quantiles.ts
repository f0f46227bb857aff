/** The p-quantile of ascending `sorted` by the lower nearest rank (index floor(p x n)); 0 when empty. */
export function quantile(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] ?? 0;
}
