/**
 * `catchment serve` (also `npm run serve`): the heads' portal locally, on 127.0.0.1, over the lake directory `npm start`
 * made. Prints the dev users (one head, one executive head of two schools, one analyst) the page
 * offers at sign-in; their tokens are ES256 JWTs from a key generated now, valid for --token-minutes.
 *
 *   catchment serve --out out --port 8787
 */
import { Command, InvalidArgumentError } from 'commander';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { startPortalServer } from '../portal/server.ts';
import type { PortalSiteInput } from '../portal/site.ts';
import { LocalObjectStore } from '../ports/local-store.ts';
import { PublishedView } from '../lake/publication.ts';

const port = (v: string) => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new InvalidArgumentError('expected a port number (0 picks a free one)');
  return n;
};
const minutes = (v: string) => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1 || n > 24 * 60) throw new InvalidArgumentError('expected whole minutes from 1 to 1440');
  return n;
};

/** Adds `serve` to the catchment CLI. */
export function addServeCommand(program: Command): void {
  program
    .command('serve')
    .description('serve the heads’ portal (page + API) on 127.0.0.1 over a lake made by run, with dev sign-in')
    .option('-o, --out <dir>', 'lake directory made by `npm start`', 'out')
    .option('-p, --port <n>', 'port on 127.0.0.1 (0 picks a free one)', port, 8787)
    .option('--token-minutes <n>', 'lifetime of sign-in tokens', minutes, 60)
    .option('--council-name <name>', 'council name in the masthead and pages (overrides --site)')
    .option('--site <file.json>', 'site settings: councilName, logo (a file beside the JSON), contact {team, email, phone, hours}, accessibility, privacy')
    .action(async (o: { out: string; port: number; tokenMinutes: number; councilName?: string; site?: string }) => {
      const out = resolve(o.out);
      if (!existsSync(out)) throw new Error(`lake directory ${out} does not exist: run \`npm start\` first`);
      const fromFile = o.site ? (JSON.parse(readFileSync(resolve(o.site), 'utf8')) as PortalSiteInput) : undefined;
      const site: PortalSiteInput = { councilName: 'Local authority', ...fromFile, ...(o.councilName ? { councilName: o.councilName } : {}) };
      const logoFile = site.logo && o.site ? resolve(dirname(resolve(o.site)), site.logo) : undefined;
      const portal = await startPortalServer({ lake: new PublishedView(new LocalObjectStore(out)), port: o.port, tokenSeconds: o.tokenMinutes * 60, site, logoFile });
      const lines = [
        `catchment portal on ${portal.url}  (lake: ${out})`,
        '',
        `Dev users (sign in on the page; tokens last ${o.tokenMinutes} min, and end when the server stops):`,
        ...portal.devUsers.map((u) => `  ${u.label.padEnd(15)} ${u.description}   [sub ${u.sub}]`),
        '',
        portal.devPeriod
          ? portal.pdfs
            ? `Schools chosen from published/profiles/${portal.devPeriod}/.`
            : `No profile PDFs in the lake yet: schools chosen from the profile documents of ${portal.devPeriod}; downloads answer 404 until the PDF stage has run.`
          : 'The lake has no published profiles: run `npm start` first.',
        `Audit: ${out}/published/portal_audit/   Feedback: ${out}/published/portal_feedback/`,
        'Ctrl-C stops the server.',
      ];
      process.stdout.write(`${lines.join('\n')}\n`);
      const stop = () => {
        portal.close().finally(() => process.exit(0));
      };
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
    });
}
