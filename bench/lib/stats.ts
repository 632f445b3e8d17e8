/** Percentiles over latency samples (nearest-rank, FHIR-bench style reporting). */
export function percentile(samples: number[], p: number): number {
  if (samples.length === 0) return Number.NaN;
  const sorted = [...samples].sort((a, b) => a - b);
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank]!;
}

export const ms = (n: number) => `${n.toFixed(n < 10 ? 2 : 1)} ms`;

export function summary(label: string, samples: number[]): string {
  return `${label.padEnd(8)} n=${String(samples.length).padStart(5)}  p50 ${ms(percentile(samples, 50)).padStart(10)}  p95 ${ms(percentile(samples, 95)).padStart(10)}  p99 ${ms(percentile(samples, 99)).padStart(10)}`;
}
