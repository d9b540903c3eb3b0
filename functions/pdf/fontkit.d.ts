/** The part of fontkit (a dependency of pdfkit, no published types) that fonts.ts uses. */
declare module 'fontkit' {
  export function create(buffer: Uint8Array, postscriptName?: string): unknown;
}
