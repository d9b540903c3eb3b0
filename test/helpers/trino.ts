/**
 * Test helper: a real Trino (Athena engine v3's engine) on a free loopback port, with a Hive catalog
 * (file metastore, local file system) whose tables are registered over the lakes the tests write,
 * and a minimal client of Trino's REST protocol (POST /v1/statement, follow nextUri).
 *
 * The server comes from scripts/fetch-trino.sh (Maven Central, checksummed, cached in
 * ~/.cache/catchment); Java is the newest Temurin >= 24 under /usr/lib/jvm (or TRINO_JAVA_HOME).
 * The JVM heap is kept small (the machine has 2 cores shared with other test runs).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { onFreePort } from './free-port.ts';

export const TRINO_VERSION = 476;

export function trinoServerDir(): string {
  const cache = process.env.CATCHMENT_CACHE ?? join(homedir(), '.cache', 'catchment');
  return join(cache, `trino-server-${TRINO_VERSION}`);
}

/** A JDK that runs Trino 476 (Java 24+): TRINO_JAVA_HOME, else the newest /usr/lib/jvm/temurin-2x. */
export function trinoJavaHome(): string | null {
  if (process.env.TRINO_JAVA_HOME) return process.env.TRINO_JAVA_HOME;
  const root = '/usr/lib/jvm';
  if (!existsSync(root)) return null;
  const found = readdirSync(root)
    .map((d) => ({ d, v: Number(/^temurin-(\d+)/.exec(d)?.[1] ?? 0) }))
    .filter((x) => x.v >= 24 && existsSync(join(root, x.d, 'bin', 'java')))
    .sort((a, b) => b.v - a.v);
  return found[0] ? join(root, found[0].d) : null;
}

