// `npm run bench`: bundles bench/index.ts with esbuild, as the extension and the CLI are bundled, so
// the figures are those of the code that ships (the dev loader's module getters would slow the hot
// loops), then runs it. Arguments pick sections: `npm run bench -- core ope`.
import * as esbuild from 'esbuild';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { ensureDependencies, projectRoot } from './ensureDeps.mjs';

ensureDependencies();
const outfile = join(projectRoot, 'out', 'bench.mjs');
await esbuild.build({
  entryPoints: [join(projectRoot, 'bench', 'index.ts')],
  outfile,
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  packages: 'external',
  sourcemap: 'inline',
  logLevel: 'warning',
  banner: { js: "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);" },
});
// The dashboard's off-policy evaluation worker, bundled as the extension ships it (dist/opeWorker.js).
await esbuild.build({
  entryPoints: [join(projectRoot, 'src', 'service', 'opeWorker.ts')],
  outfile: join(projectRoot, 'out', 'opeWorker.js'),
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node20',
  packages: 'external',
  logLevel: 'warning',
});
// The store's compaction worker, bundled as the extension ships it (dist/storeWorker.js), so that
// the store bench does not compile TypeScript in each worker it starts.
await esbuild.build({
  entryPoints: [join(projectRoot, 'src', 'store', 'compactWorker.ts')],
  outfile: join(projectRoot, 'out', 'storeWorker.js'),
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node20',
  packages: 'external',
  logLevel: 'warning',
});
const result = spawnSync(process.execPath, ['--enable-source-maps', outfile, ...process.argv.slice(2)], { cwd: projectRoot, stdio: 'inherit' });
process.exit(result.status ?? 1);
