/** The column reference is generated from the zod contracts; the committed copy must match. */
import { expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { renderTableDocs } from '../schemas/docs.ts';

it('docs/tables.md is up to date with schemas/ (run npm run docs)', () => {
  expect(readFileSync(resolve(import.meta.dirname, '../docs/tables.md'), 'utf8')).toBe(renderTableDocs());
});
