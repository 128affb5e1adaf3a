// Builds the dashboard into dist/: src/main.js bundled by esbuild (with @polkadot/api and uPlot,
// so nothing is fetched from outside at run time), index.html and the style sheets copied.
//
//   node build.mjs [--watch]
import { build, context } from 'esbuild';
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const dist = join(here, 'dist');
mkdirSync(dist, { recursive: true });

const options = {
  entryPoints: [join(here, 'src/main.js')],
  bundle: true,
  format: 'esm',
  platform: 'browser',
  target: ['chrome110', 'firefox110', 'safari16'],
  outfile: join(dist, 'app.js'),
  minify: true,
  sourcemap: true,
  legalComments: 'linked',
  define: { global: 'globalThis' },
  logLevel: 'warning',
};

copyFileSync(join(here, 'src/style.css'), join(dist, 'style.css'));
copyFileSync(join(here, 'node_modules/uplot/dist/uPlot.min.css'), join(dist, 'uPlot.min.css'));
// The version shown in the page's footer: the package's, and the build time.
const pkg = JSON.parse(readFileSync(join(here, 'package.json'), 'utf8'));
writeFileSync(join(dist, 'index.html'), readFileSync(join(here, 'src/index.html'), 'utf8')
  .replace('%BUILD%', `${pkg.name} built ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC`));

if (process.argv.includes('--watch')) {
  await (await context(options)).watch();
  console.log('watching src/ for changes');
} else {
  const started = Date.now();
  await build(options);
  console.log(`dashboard built into ${dist} in ${Date.now() - started} ms`);
}
