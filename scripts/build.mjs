// Builds the server that `npm start` runs: src/ bundled by esbuild into dist/server.cjs
// (dependencies but better-sqlite3 inside), the small entry dist/main.mjs (src/boot.ts) that runs
// it from V8's code cache, and that cache, made by starting the server once as `npm start` does.
// `npm start` runs this first.
import { build } from 'esbuild';
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
rmSync(join(root, 'dist'), { recursive: true, force: true });
const common = { bundle: true, platform: 'node', target: 'node20', logLevel: 'warning' };
await build({
  ...common,
  entryPoints: [join(root, 'src/main.ts')],
  outfile: join(root, 'dist/server.cjs'),
  // CommonJS wrapped in a function expression, for src/boot.ts to compile with a code cache.
  format: 'cjs',
  banner: { js: '(function (exports, require, module, __filename, __dirname) {const __bundleUrl = require("node:url").pathToFileURL(__filename).href;' },
  footer: { js: '})' },
  define: { 'import.meta.url': '__bundleUrl' },
  // Everything but the native SQLite binding goes in the bundle: resolving hundreds of small
  // CommonJS modules at start-up costs more than the server's own work.
  external: ['better-sqlite3'],
  // Stack traces need the mappings, not the sources (src/cli/stack-traces.ts reads the map the
  // first time a stack is formatted): with every source file inside it the map was 4.1 MB, not 1.4.
  sourcemap: true,
  sourcesContent: false,
  // Whitespace and comments out: V8 keeps the bundle's source text for the process's life, and
  // comments with a non-ASCII character (— …) made the whole 3.1 MB text a two-byte string. With
  // them out it is 2.3 MB of one-byte text: V8's large-object space at start 9.5 → 5.7 MiB, RSS at
  // start ~79 → ~74.5 MiB. Identifiers stay, and the source map keeps stack traces on src/ lines.
  minifyWhitespace: true,
});
await build({ ...common, entryPoints: [join(root, 'src/boot.ts')], outfile: join(root, 'dist/main.mjs'), format: 'esm' });
cpSync(join(root, 'src/store/meta/migrations'), join(root, 'dist/migrations'), { recursive: true });
// The code cache is only good for the node flags it was made under: start the server the way
// `npm start` does (without this build again), asking only for its version.
const npm = process.env.npm_execpath !== undefined ? [process.execPath, process.env.npm_execpath] : ['npm'];
const run = spawnSync(npm[0], [...npm.slice(1), 'start', '--ignore-scripts', '--silent', '--', '--version'], { cwd: root, encoding: 'utf8' });
if (run.status !== 0 || !existsSync(join(root, 'dist/server.cjs.cache'))) {
  process.stderr.write(`build: no code cache made (the server will parse its bundle at each start): ${run.error?.message ?? run.stderr}\n`);
}
