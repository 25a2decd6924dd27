// The LLM simulator in a process of its own, as a real model server is: the planning bench measures
// Paramloop's own time per request, and a simulator in the same process would add its work (and
// its garbage) to it. Prints `listening URL` on stdout; stops when stdin closes.
//   node --import tsx bench/simServerProcess.ts FIRST_TOKEN_MS
import { startSimServer } from '../src/llm/testing/simServer';

async function main(): Promise<void> {
  const sim = await startSimServer({ seed: 1, msPerToken: 0, firstTokenMs: Number(process.argv[2] ?? 20), chunkChars: 4096 });
  process.stdout.write(`listening ${sim.openAiBaseUrl}\n`);
  process.stdin.resume();
  process.stdin.on('end', () => void sim.close().then(() => process.exit(0)));
}

void main();
