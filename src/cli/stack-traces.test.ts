import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, it } from 'node:test';
import { build } from 'esbuild';

describe('mapStackTracesLazily', () => {
  it('puts frames of a bundle on the lines of its sources, reading the map only for a stack', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'simfra-stack-'));
    try {
      writeFileSync(
        join(dir, 'thrower.ts'),
        ['// line 1', 'export function failDeep(): Error {', '  return new Error("deep");', '}', ''].join('\n'),
      );
      await build({ entryPoints: [join(dir, 'thrower.ts')], outfile: join(dir, 'bundle.mjs'), bundle: true, format: 'esm', platform: 'node', sourcemap: true, sourcesContent: false, minifyWhitespace: true, logLevel: 'silent' });
      // Plain node, not tsx: tsx turns on Node's own source maps, which would map the frames.
      await build({ entryPoints: [join(import.meta.dirname, 'stack-traces.ts')], outfile: join(dir, 'stack-traces.mjs'), format: 'esm', platform: 'node', logLevel: 'silent' });
      const bundleUrl = pathToFileURL(join(dir, 'bundle.mjs')).href;
      const script = [
        `import { mapStackTracesLazily } from ${JSON.stringify(pathToFileURL(join(dir, 'stack-traces.mjs')).href)};`,
        'if (process.sourceMapsEnabled) throw new Error("Node maps stacks itself here");',
        `mapStackTracesLazily(${JSON.stringify(bundleUrl)});`,
        `const { failDeep } = await import(${JSON.stringify(bundleUrl)});`,
        'const e = failDeep();',
        'console.log(JSON.stringify({ stack: e.stack, plain: new TypeError("x").stack.split("\\n")[0] }));',
      ].join('\n');
      const out = execFileSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' });
      const { stack, plain } = JSON.parse(out) as { stack: string; plain: string };
      const lines = stack.split('\n');
      assert.equal(lines[0], 'Error: deep');
      assert.match(lines[1]!, /^ {4}at failDeep \(.*thrower\.ts:3:10\)$/);
      assert.equal(plain, 'TypeError: x');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
