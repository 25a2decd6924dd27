/**
 * The standard normal pdf φ and cdf Φ. Φ uses W. J. Cody's rational approximations of erfc (Cody 1969,
 * "Rational Chebyshev approximations for the error function"), accurate to ~1e-15; the hot path of
 * the Thompson propensity uses the tabulated versions below (linear interpolation, error < 1e-8).
 */

const SQRT1_2PI = 0.3989422804014327;

/** Standard normal density. */
export function normalPdf(z: number): number {
  return SQRT1_2PI * Math.exp(-0.5 * z * z);
}

/* eslint-disable no-loss-of-precision -- Cody's published coefficients, quoted as printed */
/** Complementary error function (Cody's algorithm, three ranges). */
export function erfc(x: number): number {
  const ax = Math.abs(x);
  let result: number;
  if (ax < 0.5) {
    const t = x * x;
    const top = (((0.185777706184603153 * t + 3.16112374387056560) * t + 113.864154151050156) * t + 377.485237685302021) * t + 3209.37758913846947;
    const bot = (((t + 23.6012909523441209) * t + 244.024637934444173) * t + 1282.61652607737228) * t + 2844.23683343917062;
    return 1 - (x * top) / bot;
  } else if (ax < 4) {
    const top =
      (((((((2.15311535474403846e-8 * ax + 0.564188496988670089) * ax + 8.88314979438837594) * ax + 66.1191906371416295) * ax + 298.635138197400131) * ax +
        881.95222124176909) *
        ax +
        1712.04761263407058) *
        ax +
        2051.07837782607147) *
        ax +
      1230.33935479799725;
    const bot =
      (((((((ax + 15.7449261107098347) * ax + 117.693950891312499) * ax + 537.181101862009858) * ax + 1621.38957456669019) * ax + 3290.79923573345963) * ax +
        4362.61909014324716) *
        ax +
        3439.36767414372164) *
        ax +
      1230.33935480374942;
    result = Math.exp(-ax * ax) * (top / bot);
  } else {
    const z = 1 / (ax * ax);
    const top = ((((0.0163153871373020978 * z + 0.305326634961232344) * z + 0.360344899949804439) * z + 0.125781726111229246) * z + 0.0160837851487422766) * z + 6.58749161529837803e-4;
    const bot = ((((z + 2.56852019228982242) * z + 1.87295284992346725) * z + 0.527905102951428412) * z + 0.0605183413124413191) * z + 2.33520497626869185e-3;
    result = (Math.exp(-ax * ax) / ax) * (0.564189583547756287 - (z * top) / bot);
  }
  return x < 0 ? 2 - result : result;
}
/* eslint-enable no-loss-of-precision */

/** Standard normal cdf Φ(z). */
export function normalCdf(z: number): number {
  return 0.5 * erfc(-z * Math.SQRT1_2);
}

// Tables over [-TABLE_LIMIT, TABLE_LIMIT]; beyond it Φ is 0 or 1 to within 1e-15.
const TABLE_LIMIT = 8.5;
const TABLE_STEP = 1 / 1024;
const TABLE_SIZE = Math.ceil((2 * TABLE_LIMIT) / TABLE_STEP) + 2;
const cdfTable = new Float64Array(TABLE_SIZE);
const pdfTable = new Float64Array(TABLE_SIZE);
for (let i = 0; i < TABLE_SIZE; i++) {
  const z = -TABLE_LIMIT + i * TABLE_STEP;
  cdfTable[i] = normalCdf(z);
  pdfTable[i] = normalPdf(z);
}

/** Φ(z) by table look-up with linear interpolation (absolute error < 1e-8). */
export function fastNormalCdf(z: number): number {
  if (z <= -TABLE_LIMIT) return 0;
  if (z >= TABLE_LIMIT) return 1;
  const position = (z + TABLE_LIMIT) / TABLE_STEP;
  const i = position | 0;
  const f = position - i;
  return cdfTable[i]! + f * (cdfTable[i + 1]! - cdfTable[i]!);
}

/** φ(z) by table look-up with linear interpolation (absolute error < 1e-7). */
export function fastNormalPdf(z: number): number {
  if (z <= -TABLE_LIMIT || z >= TABLE_LIMIT) return 0;
  const position = (z + TABLE_LIMIT) / TABLE_STEP;
  const i = position | 0;
  const f = position - i;
  return pdfTable[i]! + f * (pdfTable[i + 1]! - pdfTable[i]!);
}

/**
 * The standard normal quantile Φ⁻¹(p) for p in (0, 1): bisection on Φ to 1e-12, then one Newton
 * step. Not for hot paths (about 60 evaluations of Φ).
 */
export function normalQuantile(p: number): number {
  if (!(p > 0 && p < 1)) throw new RangeError(`normalQuantile: p must be in (0, 1), got ${p}`);
  let lo = -40;
  let hi = 40;
  while (hi - lo > 1e-12) {
    const mid = (lo + hi) / 2;
    if (normalCdf(mid) < p) lo = mid;
    else hi = mid;
  }
  const z = (lo + hi) / 2;
  const density = normalPdf(z);
  return density > 0 ? z - (normalCdf(z) - p) / density : z;
}
