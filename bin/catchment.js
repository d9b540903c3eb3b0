#!/usr/bin/env node
// Runs the TypeScript CLI with no build step: from a bundle made and cached on first use
// (bin/cli-bundle.js: about half the start-up CPU of loading every module through tsx), or through
// tsx when the bundle cannot be made (said in one line on stderr), or when CATCHMENT_TSX=1 (working
// on the CLI itself).
let url = null;
if (process.env.CATCHMENT_TSX !== '1') {
  const { bundleFailure } = await import('../functions/commons/module-bundle.js');
  try {
    url = await (await import('./cli-bundle.js')).cliBundle();
  } catch (e) {
    process.stderr.write(`${bundleFailure('the CLI', e)}\n`);
    url = null;
  }
}
if (url) {
  await import(url);
} else {
  const { register } = await import('tsx/esm/api');
  register();
  await import('../functions/cli/main.ts');
}
