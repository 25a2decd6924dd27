/**
 * The SLO monitor's display windows: the most recent raw values of each policy's outcomes (quality,
 * latency, tokens, failures), for recent means and percentiles on the dashboard. They take no part
 * in the tests (dropping old observations would break the martingale argument that makes them valid).
 */
import type { ServedBy } from '../types';

/** Recent raw values of each policy (oldest first), for the dashboard. */
export interface SloWindows {
  learned: { quality: number[]; latencyMs: number[]; tokens: number[]; failed: number[] };
  baseline: { quality: number[]; latencyMs: number[]; tokens: number[]; failed: number[] };
}

/** Fixed-size ring buffer of recent raw values. */
class Ring {
  private readonly values: Float64Array;
  private next = 0;
  private size = 0;
  constructor(capacity: number) {
    this.values = new Float64Array(capacity);
  }
  push(v: number): void {
    this.values[this.next] = v;
    this.next = (this.next + 1) % this.values.length;
    if (this.size < this.values.length) this.size++;
  }
  /** Oldest first. */
  toArray(): number[] {
    if (this.size < this.values.length) return Array.from(this.values.subarray(0, this.size));
    return [...this.values.subarray(this.next), ...this.values.subarray(0, this.next)];
  }
}

type Rings = Record<keyof SloWindows['learned'], Ring>;

/** Both policies' windows of `capacity` values each. */
export class DisplayWindows {
  private readonly rings: Record<ServedBy, Rings>;

  constructor(capacity: number) {
    const rings = (): Rings => ({ quality: new Ring(capacity), latencyMs: new Ring(capacity), tokens: new Ring(capacity), failed: new Ring(capacity) });
    this.rings = { learned: rings(), baseline: rings() };
  }

  push(servedBy: ServedBy, quality: number, latencyMs: number, tokens: number, failed: boolean): void {
    const r = this.rings[servedBy];
    r.quality.push(quality);
    r.latencyMs.push(latencyMs);
    r.tokens.push(tokens);
    r.failed.push(failed ? 1 : 0);
  }

  toJSON(): SloWindows {
    const dump = (r: Rings): SloWindows['learned'] => ({ quality: r.quality.toArray(), latencyMs: r.latencyMs.toArray(), tokens: r.tokens.toArray(), failed: r.failed.toArray() });
    return { learned: dump(this.rings.learned), baseline: dump(this.rings.baseline) };
  }

  /** Appends saved windows (oldest first), as `toJSON` gave them. */
  restore(saved: SloWindows): void {
    for (const side of ['learned', 'baseline'] as const) {
      const r = this.rings[side];
      const s = saved[side];
      for (const v of s.quality) r.quality.push(v);
      for (const v of s.latencyMs) r.latencyMs.push(v);
      for (const v of s.tokens) r.tokens.push(v);
      for (const v of s.failed) r.failed.push(v);
    }
  }
}
