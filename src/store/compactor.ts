// The main thread's handle on the store's worker (compactWorker.ts): started for a snapshot or for
// checking one at open, ended after it (its memory returns to the system), never keeping the
// process alive otherwise.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { MessageChannel, receiveMessageOnPort, Worker } from 'node:worker_threads';
import type { CompactionResult } from './snapshotFile';

/** Where the compaction worker's script is. A `.ts` script is loaded through tsx (development). */
export interface CompactionWorkerSpec {
  script: string;
}

/** File name of the bundled worker, expected next to the bundle that holds the store. */
export const bundledWorkerFileName = 'storeWorker.js';

/**
 * Finds the worker next to this module: the bundled `storeWorker.js` (when the build emits it next
 * to the bundle) or, running from source, `compactWorker.ts` through tsx. Undefined when neither
 * exists: snapshots are then exported on the main thread.
 */
export function detectCompactionWorker(): CompactionWorkerSpec | undefined {
  const here = typeof __dirname === 'string' ? __dirname : undefined;
  if (here === undefined) return undefined;
  const bundled = join(here, bundledWorkerFileName);
  if (existsSync(bundled)) return { script: bundled };
  const source = join(here, 'compactWorker.ts');
  if (existsSync(source)) return { script: source };
  return undefined;
}

type Reply = { id: number; result: unknown } | { id: number; error: string };

/** A request to the worker whose end can be seen without yielding to the event loop. */
export interface DetachedRequest<T> {
  /** The result or error once the worker has replied, else undefined. Never blocks. */
  poll(): { result: T } | { error: Error } | undefined;
  /** Settles when the worker replies (or fails), once the event loop runs. */
  done: Promise<T>;
}

export class Compactor {
  private worker: Worker | undefined;
  private nextId = 1;
  private readonly waiting = new Map<number, { resolve(result: unknown): void; reject(error: Error): void }>();
  /** Detached requests not yet settled: failed along with the others when the worker dies. */
  private readonly detached = new Set<(reply: Reply | Error) => void>();

  constructor(
    private readonly spec: CompactionWorkerSpec,
    private readonly wasmDir: string,
  ) {}

  private start(): Worker {
    // Worker threads do not inherit the parent's tsx loader: a TypeScript script is started by a
    // tiny bootstrap that registers tsx's CommonJS hook first.
    // (The module name is assembled so that bundlers leave this development-only path alone.)
    const tsxApi = ['tsx', 'cjs', 'api'].join('/');
    const worker = this.spec.script.endsWith('.ts')
      ? new Worker(`require(${JSON.stringify(require.resolve(tsxApi))}).register(); require(${JSON.stringify(this.spec.script)});`, { eval: true })
      : new Worker(this.spec.script);
    worker.unref();
    worker.on('message', (reply: Reply) => {
      const waiter = this.waiting.get(reply.id);
      this.waiting.delete(reply.id);
      if ('error' in reply) waiter?.reject(new Error(`the store's worker failed: ${reply.error}`));
      else waiter?.resolve(reply.result);
    });
    const failAll = (error: Error): void => {
      this.worker = undefined;
      for (const waiter of this.waiting.values()) waiter.reject(error);
      this.waiting.clear();
      for (const settle of [...this.detached]) settle(error);
    };
    worker.on('error', (error) => {
      if (this.worker === worker) failAll(error);
    });
    worker.on('exit', (code) => {
      if (this.worker === worker) failAll(new Error(`snapshot worker exited with code ${code}`));
    });
    return worker;
  }

  /**
   * Builds and writes the snapshot of every journal event below `beforeSeq`, in the worker, on the
   * current snapshot, which must end at event `baseSeq` (see compactSnapshot).
   */
  compact(dir: string, beforeSeq: number, baseSeq: number): Promise<CompactionResult> {
    return this.request({ kind: 'compact', dir, beforeSeq, baseSeq }) as Promise<CompactionResult>;
  }

