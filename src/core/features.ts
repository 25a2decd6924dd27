/**
 * Context features, action features and the context fingerprint (ARCHITECTURE.md §"How a request flows"). Features are named
 * numbers scaled to about [0, 1]; the policies add the intercept and the context × action
 * interactions (policies/featureMap.ts).
 */
import { categoricalParameters, numericParameters, parameterDefinitions } from './parameters';
import { taskTypes, type Arm, type RequestContext } from './types';

/** Languages grouped by how plans for them tend to look; anything else has all three at 0. */
const languageGroups: Record<string, 'web' | 'python' | 'systems'> = {
  typescript: 'web',
  typescriptreact: 'web',
  javascript: 'web',
  javascriptreact: 'web',
  html: 'web',
  css: 'web',
  vue: 'web',
  svelte: 'web',
  python: 'python',
  jupyter: 'python',
  c: 'systems',
  cpp: 'systems',
  rust: 'systems',
  go: 'systems',
  java: 'systems',
  csharp: 'systems',
  kotlin: 'systems',
  swift: 'systems',
  zig: 'systems',
};

/** Names of the context features, in vector order. */
export const contextFeatureNames: readonly string[] = [
  ...taskTypes.map((t) => `task:${t}`),
  'promptSize',
  'selectionSize',
  'fileSize',
  'language:web',
  'language:python',
  'language:systems',
];

/** log(1 + v) / log(1 + scale), clamped to [0, 1.5]: sizes spanning orders of magnitude, on one scale. */
function logScaled(value: number, scale: number): number {
  const v = Number.isFinite(value) && value > 0 ? value : 0;
  return Math.min(1.5, Math.log1p(v) / Math.log1p(scale));
}

/** Encodes a request context as the named feature vector. Non-finite or negative sizes count as 0. */
export function contextFeatures(context: RequestContext, out: Float64Array = new Float64Array(contextFeatureNames.length)): Float64Array {
  let i = 0;
  for (const t of taskTypes) out[i++] = context.taskType === t ? 1 : 0;
  out[i++] = logScaled(context.promptTokens, 32_000);
  out[i++] = logScaled(context.selectionLines, 2_000);
  out[i++] = logScaled(context.fileLines, 20_000);
  const group = languageGroups[context.languageId.toLowerCase()];
  out[i++] = group === 'web' ? 1 : 0;
  out[i++] = group === 'python' ? 1 : 0;
  out[i] = group === 'systems' ? 1 : 0;
  return out;
}

/**
 * A stable fingerprint of a feature vector: two 32-bit FNV-1a hashes of its values rounded to 6
 * decimals, as 16 hex digits. Equal contexts give equal fingerprints on every machine; the prompt
 * text never enters it.
 */
export function contextFingerprint(features: ArrayLike<number>): string {
  let text = '';
  for (let i = 0; i < features.length; i++) text += `${i > 0 ? ',' : ''}${(Math.round(features[i]! * 1e6) / 1e6).toString()}`;
  let h1 = 0x811c9dc5;
  let h2 = 0x01000193 ^ 0x5bd1e995;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    h1 = Math.imul(h1 ^ c, 0x01000193);
    h2 = Math.imul(h2 ^ c, 0x5bd1e995);
    h2 ^= h2 >>> 15;
  }
  return (h1 >>> 0).toString(16).padStart(8, '0') + (h2 >>> 0).toString(16).padStart(8, '0');
}

/** Action features of the arms of a space, with their names. */
export interface ActionFeatures {
  names: string[];
  values: Float64Array[];
}

/**
 * Action features: for each numeric parameter that varies across the arms, its value centred on
 * the baseline's (temperature, top_p, penalties as is; max_tokens and top_k, whose scale in
 * parameters.ts is `log`, as log2 ratios) and its square, so a linear model can place an optimum
 * between the extremes; categorical ones (models, reasoning efforts) as one-hot columns. Parameters
 * that never vary carry no information and are left out.
 */
export function actionFeatures(arms: readonly Arm[], baselineArm: number): ActionFeatures {
  const base = arms[baselineArm]?.params ?? {};
  const names: string[] = [];
  const columns: number[][] = [];
  for (const name of numericParameters) {
    const raw = arms.map((a) => a.params[name]);
    if (new Set(raw).size <= 1) continue;
    const reference = base[name] ?? 0;
    const log = parameterDefinitions[name].scale === 'log';
    const centred = raw.map((v) => {
      const value = v ?? reference;
      return log ? Math.log2(Math.max(value, 1) / Math.max(reference, 1)) : value - reference;
    });
    names.push(name, `${name}^2`);
    columns.push(centred, centred.map((v) => v * v));
  }
  for (const key of categoricalParameters) {
    const values = [...new Set(arms.map((a) => a.params[key]))];
    if (values.length <= 1) continue;
    // One column per value except the baseline's (which is the reference level).
    for (const v of values) {
      if (v === base[key]) continue;
      names.push(`${key}:${String(v)}`);
      columns.push(arms.map((a) => (a.params[key] === v ? 1 : 0)));
    }
  }
  const values = arms.map((_, i) => Float64Array.from(columns.map((column) => column[i]!)));
  return { names, values };
}
