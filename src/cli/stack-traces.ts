/**
 * Stack traces of the bundle (dist/server.cjs) on src/ lines, with the source map read only when a
 * stack is first formatted.
 *
 * Why not `--enable-source-maps`: Node then reads and keeps the whole map at start-up. That cost
 * 6 MiB of resident memory on every start, and on about one start in three another 10 MiB of
 * malloc heap that was never given back (8 starts each: 78 or 88 MiB against 72 MiB without).
 * A server that runs for hours formats a stack only when something goes wrong, so the map waits
 * until then. With `--enable-source-maps` (or NODE_OPTIONS) Node's own mapping is left alone.
 */
import { existsSync, readFileSync } from 'node:fs';
import { SourceMap, type SourceMapPayload } from 'node:module';
import { fileURLToPath } from 'node:url';

/** Maps the frames of `moduleUrl` through `${moduleUrl}.map`, when that file exists. */
export function mapStackTracesLazily(moduleUrl: string): void {
  const mapUrl = `${moduleUrl}.map`;
  if ((process as { sourceMapsEnabled?: boolean }).sourceMapsEnabled === true) return;
  if (!moduleUrl.startsWith('file:') || !existsSync(fileURLToPath(mapUrl))) return;
  // An ES module's frames carry its URL; a script's, such as the bundle src/boot.ts compiles, its path.
  const names = new Set([moduleUrl, fileURLToPath(moduleUrl)]);
  let map: SourceMap | null | undefined;
  const sourceMap = (): SourceMap | null => {
    if (map === undefined) {
      try {
        map = new SourceMap(JSON.parse(readFileSync(fileURLToPath(mapUrl), 'utf8')) as SourceMapPayload);
      } catch {
        map = null;
      }
    }
    return map;
  };
  const place = (site: NodeJS.CallSite): string | undefined => {
    const line = site.getLineNumber();
    const column = site.getColumnNumber();
    const name = site.getFileName();
    if (name === undefined || name === null || !names.has(name) || line === null || column === null) return undefined;
    const entry = sourceMap()?.findEntry(line - 1, column - 1);
    if (entry === undefined || !('originalSource' in entry)) return undefined;
    const source = new URL(entry.originalSource, mapUrl);
    const file = source.protocol === 'file:' ? fileURLToPath(source) : source.href;
    return `${file}:${entry.originalLine + 1}:${entry.originalColumn + 1}`;
  };
  Error.prepareStackTrace = (error: unknown, sites: NodeJS.CallSite[]): string => {
    let header: string;
    try {
      header = Error.prototype.toString.call(error);
    } catch {
      header = 'Error';
    }
    const frames = sites.map((site) => {
      const text = String(site);
      const mapped = place(site);
      if (mapped === undefined) return `    at ${text}`;
      return `    at ${text.replace(`${site.getFileName()}:${site.getLineNumber()}:${site.getColumnNumber()}`, mapped)}`;
    });
    return [header, ...frames].join('\n');
  };
}