  /**
   * `compact` for a producer that runs in one synchronous loop (the simulator): the worker builds
   * the snapshot meanwhile, on its own thread, and replies on a port of its own, which `poll()`
   * reads without yielding (receiveMessageOnPort).
   */
  compactDetached(dir: string, beforeSeq: number, baseSeq: number): DetachedRequest<CompactionResult> {
    this.worker ??= this.start();
    const worker = this.worker;
    const id = this.nextId++;
    const { port1, port2 } = new MessageChannel();
    let outcome: { result: CompactionResult } | { error: Error } | undefined;
    let resolveDone!: (result: CompactionResult) => void;
    let rejectDone!: (error: Error) => void;
    const done = new Promise<CompactionResult>((resolve, reject) => {
      resolveDone = resolve;
      rejectDone = reject;
    });
    const settle = (reply: Reply | Error): void => {
      if (outcome !== undefined) return;
      this.detached.delete(settle);
      port1.close();
      if (reply instanceof Error) outcome = { error: reply };
      else if ('error' in reply) outcome = { error: new Error(`the store's worker failed: ${reply.error}`) };
      else outcome = { result: reply.result as CompactionResult };
      if ('error' in outcome) rejectDone(outcome.error);
      else resolveDone(outcome.result);
      if (this.waiting.size === 0 && this.detached.size === 0) void this.terminate();
    };
    this.detached.add(settle);
    port1.on('message', settle);
    worker.ref();
    worker.postMessage({ kind: 'compact', dir, beforeSeq, baseSeq, id, wasmDir: this.wasmDir, replyPort: port2 }, [port2]);
    return {
      done,
      poll: () => {
        if (outcome === undefined) {
          const received = receiveMessageOnPort(port1);
          if (received !== undefined) settle(received.message as Reply);
        }
        return outcome;
      },
    };
  }

  /**
   * Checks snapshot image bytes that live in shared memory (the main thread read them; the worker
   * reads the same memory, nothing is copied) as opening them would: header, size, SQLite's
   * quick_check, schema. Resolves to why they are unreadable, or undefined; rejects only when the
   * worker itself fails. The bytes must not change until it settles.
   */
  async checkImage(image: Uint8Array): Promise<string | undefined> {
    if (!(image.buffer instanceof SharedArrayBuffer)) throw new Error('checkImage needs bytes in shared memory');
    const result = (await this.request({ kind: 'checkImage', image: image.buffer, offset: image.byteOffset, length: image.byteLength })) as { unreadable: string | null };
    return result.unreadable ?? undefined;
  }

  /**
   * Starts the worker and has it load SQLite ahead of a request (opening a store reads its snapshot
   * meanwhile). Ended by `releaseIdle`, or after the next request.
   */
  prepare(): void {
    this.worker ??= this.start();
    this.worker.postMessage({ kind: 'load', id: 0, wasmDir: this.wasmDir });
  }

  /** Ends the worker when no request is pending (one started by `prepare` and never used). */
  async releaseIdle(): Promise<void> {
    if (this.waiting.size === 0 && this.detached.size === 0) await this.terminate();
  }

  private request(message: Record<string, unknown>): Promise<unknown> {
    this.worker ??= this.start();
    const worker = this.worker;
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.waiting.set(id, { resolve, reject });
      // While a request is pending the worker must keep the process alive (close() awaits it).
      worker.ref();
      worker.postMessage({ ...message, id, wasmDir: this.wasmDir });
    }).finally(async () => {
      // A wasm heap never shrinks: ending the worker after each request returns its copy of the
      // database to the system (a new worker costs a module load next time). A request is
      // reported done once the worker has ended, its memory returned.
      if (this.waiting.size === 0 && this.detached.size === 0) await this.terminate();
    });
  }

  async terminate(): Promise<void> {
    const worker = this.worker;
    this.worker = undefined;
    if (worker !== undefined) await worker.terminate();
  }
}
