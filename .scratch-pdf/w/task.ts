import { threadId } from 'node:worker_threads';
export async function run(x: { n: number }): Promise<{ tid: number; sq: number }> {
  const v: number = x.n * x.n;
  return { tid: threadId, sq: v };
}
