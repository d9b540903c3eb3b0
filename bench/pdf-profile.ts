/**
 * Single-thread PDF render timing (run by hand: `npx tsx bench/pdf-profile.ts [--schools 300]`;
 * add `node --cpu-prof` via NODE_OPTIONS to see where the time goes). Renders generated
 * England-scale profile documents in this thread, after a warm-up, and prints ms per PDF.
 */
import { renderTask } from '../functions/pdf/render-task.ts';
import { makeProfileFixtures } from '../test/helpers/documents.ts';

const args = process.argv.slice(2);
const i = args.indexOf('--schools');
const N = i >= 0 ? Number(args[i + 1]) : 300;
const enc = new TextEncoder();
const docs = makeProfileFixtures(N + 20).map((f) => enc.encode(JSON.stringify(f.doc)));

async function main(): Promise<void> {
  for (const json of docs.slice(0, 20)) await renderTask({ kind: 'profile', key: 'warm-up', json });
  const t0 = performance.now();
  const cpu0 = process.cpuUsage();
  let bytes = 0;
  for (const json of docs.slice(20)) bytes += (await renderTask({ kind: 'profile', key: 'bench', json })).pdf.length;
  const ms = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  process.stdout.write(
    `${N} profile PDFs in one thread: ${(ms / N).toFixed(1)} ms wall, ${((cpu.user + cpu.system) / 1000 / N).toFixed(1)} ms CPU per PDF; mean ${(bytes / N / 1024).toFixed(0)} KiB\n`,
  );
}
main();
