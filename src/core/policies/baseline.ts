import { sampleIndex, type Rng } from '../math/random';
import { validateContext, validateUpdate, type Policy, type PolicyChoice, type PolicyKind, type PolicySnapshot } from './policy';

export interface BaselinePolicyOptions {
  armCount: number;
  contextDim: number;
  baselineArm: number;
  /**
   * Share of requests spread uniformly over `explorationArms` (the arms inside the trust region).
   * 0 makes the baseline deterministic, which gives off-policy evaluation no support off the
   * baseline arm (ARCHITECTURE.md §"Statistics", Support).
   */
  exploration: number;
  explorationArms: readonly number[];
}

/**
 * The baseline: the user's known-good parameters, with optional conservative exploration over the
 * trust region. If the baseline arm is ineligible (e.g. over budget), its share goes uniformly to the
 * eligible exploration arms, or to every eligible arm when none of those is eligible either.
 */
export class BaselinePolicy implements Policy {
  readonly kind: PolicyKind = 'baseline';
  readonly armCount: number;
  readonly contextDim: number;
  private readonly buffer: Float64Array;
  private updates = 0;

  constructor(private readonly options: BaselinePolicyOptions) {
    this.armCount = options.armCount;
    this.contextDim = options.contextDim;
    this.buffer = new Float64Array(options.armCount);
    if (options.baselineArm < 0 || options.baselineArm >= options.armCount) throw new RangeError(`baseline arm ${options.baselineArm} is outside 0..${options.armCount - 1}`);
  }

  get version(): number {
    return this.updates;
  }

  probabilities(_context: Float64Array, eligible: Uint8Array, _rng: Rng, out: Float64Array): void {
    out.fill(0);
    const { baselineArm, exploration } = this.options;
    const explorers = this.options.explorationArms.filter((a) => eligible[a]);
    if (eligible[baselineArm]) {
      out[baselineArm] = 1;
      if (exploration > 0 && explorers.length > 0) {
        out[baselineArm] = 1 - exploration;
        for (const a of explorers) out[a] = out[a]! + exploration / explorers.length;
      }
      return;
    }
    const fallback = explorers.length > 0 ? explorers : [...eligible.keys()].filter((a) => eligible[a]);
    for (const a of fallback) out[a] = 1 / fallback.length;
  }

  recommend(context: Float64Array, eligible: Uint8Array, rng: Rng): PolicyChoice {
    validateContext(this, context, eligible);
    this.probabilities(context, eligible, rng, this.buffer);
    return { armIndex: sampleIndex(this.buffer, rng.next()), probabilities: this.buffer };
  }

  /** The baseline learns nothing; the update is validated and counted so versions stay comparable. */
  update(context: Float64Array, armIndex: number, reward: number): void {
    validateUpdate(this, context, armIndex, reward);
    this.updates++;
  }

  snapshot(): PolicySnapshot {
    return { kind: 'baseline', version: this.updates, armCount: this.armCount, contextDim: this.contextDim };
  }

  restore(snapshot: PolicySnapshot): void {
    if (snapshot.kind !== 'baseline' || snapshot.armCount !== this.armCount) throw new Error('not a snapshot of this baseline policy');
    this.updates = snapshot.version;
  }
}
