// esbuild plugins of the project's bundles (esbuild.config.mjs).
import { dirname, join } from 'node:path';

/**
 * The webviews use zod's English messages only: its `locales` namespace (every language's message
 * table, 264 KB of the dashboard's 577 KB) is replaced in browser bundles by one that holds English.
 * The namespace is reachable through `z`, so esbuild cannot drop the tables itself.
 */
export const englishZodLocales = {
  name: 'english-zod-locales',
  setup(build) {
    build.onResolve({ filter: /^\.\.\/locales\/index\.js$/ }, (args) =>
      /[\\/]zod[\\/]v4[\\/]/.test(args.importer) ? { path: join(dirname(args.importer), '..', 'locales', 'index.js'), namespace: 'zod-english-locales' } : undefined,
    );
    build.onLoad({ filter: /.*/, namespace: 'zod-english-locales' }, (args) => ({
      contents: `export { default as en } from ${JSON.stringify(join(dirname(args.path), 'en.js'))};`,
      loader: 'js',
      resolveDir: dirname(args.path),
    }));
  },
};

