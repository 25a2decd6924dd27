import type { Metafile } from 'esbuild';

export function packageOfInput(inputPath: string): { name: string; dir: string } | undefined;
export function bundledPackages(metafiles: readonly Metafile[]): Map<string, string>;
export function noticesText(root: string, packages: ReadonlyMap<string, string>, productName: string): string;
export function packageDir(root: string, name: string): string;
