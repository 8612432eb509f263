/**
 * `npm run bench`: every benchmark in turn, each in its own process (each starts the servers it
 * compares). `npm run bench -- api registry` runs only those.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';

const all = ['api', 'registry', 'images', 'authz', 'gc', 'lifecycle', 'lambda', 'kms', 'replication', 'ecs', 'pull-through'];
const chosen = process.argv.slice(2).filter((a) => !a.startsWith('-'));
const flags = process.argv.slice(2).filter((a) => a.startsWith('-'));
for (const name of chosen.length > 0 ? chosen : all) {
  const file = join(import.meta.dirname, `${name}.ts`);
  if (!existsSync(file)) {
    console.log(`bench/${name}.ts does not exist: skipped`);
    continue;
  }
  console.log(`\n## bench/${name}.ts\n`);
  const r = spawnSync(process.execPath, ['--import', 'tsx', file, ...flags], { stdio: 'inherit' });
  if (r.status !== 0) process.exitCode = 1;
}
