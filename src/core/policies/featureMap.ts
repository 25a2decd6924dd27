/**
 * The joint feature map φ(x, a) that linear policies learn on (ARCHITECTURE.md §"Statistics").
 *
 * - `disjoint`: one model per arm over [1, x]. φ(x, a) = e_a ⊗ [1, x], the special case of one-hot
 *   action features; what is learned about an arm says nothing about its neighbours.
 * - `shared`: one model over φ(x, a) = [1, x] ⊗ [1, z_a], where z_a are the arm's action features
 *   (e.g. temperature, top_p, log max_tokens): every context × action interaction, so data on one
 *   arm informs the arms near it in parameter space.
 */
export type FeatureMapKind = 'disjoint' | 'shared';

export interface JointFeatureMap {
  readonly kind: FeatureMapKind;
  readonly armCount: number;
  readonly contextDim: number;
  /** Dimension of one model's input: contextDim + 1 (disjoint) or (contextDim + 1)(actionDim + 1) (shared). */
  readonly dim: number;
  /** Writes the model input for (x, a) into `out` (length `dim`). */
  fill(context: Float64Array, armIndex: number, out: Float64Array): void;
}

/** One model per arm over [1, x]. */
export function disjointFeatureMap(armCount: number, contextDim: number): JointFeatureMap {
  return {
    kind: 'disjoint',
    armCount,
    contextDim,
    dim: contextDim + 1,
    fill(context, _armIndex, out) {
      out[0] = 1;
      for (let i = 0; i < contextDim; i++) out[i + 1] = context[i]!;
    },
  };
}

/** One model over [1, x] ⊗ [1, z_a]; `actionFeatures[a]` is z_a, all of the same length. */
export function sharedFeatureMap(contextDim: number, actionFeatures: readonly ArrayLike<number>[]): JointFeatureMap {
  const armCount = actionFeatures.length;
  if (armCount === 0) throw new Error('shared feature map: no arms');
  const actionDim = actionFeatures[0]!.length;
  const z = actionFeatures.map((f, a) => {
    if (f.length !== actionDim) throw new Error(`shared feature map: arm ${a} has ${f.length} action features, expected ${actionDim}`);
    const row = new Float64Array(actionDim + 1);
    row[0] = 1;
    for (let i = 0; i < actionDim; i++) row[i + 1] = f[i]!;
    return row;
  });
  const width = actionDim + 1;
  return {
    kind: 'shared',
    armCount,
    contextDim,
    dim: (contextDim + 1) * width,
    fill(context, armIndex, out) {
      const za = z[armIndex]!;
      for (let j = 0; j < width; j++) out[j] = za[j]!;
      for (let i = 0; i < contextDim; i++) {
        const xi = context[i]!;
        const offset = (i + 1) * width;
        for (let j = 0; j < width; j++) out[offset + j] = xi * za[j]!;
      }
    },
  };
}
