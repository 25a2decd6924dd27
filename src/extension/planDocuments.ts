import * as vscode from 'vscode';

/**
 * Plans as documents: an in-memory file system under the `paramloop-plan` scheme. A plan streams in
 * by rewriting its file and announcing the change, so its editor follows the stream without ever
 * being dirty; once written, the user may edit it (edits are a signal about the plan) and save it
 * (to memory: plans live as long as the window; `Save As…` keeps one on disk).
 */
export class PlanDocuments implements vscode.FileSystemProvider, vscode.Disposable {
  static readonly scheme = 'paramloop-plan';
  private readonly files = new Map<string, { data: Uint8Array; ctime: number; mtime: number }>();
  private readonly changed = new vscode.EventEmitter<vscode.FileChangeEvent[]>();
  readonly onDidChangeFile = this.changed.event;
  private readonly encoder = new TextEncoder();

  /** A new plan's address: `paramloop-plan:/<name>.md`. */
  uriFor(name: string): vscode.Uri {
    return vscode.Uri.from({ scheme: PlanDocuments.scheme, path: `/${name}.md` });
  }

  /** Sets a plan's whole text (creating it), and tells the editors showing it. */
  write(uri: vscode.Uri, text: string): void {
    const now = Date.now();
    const existing = this.files.get(uri.path);
    this.files.set(uri.path, { data: this.encoder.encode(text), ctime: existing?.ctime ?? now, mtime: Math.max(now, (existing?.mtime ?? 0) + 1) });
    this.changed.fire([{ type: existing ? vscode.FileChangeType.Changed : vscode.FileChangeType.Created, uri }]);
  }

  has(uri: vscode.Uri): boolean {
    return this.files.has(uri.path);
  }

  watch(): vscode.Disposable {
    return new vscode.Disposable(() => undefined);
  }

  stat(uri: vscode.Uri): vscode.FileStat {
    if (uri.path === '/') return { type: vscode.FileType.Directory, ctime: 0, mtime: 0, size: 0 };
    const file = this.files.get(uri.path);
    if (!file) throw vscode.FileSystemError.FileNotFound(uri);
    return { type: vscode.FileType.File, ctime: file.ctime, mtime: file.mtime, size: file.data.byteLength };
  }

  readDirectory(): [string, vscode.FileType][] {
    return [...this.files.keys()].map((path) => [path.slice(1), vscode.FileType.File]);
  }

  createDirectory(uri: vscode.Uri): void {
    throw vscode.FileSystemError.NoPermissions(uri);
  }

  readFile(uri: vscode.Uri): Uint8Array {
    const file = this.files.get(uri.path);
    if (!file) throw vscode.FileSystemError.FileNotFound(uri);
    return file.data;
  }

  writeFile(uri: vscode.Uri, content: Uint8Array, options: { create: boolean; overwrite: boolean }): void {
    const existing = this.files.get(uri.path);
    if (!existing && !options.create) throw vscode.FileSystemError.FileNotFound(uri);
    if (existing && !options.overwrite) throw vscode.FileSystemError.FileExists(uri);
    const now = Date.now();
    this.files.set(uri.path, { data: content, ctime: existing?.ctime ?? now, mtime: Math.max(now, (existing?.mtime ?? 0) + 1) });
    this.changed.fire([{ type: existing ? vscode.FileChangeType.Changed : vscode.FileChangeType.Created, uri }]);
  }

  delete(uri: vscode.Uri): void {
    if (!this.files.delete(uri.path)) throw vscode.FileSystemError.FileNotFound(uri);
    this.changed.fire([{ type: vscode.FileChangeType.Deleted, uri }]);
  }

  rename(oldUri: vscode.Uri, newUri: vscode.Uri): void {
    const file = this.files.get(oldUri.path);
    if (!file) throw vscode.FileSystemError.FileNotFound(oldUri);
    this.files.delete(oldUri.path);
    this.files.set(newUri.path, file);
    this.changed.fire([
      { type: vscode.FileChangeType.Deleted, uri: oldUri },
      { type: vscode.FileChangeType.Created, uri: newUri },
    ]);
  }

  dispose(): void {
    this.changed.dispose();
    this.files.clear();
  }
}
