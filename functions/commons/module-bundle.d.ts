// Types of module-bundle.js (plain JavaScript: bin/cli-bundle.js imports it before any TypeScript loader).
import type { BuildOptions } from 'esbuild';

export declare const EXTERNAL: string[];
export declare const REQUIRE_BANNER: string;
export declare function nodeModulesDir(): string;
export declare function bundleCacheDir(): string;
export declare function bundleModule(opts: { entry: string; name: string } & BuildOptions): Promise<{ url: string; files: string[]; inputs: string[] }>;
export declare function bundleFailure(what: string, error: unknown): string;
export declare function bundledOrTsx(what: string, bundle: () => Promise<string>, fallback: string): () => Promise<string>;
