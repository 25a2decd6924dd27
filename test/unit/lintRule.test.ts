import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ESLint } from 'eslint';

const eslint = new ESLint({ cwd: process.cwd() });

async function vscodeImportErrors(filePath: string, code: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath });
  return (result?.messages ?? [])
    .filter((m) => m.ruleId === 'no-restricted-imports' || m.ruleId === 'no-restricted-syntax')
    .map((m) => m.message);
}

for (const folder of ['src/core', 'src/store', 'src/cli', 'src/shared']) {
  test(`the lint fails when ${folder} imports vscode`, async () => {
    const errors = await vscodeImportErrors(`${folder}/offender.ts`, "import * as vscode from 'vscode';\nexport const x = vscode;\n");
    assert.equal(errors.length, 1);
    assert.match(errors[0] ?? '', /must not import vscode/);
  });
}

test('the lint fails when src/core requires vscode', async () => {
  const errors = await vscodeImportErrors('src/core/offender.ts', "export const v: unknown = require('vscode');\n");
  assert.ok(errors.some((e) => /must not require vscode/.test(e)), errors.join('\n'));
});

test('src/extension may import vscode', async () => {
  const errors = await vscodeImportErrors('src/extension/fine.ts', "import * as vscode from 'vscode';\nexport const x = vscode;\n");
  assert.deepEqual(errors, []);
});

for (const [filePath, code] of [
  ['src/shared/offender.ts', "import { readFileSync } from 'node:fs';\nexport const r = readFileSync;\n"],
  ['webview/offender.ts', "import { join } from 'path';\nexport const j = join;\n"],
  ['webview/offender.ts', "import { trafficBucket } from '../src/core/safety/rollout';\nexport const t = trafficBucket;\n"],
  ['src/shared/offender.ts', "import type { Store } from '../store/store';\nexport type S = Store;\n"],
] as const) {
  test(`the browser bundle may not reach Node: the lint fails for ${filePath}: ${code.split('\n')[0]}`, async () => {
    const errors = await vscodeImportErrors(filePath, code);
    assert.equal(errors.length, 1, errors.join('\n'));
    assert.match(errors[0] ?? '', /run in the browser/);
  });
}

test('src/shared may import the core records, which use nothing of Node', async () => {
  const errors = await vscodeImportErrors('src/shared/fine.ts', "import { rolloutPhases } from '../core/types';\nexport const p = rolloutPhases;\n");
  assert.deepEqual(errors, []);
});
