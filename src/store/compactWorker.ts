// Worker-thread entry that builds snapshots (compactSnapshot) off the main thread. The store sends
// { id, dir, wasmDir, beforeSeq } and gets back { id, result } or { id, error }.
import { parentPort } from 'node:worker_threads';
import { compactSnapshot } from './snapshotFile';
import { loadSqlJs } from './sqlite';

interface CompactRequest {
  id: number;
  dir: string;
  wasmDir: string;
  beforeSeq: number;
}

parentPort?.on('message', (request: CompactRequest) => {
  loadSqlJs(request.wasmDir)
    .then((SQL) => compactSnapshot(SQL, request.dir, request.beforeSeq))
    .then(
      (result) => parentPort?.postMessage({ id: request.id, result }),
      (error: unknown) => parentPort?.postMessage({ id: request.id, error: error instanceof Error ? error.message : String(error) }),
    );
});
