// The extension as users get it: activation time of the installed .vsix in a real VS Code extension
// host (code-server, installed under .cache/ on first use; the first run pays that install), and the
// bytes it ships. Targets: activationMs (module load to end of activate(), measured inside the host)
// under 50 ms; dist/extension.js under 1 MB, dist/webview/main.js under 500 KB, the .vsix under 2 MB.
// activationMs is the median of a few cold hosts; the machine is shared, so it is noisy.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ExtensionMeasurement } from '../test/host/measureExtension';
import type { BenchSection } from './sections';

const projectRoot = fileURLToPath(new URL('..', import.meta.url));

/** Runs the measurement in a child process: it starts servers and browsers and owns their cleanup. */
async function measure(runs: number): Promise<ExtensionMeasurement> {
  const dir = mkdtempSync(join(tmpdir(), 'paramloop-bench-'));
  const out = join(dir, 'extension.json');
  try {
    const code = await new Promise<number | null>((resolve, reject) => {
      const child = spawn(process.execPath, ['--import', 'tsx', 'test/host/measureExtension.ts', '--out', out, '--runs', String(runs)], {
        cwd: projectRoot,
        stdio: ['ignore', process.stderr, process.stderr],
      });
      child.on('error', reject);
      child.on('exit', resolve);
    });
    if (code !== 0) throw new Error(`test/host/measureExtension.ts exited with ${String(code)}`);
    return JSON.parse(readFileSync(out, 'utf8')) as ExtensionMeasurement;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export const extensionSection: BenchSection = {
  name: 'extension',
  async run() {
    const runs = Number(process.env.PARAMLOOP_BENCH_EXTENSION_RUNS ?? '3');
    const m = await measure(runs);
    return {
      activationMs: Number(m.activationMs.median.toFixed(2)),
      activationMsRuns: m.activationMs.runs.map((v) => Number(v.toFixed(2))),
      activationTargetMs: 50,
      activateCallMs: Number(m.activateCallMs.median.toFixed(2)),
      extensionJsBytes: m.bundleBytes['dist/extension.js'],
      decisionLogJsBytes: m.bundleBytes['dist/decisionLog.js'],
      cliJsBytes: m.bundleBytes['dist/cli.js'],
      webviewJsBytes: m.bundleBytes['dist/webview/main.js'],
      sqlWasmBytes: m.bundleBytes['dist/sql-wasm.wasm'],
      vsixBytes: m.vsixBytes,
      note: 'production build (npm run package); activation measured in code-server 4.139.1 (VS Code 1.139.1) Node extension host, installed .vsix',
    };
  },
};
