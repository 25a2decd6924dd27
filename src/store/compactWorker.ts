// Worker-thread entry for the store's work that takes time in proportion to the database's size,
// off the main thread: building snapshots (compactSnapshot) and checking one before it is opened
// (checkSnapshotFile). The store sends a request with an id and gets back { id, result } or
// { id, error }, on the request's own `replyPort` when it brings one (a detached request, which a
// synchronous loop polls), else on the worker's port.
import { parentPort } from 'node:worker_threads';
import type { MessagePort } from 'node:worker_threads';
import { checkSnapshotFile, compactSnapshot } from './snapshotFile';
import { loadSqlJs } from './sqlite';

type WorkerRequest =
  | { id: number; kind: 'compact'; dir: string; wasmDir: string; beforeSeq: number; baseSeq: number; replyPort?: MessagePort }
  | { id: number; kind: 'check'; path: string; wasmDir: string };

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
    .then(async (SQL) =>
      request.kind === 'compact' ? compactSnapshot(SQL, request.dir, request.beforeSeq, request.baseSeq) : { unreadable: await checkSnapshotFile(SQL, request.path) ?? null },
    )
    .then(
      (result) => reply({ id: request.id, result }),
      (error: unknown) => reply({ id: request.id, error: error instanceof Error ? error.message : String(error) }),
    );
});
