#!/usr/bin/env node
// Builds the statelet inspector web UI into visualizer/dist/ (index.html,
// style.css, main.js, and elkjs's elk-worker.min.js, in which the charts are
// laid out off the page's thread). Everything is local: the UI works offline,
// served by the inspection server (src/inspect/server.ts).
//
// Usage: node visualizer/build.mjs [--dev]   (--dev: no minification)
// Also importable: `import { buildVisualizer } from './visualizer/build.mjs'`.
import { copyFile, mkdir, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = fileURLToPath(new URL('.', import.meta.url));

/**
 * @param {{ outdir?: string, minify?: boolean, sourcemap?: boolean }} [opts]
 * @returns {Promise<{ outdir: string, files: string[] }>}
 */
export async function buildVisualizer(opts = {}) {
  const { build } = await import('esbuild');
  const outdir = opts.outdir ?? join(here, 'dist');
  await rm(outdir, { recursive: true, force: true });
  await mkdir(outdir, { recursive: true });
  await build({
    entryPoints: [join(here, 'src', 'main.ts')],
    outfile: join(outdir, 'main.js'),
    bundle: true,
    format: 'iife',
    platform: 'browser',
    target: ['es2020'],
    minify: opts.minify ?? true,
    sourcemap: opts.sourcemap ?? false,
    legalComments: 'inline',
    // elk-api.js carries no licence header of its own.
    banner: { js: '/*! statelet inspector. Bundles elkjs\'s API (EPL-2.0, https://github.com/kieler/elkjs); its layout engine is elk-worker.min.js. */' },
    logLevel: 'warning',
  });
  for (const f of ['index.html', 'style.css']) await copyFile(join(here, 'src', f), join(outdir, f));
  // The layout engine runs in a Web Worker (see src/statechart.ts).
  const elkDir = dirname(createRequire(import.meta.url).resolve('elkjs/package.json'));
  await copyFile(join(elkDir, 'lib', 'elk-worker.min.js'), join(outdir, 'elk-worker.min.js'));
  return { outdir, files: ['index.html', 'style.css', 'main.js', 'elk-worker.min.js'].map((f) => join(outdir, f)) };
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const dev = process.argv.includes('--dev');
  buildVisualizer({ minify: !dev, sourcemap: dev }).then(
    ({ outdir }) => console.error(`visualizer built into ${outdir}`),
    (err) => {
      console.error(err);
      process.exit(1);
    },
  );
}
