// `npm run bench`: runs every benchmark section in order and prints one JSON object on stdout,
// `{ "<section>": { ...figures } }`. Progress goes to stderr. Targets are stated next to each figure
// by the section that measures it; nothing here asserts on time.
//
// Run one or some sections: `npm run bench -- extension core`.
import { cpus, totalmem } from 'node:os';
import { sections } from './sections';

async function main(): Promise<void> {
  const wanted = new Set(process.argv.slice(2).filter((a) => !a.startsWith('-')));
  const report: Record<string, unknown> = { machine: machineInfo() };
  for (const section of sections) {
    if (wanted.size > 0 && !wanted.has(section.name)) continue;
    process.stderr.write(`bench: ${section.name}…\n`);
    const started = performance.now();
    try {
      report[section.name] = await section.run();
    } catch (error) {
      report[section.name] = { error: error instanceof Error ? error.message : String(error) };
      process.exitCode = 1;
    }
    process.stderr.write(`bench: ${section.name} done in ${((performance.now() - started) / 1000).toFixed(1)} s\n`);
  }
  process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
}

function machineInfo(): Record<string, unknown> {
  return { node: process.version, cpus: cpus().length, cpuModel: cpus()[0]?.model ?? 'unknown', totalMemGiB: Math.round(totalmem() / 2 ** 30) };
}

void main();
