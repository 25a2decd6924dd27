// Worker-thread entry for the store's work that takes time in proportion to the database's size,
// off the main thread: building snapshots (compactSnapshot) and checking one before it is opened
// (checkSnapshotImage, on the bytes the main thread read into shared memory). The store sends a
// request with an id and gets back { id, result } or { id, error }, on the request's own
// `replyPort` when it brings one (a detached request, which a synchronous loop polls), else on the
// worker's port.
import { parentPort } from 'node:worker_threads';
import type { MessagePort } from 'node:worker_threads';
import { checkSnapshotImage, compactSnapshot } from './snapshotFile';
import type { CompactionResult } from './snapshotFile';
import { loadSqlJs } from './sqlite';

type WorkerRequest =
  | { id: number; kind: 'compact'; dir: string; wasmDir: string; beforeSeq: number; baseSeq: number; replyPort?: MessagePort }
  | { id: number; kind: 'checkImage'; image: SharedArrayBuffer; offset: number; length: number; wasmDir: string }
  | { id: number; kind: 'load'; wasmDir: string };

parentPort?.on('message', (request: WorkerRequest) => {
  const reply = (message: Record<string, unknown>): void => {
    const port = request.kind === 'compact' ? request.replyPort : undefined;
    if (port === undefined) parentPort?.postMessage(message);
    else {
      port.postMessage(message);
      port.close();
    }
  };
  loadSqlJs(request.wasmDir)
    .then(async (SQL): Promise<CompactionResult | { unreadable: string | null } | null> => {
      switch (request.kind) {
        case 'compact':
          return compactSnapshot(SQL, request.dir, request.beforeSeq, request.baseSeq);
        case 'checkImage':
          return { unreadable: checkSnapshotImage(SQL, Buffer.from(request.image, request.offset, request.length)) ?? null };
        case 'load':
          return null; // sql.js loaded ahead of a request
      }
    })
    .then(
      (result) => reply({ id: request.id, result }),
      (error: unknown) => reply({ id: request.id, error: error instanceof Error ? error.message : String(error) }),
    );
});
