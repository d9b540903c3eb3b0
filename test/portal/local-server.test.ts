/**
 * The local portal server's edges (issue 16): it answers only loopback Host names (no DNS
 * rebinding), signs in only from a same-origin JSON request (no CSRF from a web page), sends no CORS
 * headers, binds only to loopback, and puts the security headers on every response.
 */
import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SECURITY_HEADERS } from '../../functions/portal/security-headers.ts';
import { startPortalServer, type PortalServer } from '../../functions/portal/server.ts';
import { makePortalLake, type PortalFixture } from './fixture.ts';

let fx: PortalFixture;
let portal: PortalServer;
let port: number;

interface Res {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

function send(method: string, path: string, headers: Record<string, string> = {}, body?: string): Promise<Res> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, method, path, headers: { host: `127.0.0.1:${port}`, ...headers } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
    });
    req.on('error', reject);
    if (body !== undefined) req.write(body);
    req.end();
  });
}

const login = (headers: Record<string, string>, body = JSON.stringify({ user: 'head' })) => send('POST', '/auth/dev-login', headers, body);

beforeAll(async () => {
  fx = await makePortalLake();
  portal = await startPortalServer({ lake: fx.lake, port: 0 });
  port = Number(new URL(portal.url).port);
});
afterAll(async () => {
  await portal?.close();
  fx?.cleanup();
});

describe('local portal server: Host names (DNS rebinding)', () => {
  it.each(['/', '/app.js', '/config.json', '/api/me', '/nowhere'])('refuses GET %s for a foreign Host with 421', async (path) => {
    const res = await send('GET', path, { host: `rebind.attacker.example:${port}` });
    expect(res.status).toBe(421);
    expect(res.body).not.toMatch(/dev-head|la-analyst|catchment-portal/);
  });

  it('refuses sign-in for a foreign Host, and for a loopback name on another port', async () => {
    expect((await login({ host: `rebind.attacker.example:${port}`, 'content-type': 'application/json' })).status).toBe(421);
    expect((await login({ host: `127.0.0.1:${port + 1}`, 'content-type': 'application/json' })).status).toBe(421);
    expect((await send('GET', '/', { host: '127.0.0.1.nip.io' })).status).toBe(421);
  });

  it('answers 127.0.0.1, localhost and [::1] on its own port', async () => {
    for (const host of [`127.0.0.1:${port}`, `localhost:${port}`, `[::1]:${port}`, `LOCALHOST:${port}`]) {
      expect((await send('GET', '/', { host })).status, host).toBe(200);
    }
  });

  it('will not listen on anything but loopback', async () => {
    await expect(startPortalServer({ lake: fx.lake, port: 0, host: '0.0.0.0' })).rejects.toThrow(/loopback/);
  });
});

describe('local portal server: sign-in is JSON from the same origin only (CSRF)', () => {
  it.each([
    ['text/plain', 'text/plain'],
    ['a form', 'application/x-www-form-urlencoded'],
    ['multipart', 'multipart/form-data; boundary=x'],
    ['no content type', ''],
  ])('refuses %s with 415', async (_name, type) => {
    const res = await login(type ? { 'content-type': type } : {});
    expect(res.status).toBe(415);
    expect(JSON.parse(res.body).error).toBe('unsupported_media_type');
  });

  it('refuses a request from another origin (Origin or Sec-Fetch-Site) with 403', async () => {
    expect((await login({ 'content-type': 'application/json', origin: 'http://attacker.example' })).status).toBe(403);
    expect((await login({ 'content-type': 'application/json', origin: 'null' })).status).toBe(403);
    expect((await login({ 'content-type': 'application/json', 'sec-fetch-site': 'cross-site' })).status).toBe(403);
    expect((await login({ 'content-type': 'application/json', origin: `http://127.0.0.1:${port + 1}` })).status).toBe(403);
    const feedback = await send('POST', '/api/feedback', { 'content-type': 'application/json', origin: 'http://attacker.example', authorization: 'Bearer x.y.z' }, '{}');
    expect(feedback.status).toBe(403);
  });

  it('signs in from the page itself', async () => {
    const same = await login({ 'content-type': 'application/json; charset=utf-8', origin: `http://127.0.0.1:${port}`, 'sec-fetch-site': 'same-origin' });
    expect(same.status).toBe(200);
    expect(JSON.parse(same.body).token).toMatch(/^ey/);
    expect((await login({ 'content-type': 'application/json' })).status).toBe(200); // curl: no Origin
  });

  it('sends no CORS headers, not even to a preflight', async () => {
    const pre = await send('OPTIONS', '/auth/dev-login', { origin: 'http://attacker.example', 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type' });
    expect(pre.status).toBeGreaterThanOrEqual(400);
    expect(pre.headers['access-control-allow-origin']).toBeUndefined();
    const api = await send('GET', '/api/me', { origin: 'http://attacker.example' });
    expect(api.headers['access-control-allow-origin']).toBeUndefined();
  });
});

describe('local portal server: security headers on every response', () => {
  it.each([
    ['the page', 'GET', '/', {}],
    ['a script', 'GET', '/app.js', {}],
    ['config', 'GET', '/config.json', {}],
    ['an unknown file', 'GET', '/secret.txt', {}],
    ['an API 401', 'GET', '/api/me', {}],
    ['an API 400', 'GET', '/api/profiles/..%2f/x.pdf', {}],
    ['a sign-in 405', 'GET', '/auth/dev-login', {}],
    ['a sign-in 415', 'POST', '/auth/dev-login', { 'content-type': 'text/plain' }],
    ['a foreign Host 421', 'GET', '/', { host: 'evil.example' }],
  ] as [string, string, string, Record<string, string>][])('%s', async (_name, method, path, headers) => {
    const res = await send(method, path, headers, method === 'POST' ? '{}' : undefined);
    for (const [k, v] of Object.entries(SECURITY_HEADERS)) expect(res.headers[k], `${k} on ${method} ${path}`).toBe(v);
  });
});
