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
