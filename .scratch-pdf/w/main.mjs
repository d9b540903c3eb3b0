import { Piscina } from 'piscina';
const pool = new Piscina({ filename: new URL('./worker.js', import.meta.url).href, maxThreads: 2, minThreads: 2 });
const r = await Promise.all([1,2,3,4].map((n) => pool.run({ n })));
console.log(r);
await pool.destroy();
