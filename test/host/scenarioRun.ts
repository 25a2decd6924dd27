// Runs scenarios: specifications that drive one or more workbench windows from outside (windows.ts),
// each on a server of its own (fresh user data), and counts them as the suite's tests are counted.
import { inspect } from 'node:util';
import type { WindowSession, WindowSessionOptions } from './windows';
import { WindowSession as Session } from './windows';

/** A specification that drives windows; it fails by throwing (node:assert). */
export interface Scenario {
  readonly name: string;
  /** What the scenario's server and windows need beyond the run's options (e.g. a reconnection grace time). */
  readonly session?: Pick<WindowSessionOptions, 'reconnectionGraceSeconds'>;
  run(session: WindowSession): Promise<void>;
}

/** The counts of a scenario run, and the screenshots its windows took. */
export interface ScenarioRunResult {
  passed: number;
  failed: number;
  screenshots: string[];
}

/** Runs each scenario on a fresh server and browser; a failure is reported with a screenshot of every open window. */
export async function runScenarios(scenarios: readonly Scenario[], options: Omit<WindowSessionOptions, 'label'>): Promise<ScenarioRunResult> {
  const result: ScenarioRunResult = { passed: 0, failed: 0, screenshots: [] };
  for (const [index, scenario] of scenarios.entries()) {
    const started = Date.now();
    let session: WindowSession | undefined;
    try {
      session = await Session.start({ ...options, ...scenario.session, label: `scenario${index + 1}` });
      await scenario.run(session);
      result.passed++;
      console.log(`scenario: ✔ ${scenario.name} (${((Date.now() - started) / 1000).toFixed(1)} s)`);
    } catch (error) {
      result.failed++;
      await session?.screenshotOpenWindows('failure').catch(() => undefined);
      console.log(`scenario: ✘ ${scenario.name} (${((Date.now() - started) / 1000).toFixed(1)} s)\n${inspect(error, { depth: 4 })}`);
    } finally {
      if (session) result.screenshots.push(...session.screenshots);
      await session?.close();
    }
  }
  return result;
}
