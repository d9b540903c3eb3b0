/**
 * The local portal: the static page (web/portal/) and the same API handler the Lambda runs, on
 * 127.0.0.1, over a lake directory made by `npm start`. Sign-in is local (functions/portal/
 * local-auth.ts): the page lists the dev users from /config.json and trades one for a token at
 * POST /auth/dev-login. Audit and feedback records go to the lake directory, as on AWS.
 *
 * Its edges, since any web page the developer opens can send requests to 127.0.0.1:
 * - It listens on loopback only, and answers only requests whose Host is 127.0.0.1, localhost or
 *   [::1] on its own port (421 otherwise): a page on attacker.example whose name is re-pointed at
 *   127.0.0.1 (DNS rebinding) is same-origin with itself, not with the portal, and gets nothing.
 * - A state-changing request (POST, PUT, PATCH, DELETE) from another origin (Origin header or
 *   Sec-Fetch-Site) is refused with 403, and sign-in takes JSON only (415 otherwise), which a page
 *   can only send cross-origin after a CORS preflight that this server never approves: no CSRF.
 * - No CORS headers are ever sent, and every response carries the security headers.
 */
import { randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import * as path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { fileURLToPath } from 'node:url';
import { logger } from '../commons/logger.ts';
import type { ObjectStore } from '../ports/object-store.ts';
import { auditDataset, feedbackDataset, type AuditSink, type FeedbackSink } from './datasets.ts';
import { MAX_BODY_BYTES, handlePortalRequest, type PortalResponse } from './handler.ts';
import { LocalAuth, chooseDevUsers, type DevUser } from './local-auth.ts';
import { INFO_PAGES, errorHtml, errorPageFor, infoPageHtml, isNavigation, type InfoPage } from './pages.ts';
import { SECURITY_HEADERS } from './security-headers.ts';
import { memorySessions } from './sessions.ts';
import { siteForPage, siteOf, type PortalSite, type PortalSiteInput } from './site.ts';

export const WEB_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'web', 'portal');

/** The only files served from web/portal (no path from the request ever reaches the file system). */
const STATIC_FILES: Record<string, { file: string; type: string }> = {
  '/': { file: 'index.html', type: 'text/html; charset=utf-8' },
  '/index.html': { file: 'index.html', type: 'text/html; charset=utf-8' },
  '/app.js': { file: 'app.js', type: 'text/javascript; charset=utf-8' },
  '/style.css': { file: 'style.css', type: 'text/css; charset=utf-8' },
  '/favicon.svg': { file: 'favicon.svg', type: 'image/svg+xml' },
};

/** Static files may be revalidated; everything else is no-store (set per response). */
const PAGE_CACHE = { 'cache-control': 'no-cache' };

/** Addresses the server may listen on. */
const LOOPBACK_BIND = /^(127\.0\.0\.1|::1|localhost)$/i;

/** Whether a Host header (or an Origin's host) names this server: a loopback name on its own port. */
export function isOwnHost(host: string | undefined, port: number): boolean {
  const m = /^(127\.0\.0\.1|localhost|\[::1\])(?::(\d{1,5}))?$/i.exec((host ?? '').trim());
  return m !== null && Number(m[2] ?? 80) === port;
}

/** Whether a state-changing request comes from the portal's own page (or from no page at all, e.g. curl). */
function sameOrigin(req: IncomingMessage, port: number): boolean {
  const site = req.headers['sec-fetch-site'];
  if (site !== undefined && site !== 'same-origin' && site !== 'none') return false;
  const origin = req.headers.origin;
  if (origin === undefined) return true;
  try {
    const u = new URL(origin);
    return u.protocol === 'http:' && isOwnHost(u.host, port);
  } catch {
    return false; // "null" (sandboxed frames, file:) and anything unparsable
  }
}

const mediaType = (v: string | undefined) => (v ?? '').split(';')[0]!.trim().toLowerCase();

export interface PortalServerOptions {
  lake: ObjectStore;
  port?: number;
  host?: string;
  /** Token lifetime in seconds (default 1 hour). */
  tokenSeconds?: number;
  webDir?: string;
  /** Override the datasets (tests). */
  audit?: AuditSink;
  feedback?: FeedbackSink;
  now?: () => Date;
  /** The council's name, logo, contact and page texts (default: "Local authority", no logo). */
  site?: PortalSiteInput;
  /** The logo file `site.logo` names, on this computer. */
  logoFile?: string;
}

