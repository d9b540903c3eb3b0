/**
 * A port the OS says is free, and a server started on one. The port is free when asked and bound
 * by the child later, so something else can take it in between: a start that fails for that
 * reason alone is tried again on another port.
 */
import { createServer } from 'node:net';

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      if (addr === null || typeof addr === 'string') {
        srv.close();
        reject(new Error('could not determine a free port'));
        return;
      }
      srv.close(() => resolve(addr.port));
    });
  });
}

/** What a server prints when its port was taken (Java, Python, Node). */
const PORT_TAKEN = /Address already in use|BindException|EADDRINUSE|errno 98/;

/** `start` on a free port; again on another (up to `attempts` in all) when it failed because the port was taken. */
export async function onFreePort<T>(start: (port: number) => Promise<T>, attempts = 3): Promise<T> {
  for (let i = 1; ; i++) {
    try {
      return await start(await freePort());
    } catch (e) {
      if (i >= attempts || !PORT_TAKEN.test(e instanceof Error ? e.message : String(e))) throw e;
    }
  }
}
