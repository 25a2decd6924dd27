// Measures the packaged extension in a real extension host, for the `extension` benchmark section:
// packages the .vsix, installs it into a fresh extensions folder, and runs out/integration/bench.js in
// code-server `runs` times (a fresh server and extension host each time), reading the
// `PARAMLOOP_BENCH` line each run logs. Also the sizes of the production bundles and of the .vsix.
// Writes one JSON object to the file named by --out; all progress goes to stderr.
//
//   node --import tsx test/host/measureExtension.ts --out result.json [--runs 3]
import { statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildIntegrationBundles } from './buildSuite';
import { ensureHostInstalled } from './install';
import { projectRoot, vsixPath } from './paths';
import { packageAndInstall, runSuite } from './suiteRun';

/** What the section reports. Sizes are bytes of the production build that the .vsix ships. */
export interface ExtensionMeasurement {
  activationMs: { median: number; min: number; max: number; runs: number[] };
  activateCallMs: { median: number; runs: number[] };
  bundleBytes: Record<string, number>;
  vsixBytes: number;
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? (sorted[mid] ?? Number.NaN) : ((sorted[mid - 1] ?? Number.NaN) + (sorted[mid] ?? Number.NaN)) / 2;
}

function argument(name: string): string | undefined {
  const index = process.argv.indexOf(name);
  return index >= 0 ? process.argv[index + 1] : undefined;
}

async function main(): Promise<void> {
  const out = argument('--out');
  if (!out) throw new Error('--out FILE is required');
  const runs = Number(argument('--runs') ?? '3');
  // Progress is for people: keep stdout free for whoever reads the result.
  console.log = console.error;
  const host = ensureHostInstalled();
  const testsPath = join(await buildIntegrationBundles(), 'bench.js');
  const extensionsDir = packageAndInstall(host);
  const bundleBytes: Record<string, number> = {};
  for (const file of ['dist/extension.js', 'dist/decisionLog.js', 'dist/cli.js', 'dist/webview/main.js', 'dist/sql-wasm.wasm']) {
    bundleBytes[file] = statSync(join(projectRoot, file)).size;
  }
  const activation: number[] = [];
  const activateCall: number[] = [];
  for (let run = 1; run <= runs; run++) {
    const result = await runSuite({ host, mode: 'installed', testsPath, label: `bench-${run}`, extensionsDir, echoLog: false, timeoutMs: 120_000 });
    const fields = result.markers.find((m) => m.kind === 'BENCH')?.fields;
    if (result.exitCode !== 0 || !fields) throw new Error(`bench run ${run} failed (exit ${result.exitCode})`);
    const path = decodeURIComponent(fields.extensionPath ?? '');
    if (!path.startsWith(extensionsDir)) throw new Error(`measured ${path}, not the installed extension`);
    activation.push(Number(fields.activationMs));
    activateCall.push(Number(fields.activateCallMs));
    console.error(`bench: run ${run}: activationMs=${fields.activationMs} activateCallMs=${fields.activateCallMs}`);
  }
  const result: ExtensionMeasurement = {
    activationMs: { median: median(activation), min: Math.min(...activation), max: Math.max(...activation), runs: activation },
    activateCallMs: { median: median(activateCall), runs: activateCall },
    bundleBytes,
    vsixBytes: statSync(vsixPath).size,
  };
  writeFileSync(out, JSON.stringify(result));
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error instanceof Error ? (error.stack ?? error.message) : error);
    process.exit(1);
  },
);
