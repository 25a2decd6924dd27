// Connect options for the in-process socket tests: the simulated planning environment's space, a
// clock the test moves, the store's WebAssembly from node_modules.
import { join } from 'node:path';
import { parsePolicySettings } from '../../core/policies';
import { parseRewardSettings } from '../../core/reward';
import { createLlmPlanningEnvironment } from '../../sim/llmPlanning';
import type { ConnectOptions } from '../connect';

export const wasmDir = join(__dirname, '..', '..', '..', 'node_modules', 'sql.js', 'dist');
export const environment = createLlmPlanningEnvironment();

/** Options for `connect` in a test; `clock.t` is the time every service opened with them sees. */
export function testConnectOptions(clock: { t: number }, extra: Partial<ConnectOptions> = {}): ConnectOptions {
  return {
    settings: {
      space: environment.space,
      policyKind: 'thompson',
      policySettings: parsePolicySettings({}),
      rewardSettings: parseRewardSettings({}),
      // Unlimited budgets: the status then carries Infinity, which the wire must keep.
      guarded: { budget: { defaultLimits: { daily: null, weekly: null } } },
    },
    open: { clock: { now: () => clock.t }, store: { wasmDir } },
    kind: 'extension',
    rehearse: false,
    timeoutMs: 5000,
    ...extra,
  };
}
