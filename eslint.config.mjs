import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import globals from 'globals';

/** Folders that must run without VS Code: the optimizer, the store, the CLI and the webview protocol. */
export const pureFolders = ['src/core/**', 'src/store/**', 'src/cli/**', 'src/shared/**', 'src/sim/**'];

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', '.cache/**', 'out/**', '.vscode-test/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { ...globals.node } },
    rules: {
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/consistent-type-imports': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      eqeqeq: ['error', 'always'],
    },
  },
  {
    files: ['webview/**/*.ts'],
    languageOptions: { globals: { ...globals.browser } },
  },
  {
    files: pureFolders,
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: [
            {
              name: 'vscode',
              message: 'src/core, src/store, src/cli, src/shared and src/sim must not import vscode: they run and are tested without VS Code.',
            },
          ],
        },
      ],
      'no-restricted-syntax': [
        'error',
        {
          selector: "CallExpression[callee.name='require'][arguments.0.value='vscode']",
          message: 'src/core, src/store, src/cli, src/shared and src/sim must not require vscode.',
        },
      ],
    },
  },
);
