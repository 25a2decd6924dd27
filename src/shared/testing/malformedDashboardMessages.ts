/**
 * Seeded random and malformed dashboard messages: what a broken or hostile webview might post. The
 * protocol's unit tests hand them to the dispatcher; the integration suite posts them from inside the
 * real dashboard webview to the extension host. None is a valid request, by construction.
 */
import type { Rng } from '../../core/math/random';
import { dashboardMethodNames } from '../dashboardProtocol';

/** How messages are drawn. */
export interface MalformedOptions {
  /**
   * Only values that survive a JSON round trip unchanged in meaning, as messages from a webview do
   * (VS Code sends them to the extension host as JSON): no `undefined`, which JSON drops, so that
   * `{ …, extra: undefined }` cannot arrive as a valid request. NaN and infinities still arrive, as null.
   */
  json?: boolean;
}

/** A random JSON-like value, up to `depth` levels deep. */
export function randomValue(rng: Rng, depth: number, options: MalformedOptions = {}): unknown {
  const pick = Math.floor(rng.next() * (depth > 0 ? 12 : 8));
  switch (pick) {
    case 0:
      return null;
    case 1:
      return options.json === true ? [] : undefined;
    case 2:
      return rng.next() < 0.5;
    case 3:
      return [0, -1, 1.5, Number.NaN, Number.POSITIVE_INFINITY, 2 ** 53, -0][Math.floor(rng.next() * 7)];
    case 4:
      return randomString(rng);
    case 5:
      return Math.floor(rng.next() * 1000);
    case 6:
      return ['request', 'reply', 'event', 'overview', 'toString', '__proto__', 'constructor'][Math.floor(rng.next() * 7)];
    case 7:
      return 'x'.repeat(Math.floor(rng.next() * 20_000));
    case 8:
    case 9: {
      const out: unknown[] = [];
      for (let i = Math.floor(rng.next() * 4); i > 0; i--) out.push(randomValue(rng, depth - 1, options));
      return out;
    }
    default: {
      const out: Record<string, unknown> = {};
      for (let i = Math.floor(rng.next() * 5); i > 0; i--) out[randomKey(rng)] = randomValue(rng, depth - 1, options);
      return out;
    }
  }
}

function randomString(rng: Rng): string {
  let s = '';
  for (let i = Math.floor(rng.next() * 12); i > 0; i--) s += String.fromCharCode(Math.floor(rng.next() * 0xffff));
  return s;
}

function randomKey(rng: Rng): string {
  const keys = ['type', 'id', 'method', 'params', 'result', 'ok', '__proto__', 'constructor', 'since', 'buckets', 'requestId'];
  return rng.next() < 0.7 ? keys[Math.floor(rng.next() * keys.length)]! : randomString(rng);
}

/**
 * A message that is not a valid request, by construction: either random (never a valid envelope,
 * since a valid one needs type 'request', an id, a known method and valid params together) or a
 * valid request with one thing broken.
 */
export function malformedMessage(rng: Rng, options: MalformedOptions = {}): unknown {
  const name = dashboardMethodNames[Math.floor(rng.next() * dashboardMethodNames.length)]!;
  const id = Math.floor(rng.next() * 1e6);
  const breakage = Math.floor(rng.next() * 10);
  switch (breakage) {
    case 0:
      return randomValue(rng, 3, options);
    case 1:
      return { type: 'request', method: name, params: {} };
    case 2:
      return { type: rng.next() < 0.5 ? 'reply' : 'Request', id, method: name, params: {} };
    case 3:
      return { type: 'request', id, method: `${name}${randomString(rng)}x`, params: {} };
    case 4:
      return { type: 'request', id, method: name, params: { [`unknown${Math.floor(rng.next() * 100)}`]: randomValue(rng, 2, options) } };
    case 5:
      return { type: 'request', id: [-1, 1.5, 'y'.repeat(65), '', {}, [], true][Math.floor(rng.next() * 7)], method: name, params: {} };
    case 6:
      return { type: 'request', id, method: name, params: randomValue(rng, 0, options) === null ? 'params' : [randomValue(rng, 1, options)] };
    case 7:
      return { type: 'request', id, method: name, params: {}, [randomKey(rng) === 'id' ? 'extra' : `x${randomString(rng)}`]: randomValue(rng, 2, options) };
    case 8:
      // a field of the method given a value of the wrong kind or size
      return { type: 'request', id, method: 'recentDecisions', params: { limit: [0, 201, -5, 1.5, '10', null][Math.floor(rng.next() * 6)] } };
    default:
      return { type: 'request', id, method: 'explainDecision', params: { requestId: ['', 'r'.repeat(201 + Math.floor(rng.next() * 50_000)), 12, null][Math.floor(rng.next() * 4)] } };
  }
}
