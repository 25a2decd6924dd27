// Latency figures shared by the benches that time requests one by one (socket, planning): quantiles
// in milliseconds to the microsecond, and the warm-up curve (the p99 of each block of requests).

const ms = (value: number): number => Math.round(value * 1000) / 1000;

/** p50, p99 and the largest of `values` (ms), and how many there were. */
export function quantiles(values: readonly number[]): { p50: number; p99: number; max: number; n: number } {
  const sorted = [...values].sort((a, b) => a - b);
  const at = (q: number): number => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
  return { p50: ms(at(0.5)), p99: ms(at(0.99)), max: ms(sorted.at(-1)!), n: sorted.length };
}

/** The p99 of each block of `size` consecutive values (a last, shorter block is left out). */
export function blockP99(values: readonly number[], size: number): number[] {
  const out: number[] = [];
  for (let start = 0; start + size <= values.length; start += size) out.push(quantiles(values.slice(start, start + size)).p99);
  return out;
}
