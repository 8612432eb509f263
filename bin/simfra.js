#!/usr/bin/env -S GLIBC_TUNABLES=glibc.malloc.mmap_threshold=131072 node --max-semi-space-size=1 --heap-growing-percent=20
// The `simfra` command: the bundled server when built, else the TypeScript sources through tsx.
// Started as `npm start` starts it (package.json): a fixed malloc mmap threshold and a small V8
// young generation keep resident memory down (see the start script's note in README.md).
import { existsSync } from 'node:fs';

const bundle = new URL('../dist/main.mjs', import.meta.url);
if (existsSync(bundle)) {
  await import(bundle.href);
} else {
  const { register } = await import('tsx/esm/api');
  register();
  await import('../src/main.ts');
}
