/**
 * The HTML shell of a Paramloop webview and its Content-Security-Policy: nothing but local resources
 * (`cspSource`), and only the one script carrying the nonce. Shared by the extension host, which
 * serves it, and the webview tests, which load the built bundle under exactly this policy.
 */
export interface WebviewShell {
  /** The webview's resource origin (`webview.cspSource` in VS Code). */
  cspSource: string;
  /** A fresh random nonce per render. */
  nonce: string;
  scriptUri: string;
  styleUri: string;
  /** Further stylesheets, linked after `styleUri` in this order (all local resources). */
  moreStyleUris?: readonly string[];
  title: string;
}

/** The policy: default-src 'none'; styles, images and fonts from cspSource; the nonce'd script. */
export function webviewCsp(cspSource: string, nonce: string): string {
  return [
    "default-src 'none'",
    `style-src ${cspSource}`,
    `img-src ${cspSource} data:`,
    `font-src ${cspSource}`,
    `script-src 'nonce-${nonce}'`,
  ].join('; ');
}

export function webviewHtml(shell: WebviewShell): string {
  return `<!DOCTYPE html>
<html lang="en">
<head>
  <meta charset="UTF-8">
  <meta http-equiv="Content-Security-Policy" content="${webviewCsp(shell.cspSource, shell.nonce)}">
  <meta name="viewport" content="width=device-width, initial-scale=1.0">
  <link rel="stylesheet" href="${shell.styleUri}">
${(shell.moreStyleUris ?? []).map((uri) => `  <link rel="stylesheet" href="${uri}">\n`).join('')}  <title>${shell.title}</title>
</head>
<body>
  <main id="app" aria-live="polite"><p class="muted">Loading Paramloop…</p></main>
  <script nonce="${shell.nonce}" src="${shell.scriptUri}"></script>
</body>
</html>`;
}
