declare const __PARAMLOOP_VERSION__: string | undefined;

/** The package version, injected by the bundler; 'dev' when run from source. */
export const cliVersion: string = typeof __PARAMLOOP_VERSION__ === 'string' ? __PARAMLOOP_VERSION__ : 'dev';
