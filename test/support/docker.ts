/**
 * A private Docker engine for end-to-end tests, started the way ../shared/reference/containers.md
 * says works here: no bridge, no iptables, every path private, containers only on `--network
 * none|host`. Images come from a static busybox (Debian's busybox-static) imported as a rootfs,
 * since nothing can be pulled from the internet.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync, appendFileSync, copyFileSync, chmodSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface Docker {
  /** The engine's address for DOCKER_HOST (`unix:///tmp/sd-…/docker.sock`). */
  host: string;
  /** Runs the docker CLI against the private engine; rejects with stderr on failure. */
  cli(args: string[], input?: string): Promise<{ stdout: string; stderr: string }>;
  /** Like cli() but resolves with the exit code and output instead of throwing. */
  attempt(args: string[], input?: string): Promise<{ code: number; stdout: string; stderr: string }>;
  /** Imports a busybox image that prints `message` when run. */
  importBusybox(tag: string, message: string): Promise<void>;
  stop(): Promise<void>;
}

const BUSYBOX = '/bin/busybox';

/** Why the docker tests cannot run here, or undefined when they can. */
export function dockerUnavailable(): string | undefined {
  if (!existsSync('/usr/bin/dockerd') && !existsSync('/usr/sbin/dockerd')) return 'dockerd not installed (apt-get install docker.io)';
  if (!existsSync(BUSYBOX)) return 'busybox not installed (apt-get install busybox-static)';
  if (process.getuid?.() !== 0) return 'dockerd needs root';
  return undefined;
}

/** Adds `127.0.0.1 <host>` to /etc/hosts once: Go's resolver (dockerd, skopeo) does not resolve *.localhost itself. */
export function ensureHostsEntry(host: string): void {
  const hosts = readFileSync('/etc/hosts', 'utf8');
  if (!hosts.split('\n').some((l) => l.split(/\s+/).slice(1).includes(host))) appendFileSync('/etc/hosts', `127.0.0.1 ${host}\n`);
}

export async function startDocker(): Promise<Docker> {
  // a short exec-root: containerd's socket path under it must stay below 108 bytes
  const root = mkdtempSync('/tmp/sd-');
  const sock = join(root, 'docker.sock');
  const config = join(root, 'cfg');
  mkdirSync(config);
  const daemon: ChildProcess = spawn(
    'dockerd',
    [
      '--data-root', join(root, 'data'),
      '--exec-root', join(root, 'x'),
      '--pidfile', join(root, 'dockerd.pid'),
      '--iptables=false', '--ip6tables=false', '--bridge=none',
      '--host', `unix://${sock}`,
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let log = '';
  daemon.stderr?.on('data', (d: Buffer) => (log += d.toString()));
  const env = { ...process.env, DOCKER_HOST: `unix://${sock}`, DOCKER_CONFIG: config };

  const attempt = (args: string[], input?: string) =>
    new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
      const child = spawn('docker', args, { env, stdio: ['pipe', 'pipe', 'pipe'] });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
      child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      child.on('close', (code) => resolve({ code: code ?? 1, stdout, stderr }));
      child.stdin.end(input ?? '');
    });
  const cli = async (args: string[], input?: string) => {
    const r = await attempt(args, input);
    if (r.code !== 0) throw new Error(`docker ${args.join(' ')} failed (${r.code}):\n${r.stderr}${r.stdout}`);
    return r;
  };

  const deadline = Date.now() + 30_000;
  for (;;) {
    if (daemon.exitCode !== null) throw new Error(`dockerd exited:\n${log}`);
    if ((await attempt(['info', '--format', '{{.ServerVersion}}'])).code === 0) break;
    if (Date.now() > deadline) throw new Error(`dockerd did not start:\n${log}`);
    await new Promise((r) => setTimeout(r, 200));
  }

  return {
    host: `unix://${sock}`,
    cli,
    attempt,
    async importBusybox(tag, message) {
      const rootfs = join(root, `rootfs-${tag.replace(/[^a-z0-9]/gi, '_')}`);
      mkdirSync(join(rootfs, 'bin'), { recursive: true });
      copyFileSync(BUSYBOX, join(rootfs, 'bin/busybox'));
      chmodSync(join(rootfs, 'bin/busybox'), 0o755);
      symlinkSync('busybox', join(rootfs, 'bin/sh'));
      symlinkSync('busybox', join(rootfs, 'bin/echo'));
      writeFileSync(join(rootfs, 'message'), message);
      const tar = `${rootfs}.tar`;
      await run('tar', ['-C', rootfs, '-cf', tar, '.']);
      await cli(['import', '-c', 'ENTRYPOINT ["/bin/sh","-c"]', '-c', `CMD ["echo ${message}"]`, tar, tag]);
    },
    async stop() {
      if (daemon.exitCode === null) {
        await new Promise<void>((resolve) => {
          daemon.once('exit', () => resolve());
          daemon.kill('SIGTERM');
        });
      }
      try {
        rmSync(root, { recursive: true, force: true });
      } catch {
        // Containers on the host network leave the engine's netns mount behind.
        await run('umount', ['-l', join(root, 'x', 'netns', 'default')]).catch(() => undefined);
        rmSync(root, { recursive: true, force: true });
      }
    },
  };
}
