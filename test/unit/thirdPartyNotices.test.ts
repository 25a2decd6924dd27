// The notices shipped with the extension name every package whose code or files it ships, with the
// text of its license (scripts/thirdPartyNotices.mjs, written by esbuild.config.mjs).
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { bundledPackages, noticesText, packageDir, packageOfInput } from '../../scripts/thirdPartyNotices.mjs';

const root = fileURLToPath(new URL('../..', import.meta.url));

test('a bundled input belongs to the innermost package of its path, scoped or not', () => {
  assert.deepEqual(packageOfInput('node_modules/uplot/dist/uPlot.esm.js'), { name: 'uplot', dir: 'node_modules/uplot' });
  assert.deepEqual(packageOfInput('node_modules/@vscode-elements/elements/dist/main.js'), { name: '@vscode-elements/elements', dir: 'node_modules/@vscode-elements/elements' });
  assert.deepEqual(packageOfInput('node_modules/a/node_modules/@s/b/index.js'), { name: '@s/b', dir: 'node_modules/a/node_modules/@s/b' });
  assert.equal(packageOfInput('webview/dashboard.ts'), undefined);
});

test("the dashboard bundle's packages are found from its metafile, and each one's license text is in the notices", async () => {
  const result = await build({ entryPoints: [join(root, 'webview/dashboard.ts')], bundle: true, write: false, metafile: true, platform: 'browser', format: 'iife', logLevel: 'silent', absWorkingDir: root });
  const packages = bundledPackages([result.metafile]);
  for (const name of ['uplot', '@vscode-elements/elements', 'lit-html']) assert.ok(packages.has(name), `${name} is bundled into the dashboard`);
  packages.set('@vscode/codicons', packageDir(root, '@vscode/codicons'));
  const text = noticesText(root, packages, 'Paramloop');
  for (const [name, dir] of packages) {
    const version = (JSON.parse(readFileSync(join(root, dir, 'package.json'), 'utf8')) as { version: string }).version;
    assert.ok(text.includes(`${name} ${version} (`), `${name} ${version} is named`);
  }
  const uplotLicense = readFileSync(join(root, 'node_modules/uplot/LICENSE'), 'utf8').trim();
  assert.ok(text.includes(uplotLicense), "uPlot's license text is included");
  assert.match(text, /@vscode\/codicons [\d.]+ \(CC-BY-4\.0\)[\s\S]*Attribution 4\.0 International/, 'the codicon font carries its Creative Commons attribution license');
});

test('a package without a license file stops the build, naming it', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'paramloop-notices-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  mkdirSync(join(dir, 'node_modules', 'unlicensed'), { recursive: true });
  writeFileSync(join(dir, 'node_modules', 'unlicensed', 'package.json'), JSON.stringify({ name: 'unlicensed', version: '1.0.0' }));
  assert.throws(() => noticesText(dir, new Map([['unlicensed', 'node_modules/unlicensed']]), 'Paramloop'), /unlicensed \(node_modules\/unlicensed\) has no LICENSE file/);
  assert.throws(() => packageDir(dir, 'missing'), /missing is not installed/);
});
