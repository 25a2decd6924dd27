// `npm run test:integration`: the integration suite in a real VS Code (code-server's Node extension
// host, driven by Chromium). First against the packaged .vsix installed into a fresh extensions folder,
// as users get it; then against the project folder in development mode. Then the scenarios
// (test/scenarios/), which drive several windows from outside, once, with the first mode. Exit code: 0
// when everything passes.
//
//   node --import tsx test/host/runIntegration.ts [--mode installed|development|all] [--part suite|scenarios|all]
import { join } from 'node:path';
import { scenarios } from '../scenarios/index';
import { buildIntegrationBundles } from './buildSuite';
import { ensureHostInstalled } from './install';
import { runScenarios } from './scenarioRun';
import type { SuiteMode } from './suiteRun';
import { npmRun, packageAndInstall, runSuite } from './suiteRun';

function wantedModes(argv: readonly string[]): SuiteMode[] {
  const index = argv.indexOf('--mode');
  const value = index >= 0 ? argv[index + 1] : 'all';
  if (value === 'installed' || value === 'development') return [value];
  if (value === 'all') return ['installed', 'development'];
  throw new Error(`--mode must be installed, development or all, not ${String(value)}`);
}

function wantedParts(argv: readonly string[]): { suite: boolean; scenarios: boolean } {
  const index = argv.indexOf('--part');
  const value = index >= 0 ? argv[index + 1] : 'all';
  if (value === 'suite' || value === 'scenarios' || value === 'all') return { suite: value !== 'scenarios', scenarios: value !== 'suite' };
  throw new Error(`--part must be suite, scenarios or all, not ${String(value)}`);
}

async function main(): Promise<number> {
  const started = Date.now();
  const modes = wantedModes(process.argv.slice(2));
  const parts = wantedParts(process.argv.slice(2));
  const host = ensureHostInstalled();
  const bundles = await buildIntegrationBundles();
  const testsPath = join(bundles, 'index.js');
  // Packaging rebuilds dist/ for production; the development run wants the ordinary build after it.
  const extensionsDir = modes.includes('installed') ? packageAndInstall(host) : undefined;
  if (modes.includes('development')) npmRun('build');

  let passed = 0;
  let failed = 0;
  let exitCode = 0;
  const screenshots: string[] = [];
  for (const mode of parts.suite ? modes : []) {
    const modeStarted = Date.now();
    const result = await runSuite({ host, mode, testsPath, label: mode, ...(extensionsDir ? { extensionsDir } : {}) });
    const counts = result.markers.find((m) => m.kind === 'RESULT')?.fields;
    if (counts) {
      passed += Number(counts.passed ?? 0);
      failed += Number(counts.failed ?? 0);
    } else {
      // The suite never reported: count the whole mode as one failure rather than as nothing.
      failed += 1;
    }
    screenshots.push(...result.screenshots);
    if (result.exitCode !== 0) exitCode = 1;
    console.log(`host: ${mode} mode exited with ${result.exitCode} after ${((Date.now() - modeStarted) / 1000).toFixed(1)} s`);
  }
  if (parts.scenarios) {
    const mode = modes[0] ?? 'installed';
    const scenariosStarted = Date.now();
    const result = await runScenarios(scenarios, { host, mode, agentPath: join(bundles, 'agent.js'), ...(extensionsDir ? { extensionsDir } : {}) });
    passed += result.passed;
    failed += result.failed;
    screenshots.push(...result.screenshots);
    console.log(`host: ${scenarios.length} scenarios (${mode} mode) took ${((Date.now() - scenariosStarted) / 1000).toFixed(1)} s`);
  }
  if (screenshots.length > 0) console.log(`host: screenshots:\n${screenshots.map((s) => `  ${s}`).join('\n')}`);
  console.log(`host: integration run took ${((Date.now() - started) / 1000).toFixed(1)} s`);
  console.log(`integration: ${passed} passed, ${failed} failed`);
  return exitCode !== 0 || failed > 0 ? 1 : 0;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(error instanceof Error ? (error.stack ?? error.message) : error);
    console.log('integration: 0 passed, 1 failed');
    process.exit(1);
  },
);
