// The webview bundles keep zod's English messages and leave its other languages out (scripts/esbuildPlugins.mjs).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { englishZodLocales } from '../../scripts/esbuildPlugins.mjs';

const root = fileURLToPath(new URL('../..', import.meta.url));

test("the dashboard bundle holds zod's English messages and none of its other languages' tables", async () => {
  const bundle = async (plugins: (typeof englishZodLocales)[]): Promise<string> => {
    const result = await build({ entryPoints: ['webview/dashboard.ts'], absWorkingDir: root, bundle: true, write: false, minify: true, platform: 'browser', format: 'iife', logLevel: 'silent', plugins });
    return result.outputFiles[0]!.text;
  };
  const everyLanguage = await bundle([]);
  const english = await bundle([englishZodLocales]);
  assert.match(everyLanguage, /erwartet/, 'without the plugin, the German table is bundled');
  assert.doesNotMatch(english, /erwartet/);
  assert.match(english, /Invalid input/);
  assert.ok(english.length < everyLanguage.length * 0.6, `${english.length} bytes against ${everyLanguage.length}`);
});
