import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import globals from 'globals';
import { builtinModules } from 'node:module';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Folders that must run without VS Code: the optimizer, the store, the CLI and the webview protocol. */
export const pureFolders = ['src/core/**', 'src/store/**', 'src/service/**', 'src/cli/**', 'src/shared/**', 'src/sim/**', 'src/llm/**', 'src/planning/**'];

const root = dirname(fileURLToPath(import.meta.url));

/**
 * The src/core modules that import a Node built-in, directly or through another core module: the
 * browser bundle (src/shared, webview/) must not reach them. Computed from the sources, so a new
 * Node import anywhere in the core is caught where it would leak into the webview.
 */
function nodeBoundCoreModules() {
  const files = [];
  const walk = (dir) => {
    for (const name of readdirSync(dir)) {
      const full = join(dir, name);
      if (statSync(full).isDirectory()) walk(full);
      else if (name.endsWith('.ts') && !name.endsWith('.test.ts')) files.push(full);
    }
  };
  walk(join(root, 'src/core'));
  const imports = new Map();
  const bound = new Set();
  for (const file of files) {
    const specifiers = [...readFileSync(file, 'utf8').matchAll(/from\s+['"]([^'"]+)['"]/g)].map((m) => m[1]);
    if (specifiers.some((s) => s.startsWith('node:') || builtinModules.includes(s))) bound.add(file);
    imports.set(file, specifiers.filter((s) => s.startsWith('.')).map((s) => resolve(dirname(file), s)).flatMap((s) => [`${s}.ts`, join(s, 'index.ts')]));
  }
  for (let grew = true; grew; ) {
    grew = false;
    for (const [file, targets] of imports) {
      if (!bound.has(file) && targets.some((t) => bound.has(t))) {
        bound.add(file);
        grew = true;
      }
    }
  }
  return [...bound].map((f) => relative(root, f).replace(/\.ts$/, ''));
}

const noVscode = { name: 'vscode', message: 'src/core, src/store, src/service, src/cli, src/shared, src/sim, src/llm and src/planning must not import vscode: they run and are tested without VS Code.' };

/** What the browser bundle may not import: Node built-ins, the Node-only layers, core modules that use Node. */
const browserRestrictions = {
  paths: [noVscode, ...builtinModules.map((name) => ({ name, message: 'src/shared and webview/ run in the browser: no Node built-ins.' }))],
  patterns: [
    { group: ['node:*'], message: 'src/shared and webview/ run in the browser: no Node built-ins.' },
    { group: ['**/store/**', '**/cli/**', '**/extension/**', '**/sim/**'], message: 'src/shared and webview/ run in the browser: they may not import the Node-only layers.' },
    ...nodeBoundCoreModules().map((module) => ({ group: [`**/${module.replace(/^src\//, '')}`], message: `src/shared and webview/ run in the browser: ${module} uses Node built-ins.` })),
  ],
};

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
    // Test-only extensions loaded into the host as they are (plain CommonJS, no build step).
    files: ['test/fixtures/**/*.js'],
    languageOptions: { sourceType: 'commonjs' },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
  {
    files: pureFolders,
    rules: {
      'no-restricted-imports': ['error', { paths: [noVscode] }],
      'no-restricted-syntax': [
        'error',
        {
          selector: "CallExpression[callee.name='require'][arguments.0.value='vscode']",
          message: 'src/core, src/store, src/service, src/cli, src/shared and src/sim must not require vscode.',
        },
      ],
    },
  },
  {
    files: ['src/shared/**/*.ts', 'webview/**/*.ts'],
    ignores: ['**/*.test.ts'],
    rules: { 'no-restricted-imports': ['error', browserRestrictions] },
  },
);
