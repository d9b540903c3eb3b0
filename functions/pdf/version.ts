/**
 * Renderer version: part of every PDF's content hash, so bumping it re-renders every school on the
 * next run. Bump it whenever a change to functions/pdf alters what a PDF looks like or says.
 */
export const RENDERER_VERSION = 'catchment-pdf/6';
