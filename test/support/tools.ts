/** External command-line tools the end-to-end tests drive (skopeo, curl, …). */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

export const run = promisify(execFile);

/** Whether `tool` runs here (`tool --version`, or the given arguments); tests skip, naming it, when not. */
export async function hasTool(tool: string, ...args: string[]): Promise<boolean> {
  try {
    await run(tool, args.length > 0 ? args : ['--version']);
    return true;
  } catch {
    return false;
  }
}
