// Worker-thread entry for the store's work that takes time in proportion to the database's size,
// off the main thread: building snapshots (compactSnapshot) and checking one before it is opened
// (checkSnapshotFile). The store sends a request with an id and gets back { id, result } or
// { id, error }.
import { parentPort } from 'node:worker_threads';
import { checkSnapshotFile, compactSnapshot } from './snapshotFile';
import { loadSqlJs } from './sqlite';

type WorkerRequest =
  | { id: number; kind: 'compact'; dir: string; wasmDir: string; beforeSeq: number; baseSeq: number }
  | { id: number; kind: 'check'; path: string; wasmDir: string };

parentPort?.on('message', (request: WorkerRequest) => {
  loadSqlJs(request.wasmDir)
    .then(async (SQL) =>
      request.kind === 'compact' ? compactSnapshot(SQL, request.dir, request.beforeSeq, request.baseSeq) : { unreadable: await checkSnapshotFile(SQL, request.path) ?? null },
    )
    .then(
      (result) => parentPort?.postMessage({ id: request.id, result }),
      (error: unknown) => parentPort?.postMessage({ id: request.id, error: error instanceof Error ? error.message : String(error) }),
    );
});
