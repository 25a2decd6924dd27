import type * as vscode from 'vscode';

/** Owns child disposables so that nothing is forgotten on dispose. */
export class DisposableStore implements vscode.Disposable {
  private readonly children: vscode.Disposable[] = [];
  private disposed = false;

  /** Registers a child and returns it, so construction and registration read as one step. */
  register<T extends vscode.Disposable>(child: T): T {
    if (this.disposed) {
      child.dispose();
    } else {
      this.children.push(child);
    }
    return child;
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    // Dispose in reverse order of registration: later parts may depend on earlier ones.
    for (const child of this.children.reverse()) {
      try {
        child.dispose();
      } catch {
        // One failing child must not keep the others alive.
      }
    }
    this.children.length = 0;
  }
}
