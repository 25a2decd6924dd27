// `npm run test:integration`: the integration suite in a real VS Code (code-server's Node extension
// host, driven by Chromium). First against the packaged .vsix installed into a fresh extensions folder,
// as users get it; then against the project folder in development mode. Then the scenarios
// (test/scenarios/), which drive several windows from outside, once, with the first mode. Then `npm
// start` with code-server (test/host/start.test.ts: its profile, sample workspace and stopping on
// signals). Exit code: 0 when everything passes.
//
//   node --import tsx test/host/runIntegration.ts [--mode installed|development|all] [--part suite|scenarios|start|all] [--grep PATTERN]
//
// --grep runs only the suite's tests whose full title matches PATTERN (a regular expression, as
// mocha's grep, in any case), e.g. `--part suite --grep "language model"`; one that matches no test fails.
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { scenarios } from '../scenarios/index';
import { buildIntegrationBundles } from './buildSuite';
import { ensureHostInstalled } from './install';
import { runScenarios } from './scenarioRun';
import type { SuiteMode } from './suiteRun';
import { projectRoot } from './paths';
import { npmRun, packageAndInstall, runSuite } from './suiteRun';

function wantedModes(argv: readonly string[]): SuiteMode[] {
  const index = argv.indexOf('--mode');
  const value = index >= 0 ? argv[index + 1] : 'all';
  if (value === 'installed' || value === 'development') return [value];
  if (value === 'all') return ['installed', 'development'];
  throw new Error(`--mode must be installed, development or all, not ${String(value)}`);
}

function wantedParts(argv: readonly string[]): { suite: boolean; scenarios: boolean; start: boolean } {
  const index = argv.indexOf('--part');
  const value = index >= 0 ? argv[index + 1] : 'all';
  if (value === 'suite' || value === 'scenarios' || value === 'start' || value === 'all') {
    return { suite: value === 'suite' || value === 'all', scenarios: value === 'scenarios' || value === 'all', start: value === 'start' || value === 'all' };
  }
  throw new Error(`--part must be suite, scenarios, start or all, not ${String(value)}`);
}

/** Runs test/host/start.test.ts with Node's test runner, its output shown; returns its counts. */
async function runStartTests(): Promise<{ passed: number; failed: number }> {
  const child = spawn(process.execPath, ['--import', 'tsx', '--test', '--test-reporter=spec', join(projectRoot, 'test', 'host', 'start.test.ts')], {
    cwd: projectRoot,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => {
    output += chunk.toString();
    process.stdout.write(chunk);
  });
  const code = await new Promise<number | null>((resolve) => child.on('exit', (c) => resolve(c)));
  const count = (label: string): number => Number(new RegExp(`^ℹ ${label} (\\d+)$`, 'm').exec(output)?.[1] ?? 0);
  const passed = count('pass');
  const failed = count('fail') + count('cancelled');
  // A run that ended without its summary, or failed without a failing test, counts as one failure.
  return { passed, failed: code !== 0 && failed === 0 ? 1 : failed };
}

function wantedGrep(argv: readonly string[]): string | undefined {
  const index = argv.indexOf('--grep');
  if (index < 0) return undefined;
  const value = argv[index + 1];
  if (!value) throw new Error('--grep needs a pattern');
  return value;
}

async function main(): Promise<number> {
  const started = Date.now();
  const modes = wantedModes(process.argv.slice(2));
  const parts = wantedParts(process.argv.slice(2));
  const grep = wantedGrep(process.argv.slice(2));
  const host = ensureHostInstalled();
  const inWindows = parts.suite || parts.scenarios;
  const bundles = inWindows ? await buildIntegrationBundles() : '';
  const testsPath = join(bundles, 'index.js');
  // Packaging rebuilds dist/ for production; the development run wants the ordinary build after it.
  const extensionsDir = inWindows && modes.includes('installed') ? packageAndInstall(host) : undefined;
  if (inWindows && modes.includes('development')) npmRun('build');

  let passed = 0;
  let failed = 0;
  let exitCode = 0;
  const screenshots: string[] = [];
  for (const mode of parts.suite ? modes : []) {
    const modeStarted = Date.now();
    const result = await runSuite({
      host,
      mode,
      testsPath,
      label: mode,
      withTestLanguageModel: true,
      ...(grep ? { grep } : {}),
      ...(extensionsDir ? { extensionsDir } : {}),
    });
    const counts = result.markers.find((m) => m.kind === 'RESULT')?.fields;
    if (counts) {
      passed += Number(counts.passed ?? 0);
      failed += Number(counts.failed ?? 0);
      if (grep !== undefined && Number(counts.passed ?? 0) + Number(counts.failed ?? 0) === 0) {
        // A pattern that selects nothing tests nothing: that is not a pass.
        console.log(`host: --grep ${JSON.stringify(grep)} matched no test of the ${mode} suite`);
        failed += 1;
      }
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
  if (parts.start) {
    // `npm start` builds dist/ (the ordinary build) itself, as a user's run does.
    const startStarted = Date.now();
    const result = await runStartTests();
    passed += result.passed;
    failed += result.failed;
    console.log(`host: npm start tests took ${((Date.now() - startStarted) / 1000).toFixed(1)} s`);
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
