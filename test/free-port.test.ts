import { createServer } from 'node:net';
import { describe, expect, it } from 'vitest';
import { freePort, onFreePort } from './helpers/free-port.ts';

describe('test servers on a free port', () => {
  it('start again on another port when theirs was taken, and only then', async () => {
    const ports: number[] = [];
    // Taken once (as a child's bind failure reads), then started.
    const ok = await onFreePort(async (port) => {
      ports.push(port);
      if (ports.length === 1) throw new Error(`java.net.BindException: Address already in use (port ${port})`);
      return port;
    });
    expect(ports).toHaveLength(2);
    expect(ok).toBe(ports[1]);
    // Any other failure is thrown at once.
    let calls = 0;
    await expect(onFreePort(async () => ((calls += 1), Promise.reject(new Error('exited with code 1: no such catalog'))))).rejects.toThrow(/no such catalog/);
    expect(calls).toBe(1);
    // Taken every time: the last failure, after the attempts.
    calls = 0;
    await expect(onFreePort(async () => ((calls += 1), Promise.reject(new Error('OSError: [Errno 98] Address already in use'))), 3)).rejects.toThrow(/Errno 98/);
    expect(calls).toBe(3);
  });

  it('gives a port that can be bound', async () => {
    const port = await freePort();
    const srv = createServer();
    await new Promise<void>((resolve, reject) => srv.once('error', reject).listen(port, '127.0.0.1', resolve));
    await new Promise((r) => srv.close(r));
  });
});
