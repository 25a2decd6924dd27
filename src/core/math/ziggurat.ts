/**
 * Standard normal variates by the ziggurat method (Marsaglia & Tsang 2000, "The Ziggurat Method for
 * Generating Random Variables", 128 layers), for the Monte Carlo loops that draw tens of thousands
 * of normals per decision (Thompson sampling's propensities). Box–Muller (`Rng.normal`) spends a
 * logarithm, a square root, a sine and a cosine on each pair; here about 99% of variates cost one
 * uniform, a comparison and a multiplication, and the rest an exact rejection step, so the variates
 * are exactly N(0, 1) (up to the 2⁻²⁴ resolution of a layer's abscissa).
 *
 * Each variate takes one 32-bit word of the generator: the layer from its low 7 bits and the signed
 * abscissa from the other 25, so the two are independent (Doornik 2005 showed the original's shared
 * bits correlate them). `Rng.normal` stays Box–Muller: the simulators share its stream with
 * ../shared/bench/make_rounds.mjs.
 */
import type { Rng } from './random';

const layers = 128;
/** Where the base layer's tail starts, and the area of each layer (Marsaglia & Tsang's r and v for 128 layers). */
const r = 3.442619855899;
const v = 9.91256303526217e-3;
/** The abscissa's scale: 24 bits of magnitude and a sign. */
const m = 2 ** 24;

const kn = new Int32Array(layers);
const wn = new Float64Array(layers);
const fn = new Float64Array(layers);
{
  let dn = r;
  let tn = dn;
  const q = v / Math.exp(-0.5 * dn * dn);
  kn[0] = Math.floor((dn / q) * m);
  kn[1] = 0;
  wn[0] = q / m;
  wn[layers - 1] = dn / m;
  fn[0] = 1;
  fn[layers - 1] = Math.exp(-0.5 * dn * dn);
  for (let i = layers - 2; i >= 1; i--) {
    dn = Math.sqrt(-2 * Math.log(v / dn + Math.exp(-0.5 * dn * dn)));
    kn[i + 1] = Math.floor((dn / tn) * m);
    tn = dn;
    fn[i] = Math.exp(-0.5 * dn * dn);
    wn[i] = dn / m;
  }
}

/** A uniform in (0, 1], for logarithms. */
const openUniform = (rng: Rng): number => 1 - rng.next();

/** The slow path: the variate drawn from the tail of the base layer or a layer's wedge, by rejection. */
function rejectionStep(rng: Rng, hz: number, iz: number): number {
  for (;;) {
    if (iz === 0) {
      // The tail beyond r (Marsaglia 1964).
      let x: number;
      let y: number;
      do {
        x = -Math.log(openUniform(rng)) / r;
        y = -Math.log(openUniform(rng));
      } while (y + y < x * x);
      return hz > 0 ? r + x : -r - x;
    }
    const x = hz * wn[iz]!;
    if (fn[iz]! + rng.next() * (fn[iz - 1]! - fn[iz]!) < Math.exp(-0.5 * x * x)) return x;
    const word = rng.nextInt32();
    iz = word & (layers - 1);
    hz = word >> 7;
    if (Math.abs(hz) < kn[iz]!) return hz * wn[iz]!;
  }
}

/** One standard normal variate. */
export function zigguratNormal(rng: Rng): number {
  const word = rng.nextInt32();
  const iz = word & (layers - 1);
  const hz = word >> 7;
  return Math.abs(hz) < kn[iz]! ? hz * wn[iz]! : rejectionStep(rng, hz, iz);
}

/** Fills `out[0..count)` with standard normal variates. */
export function fillStandardNormals(rng: Rng, out: Float64Array, count: number): void {
  for (let i = 0; i < count; i++) {
    const word = rng.nextInt32();
    const iz = word & (layers - 1);
    const hz = word >> 7;
    out[i] = Math.abs(hz) < kn[iz]! ? hz * wn[iz]! : rejectionStep(rng, hz, iz);
  }
}
