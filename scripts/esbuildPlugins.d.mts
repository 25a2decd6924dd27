import type { Plugin } from 'esbuild';

export const englishZodLocales: Plugin;
