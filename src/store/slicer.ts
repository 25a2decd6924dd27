// Long jobs on the main thread (reading a journal, replaying it) give the event loop back every few
// milliseconds, so that opening a large store never freezes the editor.

/** Tracks a job's current slice: `if (slicer.due()) await slicer.pause();` between steps. */
export class TimeSlicer {
  private sliceStarted = performance.now();

  constructor(private readonly sliceMs = 8) {}

  /** True once the current slice has run `sliceMs`. */
  due(): boolean {
    return performance.now() - this.sliceStarted >= this.sliceMs;
  }

  /** Lets everything else queued on the event loop run, then starts a new slice. */
  async pause(): Promise<void> {
    await new Promise((resolve) => setImmediate(resolve));
    this.sliceStarted = performance.now();
  }
}
