import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * What `npm start` runs, from package.json's `start` script (`[VAR=value …] node <flags>
 * dist/main.mjs`): the environment it sets and node's flags, so that tests and benchmarks
 * measure the process users start. A `${VAR:-default}` value is taken as the default unless the
 * caller's environment has VAR.
 */
export function npmStart(repoRoot: string, env: NodeJS.ProcessEnv = process.env): { env: Record<string, string>; nodeArgs: string[] } {
  const pkg = JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as { scripts: { start: string } };
  const words = pkg.scripts.start.split(/\s+/);
  const node = words.indexOf('node');
  const vars: Record<string, string> = {};
  for (const word of words.slice(0, node)) {
    const eq = word.indexOf('=');
    const name = word.slice(0, eq);
    const value = word.slice(eq + 1);
    const fallback = /^\$\{(\w+):-(.*)\}$/.exec(value);
    vars[name] = fallback ? (env[fallback[1]!] ?? fallback[2]!) : value;
  }
  return { env: vars, nodeArgs: words.slice(node + 1, words.indexOf('dist/main.mjs')) };
}
