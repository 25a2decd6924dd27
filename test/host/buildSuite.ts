// Bundles the integration suite (and the extension benchmark's host module) for the extension host:
// Node CJS, `vscode` provided by the host, mocha resolved from the project's node_modules at run time.
import * as esbuild from 'esbuild';
import { join } from 'node:path';
import { projectRoot } from './paths';

/**
 * Writes out/integration/index.js (the suite), out/integration/agent.js (the window agent that
 * scenarios drive, see windows.ts) and out/integration/bench.js; returns their folder.
 */
export async function buildIntegrationBundles(): Promise<string> {
  const outdir = join(projectRoot, 'out', 'integration');
  await esbuild.build({
    entryPoints: {
      index: join(projectRoot, 'test/integration/index.ts'),
      agent: join(projectRoot, 'test/integration/agent.ts'),
      bench: join(projectRoot, 'test/integration/bench.ts'),
    },
    outdir,
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    sourcemap: 'inline',
    external: ['vscode', 'mocha'],
    logLevel: 'warning',
  });
  return outdir;
}