export interface PortalServer {
  url: string;
  server: Server;
  auth: LocalAuth;
  devUsers: DevUser[];
  /** Period the dev users' schools were chosen from, and whether it has PDFs. */
  devPeriod: string | null;
  pdfs: boolean;
  close(): Promise<void>;
}

/** Bodies beyond this are not even drained: the connection is dropped. */
const HARD_BODY_LIMIT = 1024 * 1024;

/**
 * The request body, or `tooLarge` when it exceeds `limit` bytes. An oversized body is drained (up to
 * HARD_BODY_LIMIT) so the client still gets a 413 rather than a reset connection.
 */
async function readBody(req: IncomingMessage, limit: number): Promise<{ body: string; tooLarge: boolean }> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > HARD_BODY_LIMIT) {
      req.destroy();
      break;
    }
    if (size <= limit) chunks.push(chunk as Buffer);
  }
  return { body: Buffer.concat(chunks).toString('utf8'), tooLarge: size > limit };
}

function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  res.writeHead(status, { ...SECURITY_HEADERS, 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store', ...headers });
  res.end(JSON.stringify(body));
}

function sendHtml(res: ServerResponse, status: number, html: string, cache = 'no-store'): void {
  res.writeHead(status, { ...SECURITY_HEADERS, 'content-type': 'text/html; charset=utf-8', 'cache-control': cache });
  res.end(html);
}

function sendText(res: ServerResponse, status: number, text: string): void {
  res.writeHead(status, { ...SECURITY_HEADERS, 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-store' });
  res.end(text);
}

async function sendPortalResponse(res: ServerResponse, r: PortalResponse): Promise<void> {
  res.writeHead(r.status, { ...SECURITY_HEADERS, ...r.headers });
  if (r.stream) {
    await pipeline(r.stream, res);
    return;
  }
  res.end(r.body ?? '');
}

export async function startPortalServer(opts: PortalServerOptions): Promise<PortalServer> {
  const host = opts.host ?? '127.0.0.1';
  if (!LOOPBACK_BIND.test(host)) throw new Error(`the local portal listens on loopback only (127.0.0.1, ::1 or localhost), not ${host}: it has development sign-in`);
  const auth = await LocalAuth.create({ tokenSeconds: opts.tokenSeconds });
  const { users, period, pdfs } = await chooseDevUsers(opts.lake);
  const webDir = opts.webDir ?? WEB_DIR;
  const now = opts.now ?? (() => new Date());
  const given = siteOf(opts.site ?? { councilName: 'Local authority' });
  // A logo is shown only when there is a file to serve (never a broken image).
  const site: PortalSite = given.logo && !opts.logoFile ? { ...given, logo: undefined } : given;
  const infoPages = new Map<string, InfoPage>(Object.entries(INFO_PAGES).map(([k, v]) => [v.path as string, k as InfoPage]));
  const deps = {
    site,
    lake: opts.lake,
    audit: opts.audit ?? auditDataset(opts.lake),
    feedback: opts.feedback ?? feedbackDataset(opts.lake),
    now,
    sessions: memorySessions(),
  };

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const port = (server.address() as AddressInfo).port;
    if (!isOwnHost(req.headers.host, port)) {
      return sendText(res, 421, `This server answers only http://127.0.0.1:${port}/ and http://localhost:${port}/.`);
    }
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    // The raw path, still percent-encoded (URL keeps encodings; it only resolves dot segments, so
    // take the path from the request line when it differs).
    const rawPath = (req.url ?? '/').split('?')[0]!;
    const method = req.method ?? 'GET';
    if (!['GET', 'HEAD', 'OPTIONS'].includes(method) && !sameOrigin(req, port)) {
      return sendJson(res, 403, { error: 'cross_origin', message: 'Requests from other sites are refused.' });
    }

    if (rawPath.startsWith('/api/') || rawPath === '/api') {
      let body: string | null = null;
      if (method === 'POST' || method === 'PUT' || method === 'PATCH') {
        const read = await readBody(req, MAX_BODY_BYTES);
        // An oversized body reaches the handler as oversized, so it is refused (and audited) with 413.
        body = read.tooLarge ? ' '.repeat(MAX_BODY_BYTES + 1) : read.body;
      }
      const verified = await auth.verify(req.headers.authorization);
      const r = await handlePortalRequest(
        {
          method,
          path: rawPath,
          headers: { accept: req.headers.accept, 'content-type': req.headers['content-type'], 'sec-fetch-mode': req.headers['sec-fetch-mode'] },
          body,
          identity: 'identity' in verified ? verified.identity : null,
          authFailure: 'failure' in verified ? verified.failure : undefined,
          authSub: 'failure' in verified ? verified.sub : undefined,
          requestId: randomUUID(),
        },
        deps,
      );
      await sendPortalResponse(res, r);
      return;
    }

    if (rawPath === '/config.json' && method === 'GET') {
      sendJson(res, 200, {
        mode: 'local',
        site: siteForPage(site),
        tokenSeconds: auth.tokenSeconds,
        users: users.map((u) => ({ id: u.id, label: u.label, description: u.description })),
      });
      return;
    }

    if (rawPath === '/auth/dev-login') {
      if (method !== 'POST') return sendJson(res, 405, { error: 'method_not_allowed', message: 'Use POST.' }, { allow: 'POST' });
      if (mediaType(req.headers['content-type']) !== 'application/json') {
        return sendJson(res, 415, { error: 'unsupported_media_type', message: 'Send {"user": "<dev user id>"} as application/json.' });
      }
      let id: unknown;
      try {
        const read = await readBody(req, 1024);
        if (read.tooLarge) throw new Error('too large');
        id = (JSON.parse(read.body) as { user?: unknown }).user;
      } catch {
        return sendJson(res, 400, { error: 'bad_request', message: 'Send {"user": "<dev user id>"}.' });
      }
      const user = users.find((u) => u.id === id);
      if (!user) return sendJson(res, 400, { error: 'bad_request', message: 'No such dev user.' });
      const issued = await auth.issue(user, { now: now() });
      return sendJson(res, 200, { ...issued, user: { id: user.id, label: user.label, description: user.description } });
    }

    const file = STATIC_FILES[url.pathname];
    if (file && (method === 'GET' || method === 'HEAD')) {
      const bytes = await readFile(path.join(webDir, file.file));
      res.writeHead(200, { ...SECURITY_HEADERS, 'content-type': file.type, ...PAGE_CACHE });
      res.end(method === 'HEAD' ? undefined : bytes);
      return;
    }
    const info = infoPages.get(url.pathname);
    if (info && (method === 'GET' || method === 'HEAD')) return sendHtml(res, 200, infoPageHtml(site, info), 'no-cache');
    if (site.logo && opts.logoFile && url.pathname === `/${site.logo}` && (method === 'GET' || method === 'HEAD')) {
      res.writeHead(200, { ...SECURITY_HEADERS, 'content-type': site.logo.endsWith('.svg') ? 'image/svg+xml' : 'image/png', ...PAGE_CACHE });
      res.end(method === 'HEAD' ? undefined : await readFile(opts.logoFile));
      return;
    }
    if (isNavigation(req.headers as Record<string, string | undefined>)) return sendHtml(res, 404, errorHtml(site, errorPageFor(404, '', rawPath)));
    sendText(res, 404, 'Not found');
  };

  const server = createServer((req, res) => {
    handle(req, res).catch((err: Error) => {
      logger.error('local portal request failed', { error: err.name, message: err.message });
      if (res.headersSent) res.destroy();
      else if (isNavigation(req.headers as Record<string, string | undefined>)) sendHtml(res, 500, errorHtml(site, errorPageFor(500, 'Something went wrong on our side.', (req.url ?? '/').split('?')[0]!)));
      else sendJson(res, 500, { error: 'internal_error', message: 'Something went wrong.' });
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 8787, host, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://${host.includes(':') ? `[${host}]` : host}:${port}`,
    server,
    auth,
    devUsers: users,
    devPeriod: period,
    pdfs,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((err) => (err ? reject(err) : resolve()));
      }),
  };
}
