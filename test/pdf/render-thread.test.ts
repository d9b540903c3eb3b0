import { describe, expect, it } from 'vitest';
import { prepareCharts } from '../../functions/pdf/charts.ts';
import { prepareFonts } from '../../functions/pdf/fonts.ts';
import queuedRenderTask from '../../functions/pdf/render-task.ts';

describe('render thread module', () => {
  it('hands the pool its task only once the fonts are parsed and every chart spec compiled', async () => {
    // This file's module graph is its own (vitest isolates files): nothing here has rendered yet.
    const { default: prepared } = await import('../../functions/pdf/render-thread.ts');
    expect(prepared).toBeInstanceOf(Promise);
    const handler = await prepared;
    expect(handler).toBe(queuedRenderTask);
    // Nothing left to do: the thread's first document starts with both ready.
    expect(prepareFonts()).toBe(0);
    expect(prepareCharts()).toBe(0);
  });
});
