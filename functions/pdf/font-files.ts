/**
 * The font files the PDFs embed (Source Sans 3 TTFs from the `source-sans` package, SIL Open Font
 * License). Its own module so the CDK app can name the files a bundled renderer must carry without
 * loading the renderer.
 */
export type Face = 'regular' | 'semibold' | 'italic';

export const FONT_FILES: Record<Face, string> = {
  regular: 'SourceSans3-Regular.ttf',
  semibold: 'SourceSans3-Semibold.ttf',
  italic: 'SourceSans3-It.ttf',
};

/** Where the files are in the `source-sans` package. */
export const FONT_PACKAGE_DIR = 'source-sans/TTF';

/** Folder beside a bundled renderer (index.mjs) that holds the files. */
export const BUNDLED_FONTS_DIR = 'fonts';

/** The fonts' licence (SIL Open Font License 1.1), shipped with them. */
export const FONT_LICENSE = 'source-sans/LICENSE.md';