/** What is missing to run Trino, for the global prerequisite check (empty when ready). */
export function trinoMissing(): string[] {
  const out: string[] = [];
  if (!existsSync(join(trinoServerDir(), '.complete'))) out.push(`Trino ${TRINO_VERSION} (scripts/fetch-trino.sh)`);
  if (!trinoJavaHome()) out.push('a Java 24+ JDK for Trino (Temurin under /usr/lib/jvm)');
  return out;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export interface TrinoColumn {
  name: string;
  type: string;
}

export interface TrinoResult {
  columns: TrinoColumn[];
  rows: unknown[][];
}

export class TrinoServer {
  private constructor(
    readonly endpoint: string,
    /** Root of the `local://` file system: lakes registered as tables must live under it. */
    readonly root: string,
    private readonly child: ChildProcess,
    /** Milliseconds from spawn to the first query answered. */
    readonly startMs: number,
    /** The server's recent output, quoted when a statement fails. */
    private readonly log: { tail: string } = { tail: '' },
  ) {}

  /**
   * Start Trino with its state under `root` (etc/, data/, metastore/). Catalog `hive`: file
   * metastore in root/metastore, `local:///x` = root/x.
   */
  static start(root: string, opts: { timeoutMs?: number } = {}): Promise<TrinoServer> {
    return onFreePort((port) => TrinoServer.startOn(port, root, opts));
  }

  private static async startOn(port: number, root: string, opts: { timeoutMs?: number }): Promise<TrinoServer> {
    const server = trinoServerDir();
    const javaHome = trinoJavaHome();
    if (!existsSync(join(server, '.complete')) || !javaHome) throw new Error(`cannot start Trino: missing ${trinoMissing().join(', ')}; run scripts/setup-test-deps.sh`);
    const etc = join(root, 'etc');
    mkdirSync(join(etc, 'catalog'), { recursive: true });
    mkdirSync(join(root, 'metastore'), { recursive: true });
    writeFileSync(join(etc, 'node.properties'), `node.environment=test\nnode.id=catchment-test-${port}\nnode.data-dir=${join(root, 'data')}\nnode.internal-address=127.0.0.1\n`);
    // Small heap, serial-ish footprint: the tests' lakes are a few MB.
    writeFileSync(
      join(etc, 'jvm.config'),
      ['-server', '-Xmx1G', '-Xss2M', '-XX:+UseSerialGC', '-XX:TieredStopAtLevel=1', '-XX:+ExitOnOutOfMemoryError', '-Djdk.attach.allowAttachSelf=true', '-XX:+EnableDynamicAgentLoading'].join('\n') + '\n',
    );
    writeFileSync(
      join(etc, 'config.properties'),
      [
        'coordinator=true',
        'node-scheduler.include-coordinator=true',
        `http-server.http.port=${port}`,
        `discovery.uri=http://127.0.0.1:${port}`,
        'query.max-memory=512MB',
        'query.max-memory-per-node=512MB',
        'task.concurrency=2',
        'task.max-worker-threads=4',
        'node-scheduler.min-candidates=1',
        // One node, starved for CPU at times by the other suites: never taken for failed (NO_NODES_AVAILABLE).
        'failure-detector.enabled=false',
      ].join('\n') + '\n',
    );
    writeFileSync(
      join(etc, 'catalog', 'hive.properties'),
      [
        'connector.name=hive',
        'hive.metastore=file',
        'hive.metastore.catalog.dir=local:///metastore',
        'fs.native-local.enabled=true',
        `local.location=${root}`,
        'hive.allow-register-partition-procedure=true',
        'hive.non-managed-table-writes-enabled=false',
      ].join('\n') + '\n',
    );
    writeFileSync(join(etc, 'log.properties'), 'io.trino=WARN\n');
    const t0 = Date.now();
    const child = spawn(join(server, 'bin', 'launcher'), ['run', `--etc-dir=${etc}`, `--data-dir=${join(root, 'data')}`], {
      env: { ...process.env, JAVA_HOME: javaHome, PATH: `${join(javaHome, 'bin')}:${process.env.PATH}` },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const out = { tail: '' };
    const keep = (c: Buffer) => {
      out.tail = (out.tail + c.toString('utf8')).slice(-8000);
    };
    child.stdout?.on('data', keep);
    child.stderr?.on('data', keep);
    const endpoint = `http://127.0.0.1:${port}`;
    const deadline = Date.now() + (opts.timeoutMs ?? 180_000);
    for (;;) {
      if (child.exitCode !== null) throw new Error(`Trino exited with code ${child.exitCode} before it was ready:\n${out.tail}`);
      try {
        const res = await fetch(`${endpoint}/v1/info`, { signal: AbortSignal.timeout(2000) });
        const info = (await res.json()) as { starting?: boolean };
        if (res.ok && info.starting === false) break;
      } catch {
        // not listening yet
      }
      if (Date.now() > deadline) {
        child.kill('SIGKILL');
        throw new Error(`Trino did not start within ${opts.timeoutMs ?? 180_000} ms:\n${out.tail}`);
      }
      await sleep(500);
    }
    const t = new TrinoServer(endpoint, root, child, 0, out);
    // The first query also waits for the catalog and a worker to be registered.
    for (;;) {
      try {
        await t.query('SELECT 1');
        break;
      } catch (e) {
        if (Date.now() > deadline) throw e;
        await sleep(500);
      }
    }
    return new TrinoServer(endpoint, root, child, Date.now() - t0, out);
  }

  /** `local:///...` URI of a directory under the root. */
  location(dirUnderRoot: string): string {
    const rel = dirUnderRoot.startsWith(this.root) ? dirUnderRoot.slice(this.root.length) : dirUnderRoot;
    return `local:///${rel.replace(/^\/+/, '')}`;
  }

  /**
   * Run one statement (catalog hive, schema `schema`); returns columns and rows as Trino's JSON.
   *
   * NO_NODES_AVAILABLE is retried for up to 30 s (inside a test's minute), and said on stderr: on
   * this 2-core machine, with other suites busy, the single node can drop out of the coordinator's
   * list for a moment. The query was refused before it was scheduled, so running it again is safe.
   * Any other error is thrown.
   */
  async query(sql: string, schema = 'default'): Promise<TrinoResult> {
    const deadline = Date.now() + 30_000;
    for (;;) {
      try {
        return await this.queryOnce(sql, schema);
      } catch (e) {
        if (!(e instanceof TrinoQueryError) || e.errorName !== 'NO_NODES_AVAILABLE' || Date.now() > deadline) throw e;
        console.warn(`Trino refused a statement with NO_NODES_AVAILABLE; retrying in 1 s. Server log (tail):\n${this.log.tail.slice(-1500)}`);
        await sleep(1000);
      }
    }
  }

  private async queryOnce(sql: string, schema: string): Promise<TrinoResult> {
    const headers = { 'X-Trino-User': 'test', 'X-Trino-Catalog': 'hive', 'X-Trino-Schema': schema, 'X-Trino-Source': 'catchment-tests' };
    let res = await fetch(`${this.endpoint}/v1/statement`, { method: 'POST', headers, body: sql });
    let body = (await res.json()) as TrinoResponse;
    const rows: unknown[][] = [];
    let columns: TrinoColumn[] | undefined;
    for (;;) {
      if (body.error) throw new TrinoQueryError(body.error, sql, this.log.tail);
      if (body.columns && !columns) columns = body.columns.map((c) => ({ name: c.name, type: c.type }));
      if (body.data) rows.push(...body.data);
      if (!body.nextUri) break;
      res = await fetch(body.nextUri, { headers });
      if (res.status === 503) {
        await sleep(50);
        continue;
      }
      body = (await res.json()) as TrinoResponse;
    }
    return { columns: columns ?? [], rows };
  }

  async stop(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    const exited = new Promise((r) => this.child.once('exit', r));
    this.child.kill('SIGTERM');
    await Promise.race([exited, sleep(10_000)]);
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGKILL');
  }
}

/** A statement Trino refused or failed; the message carries the statement and the server's log tail. */
export class TrinoQueryError extends Error {
  readonly errorName: string;
  constructor(e: NonNullable<TrinoResponse['error']>, sql: string, logTail: string) {
    const name = e.errorName ?? 'error';
    super(`Trino: ${name}: ${e.message}${e.failureInfo?.type ? ` (${e.failureInfo.type})` : ''}\n--- statement ---\n${sql}${logTail ? `\n--- server log (tail) ---\n${logTail.slice(-3000)}` : ''}`);
    this.errorName = name;
  }
}

interface TrinoResponse {
  nextUri?: string;
  columns?: { name: string; type: string }[];
  data?: unknown[][];
  error?: { message: string; errorName?: string; failureInfo?: { type?: string } };
}
