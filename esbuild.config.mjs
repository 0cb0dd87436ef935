// Builds the two shipped bundles: the extension (loaded by VS Code, `vscode` external)
// and the shim (a standalone executable script that must start fast and stay small).
import * as esbuild from 'esbuild';
import { chmod } from 'node:fs/promises';

const production = process.argv.includes('--production');
const watch = process.argv.includes('--watch');

/** @type {import('esbuild').BuildOptions} */
const common = {
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  sourcemap: production ? false : 'linked',
  minify: production,
  logLevel: 'info',
  legalComments: 'none',
};

const builds = [
  { ...common, entryPoints: ['src/extension.ts'], outfile: 'dist/extension.js', external: ['vscode'] },
  {
    ...common,
    entryPoints: ['src/shim/main.ts'],
    outfile: 'dist/shim.js',
    banner: { js: '#!/usr/bin/env node' },
    // The shim never loads vscode; failing the build if anything drags it in keeps it that way.
    external: [],
  },
];

// The bin entry must stay executable after every rebuild.
const makeShimExecutable = {
  name: 'make-shim-executable',
  setup(build) {
    build.onEnd(async (result) => {
      if (result.errors.length === 0 && build.initialOptions.outfile === 'dist/shim.js') {
        await chmod('dist/shim.js', 0o755);
      }
    });
  },
};

if (watch) {
  for (const options of builds) {
    const ctx = await esbuild.context({ ...options, plugins: [makeShimExecutable] });
    await ctx.watch();
  }
} else {
  await Promise.all(builds.map((options) => esbuild.build({ ...options, plugins: [makeShimExecutable] })));
}
