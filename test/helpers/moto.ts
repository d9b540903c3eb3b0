/**
 * Test helper: run a private moto_server (https://github.com/getmoto/moto) on a free local port.
 */
import type { ColumnInfo, Row } from '@aws-sdk/client-athena';
import { spawn, type ChildProcess } from 'node:child_process';
import { onFreePort } from './free-port.ts';

export interface MotoServer {
  endpoint: string;
  stop: () => Promise<void>;
}

/** SDK client config for moto. Test-only: relaxed checksums and path-style addressing. */
export interface AwsTestConfig {
  endpoint: string;
  region: string;
  credentials: { accessKeyId: string; secretAccessKey: string };
  forcePathStyle: boolean;
  requestChecksumCalculation: 'WHEN_REQUIRED';
  responseChecksumValidation: 'WHEN_REQUIRED';
}

export const MOTO_ACCOUNT_ID = '123456789012';
export const TEST_REGION = 'eu-west-2';

export function awsTestConfig(endpoint: string): AwsTestConfig {
  return {
    endpoint,
    region: TEST_REGION,
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
    forcePathStyle: true,
    // SDK >= 3.729 sends CRC32 checksums by default, which some moto versions reject.
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function waitExit(child: ChildProcess, ms: number): Promise<boolean> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(true);
  return new Promise((resolve) => {
    const t = setTimeout(() => resolve(false), ms);
    child.once('exit', () => {
      clearTimeout(t);
      resolve(true);
    });
  });
}

export function startMoto(opts: { timeoutMs?: number } = {}): Promise<MotoServer> {
  return onFreePort((port) => startMotoOn(port, opts));
}

async function startMotoOn(port: number, opts: { timeoutMs?: number }): Promise<MotoServer> {
  const timeoutMs = opts.timeoutMs ?? 30_000;
  const endpoint = `http://127.0.0.1:${port}`;
  const child = spawn('moto_server', ['-H', '127.0.0.1', '-p', String(port)], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr?.setEncoding('utf8');
  child.stderr?.on('data', (chunk: string) => {
    stderr = (stderr + chunk).slice(-4000);
  });
  let spawnError: Error | undefined;
  child.on('error', (err) => {
    spawnError = err;
  });

  const stop = async (): Promise<void> => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGTERM');
    if (!(await waitExit(child, 5000))) {
      child.kill('SIGKILL');
      await waitExit(child, 5000);
    }
  };

  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (spawnError) {
      const code = (spawnError as NodeJS.ErrnoException).code;
      throw new Error(
        code === 'ENOENT'
          ? 'moto_server not found on PATH: install it with `pip install "moto[server]"`'
          : `could not start moto_server: ${spawnError.message}`,
      );
    }
    if (child.exitCode !== null) {
      throw new Error(`moto_server exited with code ${child.exitCode} before becoming ready:\n${stderr}`);
    }
    try {
      const res = await fetch(`${endpoint}/moto-api/`, { signal: AbortSignal.timeout(2000) });
      await res.arrayBuffer();
      if (res.ok) return { endpoint, stop };
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`moto_server did not become ready on ${endpoint} within ${timeoutMs} ms:\n${stderr}`);
    }
    await sleep(100);
  }
}

/** Queue Athena GetQueryResults payloads in moto (consumed by the next StartQueryExecution calls, in order). */
export async function seedAthenaResults(
  endpoint: string,
  results: { rows: Row[]; column_info: ColumnInfo[] }[],
  region = TEST_REGION,
): Promise<void> {
  const res = await fetch(`${endpoint}/moto-api/static/athena/query-results`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ account_id: MOTO_ACCOUNT_ID, region, results }),
  });
  await res.arrayBuffer();
  if (res.status !== 201) throw new Error(`seeding athena results failed: HTTP ${res.status}`);
}

/** Change moto's state-transition model for a resource, e.g. make Athena executions advance manually. */
export async function setMotoTransition(
  endpoint: string,
  modelName: string,
  transition: { progression: 'immediate' } | { progression: 'manual'; times: number } | { progression: 'time'; seconds: number },
): Promise<void> {
  const res = await fetch(`${endpoint}/moto-api/state-manager/set-transition`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ model_name: modelName, transition }),
  });
  await res.arrayBuffer();
  if (!res.ok) throw new Error(`set-transition failed: HTTP ${res.status}`);
}
