/**
 * Single-thread PDF render timing (run by hand: `npx tsx bench/pdf-profile.ts [--schools 300]
 * [--warm 300] [--profile out.cpuprofile] [--no-maps]`). Renders generated England-scale profile
 * documents (each with its school map, as bench/pdf.ts renders them; `--no-maps` without) in this
 * thread after a warm-up (the thread's caches fill as a long nightly run's would), prints ms per
 * PDF, and with --profile writes a CPU profile of the measured part only (open it in Chrome
 * DevTools or speedscope).
 */
import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import { renderTask } from '../functions/pdf/render-task.ts';
import { makeProfileFixtures } from '../test/helpers/documents.ts';

const args = process.argv.slice(2);
const opt = (name: string, dflt: string) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 && args[i + 1] ? args[i + 1]! : dflt;
};
const N = Number(opt('schools', '300'));
const WARM = Number(opt('warm', '300'));
const PROFILE = opt('profile', '');
const enc = new TextEncoder();
const docs = makeProfileFixtures(N + WARM, { maps: !args.includes('--no-maps') }).map((f) => enc.encode(JSON.stringify(f.doc)));

async function main(): Promise<void> {
  for (const json of docs.slice(0, WARM)) await renderTask({ kind: 'profile', key: 'warm-up', json });
  const session = PROFILE ? new Session() : null;
  if (session) {
    session.connect();
    await session.post('Profiler.enable');
    await session.post('Profiler.start');
  }
  const t0 = performance.now();
  const cpu0 = process.cpuUsage();
  let bytes = 0;
  for (const json of docs.slice(WARM)) bytes += (await renderTask({ kind: 'profile', key: 'bench', json })).pdf.length;
  const ms = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  if (session) {
    const { profile } = await session.post('Profiler.stop');
    writeFileSync(PROFILE, JSON.stringify(profile));
    session.disconnect();
  }
  process.stdout.write(
    `${N} profile PDFs in one thread after ${WARM} to warm up: ${(ms / N).toFixed(1)} ms wall, ${((cpu.user + cpu.system) / 1000 / N).toFixed(1)} ms CPU per PDF (all of this process's threads); mean ${(bytes / N / 1024).toFixed(0)} KiB\n`,
  );
}
main().catch((e: unknown) => {
  process.stderr.write(`${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
  process.exitCode = 1;
});
