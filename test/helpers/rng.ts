/** Deterministic PRNG (mulberry32) for reproducible test fixtures and property-style tests. */
export { seededRandom as rng } from '../../functions/domain/seeded-random.ts';
