/**
 * A tiny Lambda container image built offline: static busybox plus a `/bootstrap` shell script
 * that speaks the Lambda Runtime API with busybox `wget`. What it does depends on the event:
 *   contains "fail"  → reports a handled error (`/invocation/{id}/error`)
 *   contains "sleep" → sleeps 30 s (for timeouts)
 *   contains "crash" → the runtime exits with status 3
 *   contains "slow"  → sleeps 1 s, then answers as below
 *   contains "env"   → answers with its reserved environment variables, working directory and arguments
 *   otherwise        → `{"message": <the image's message>, "event": <the event>}`
 * It prints `handling <request id>` for each event (the log).
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { pack } from 'tar-stream';
import { DOCKER_CONFIG, DOCKER_LAYER, DOCKER_MANIFEST, OCI_INDEX } from './oci-image.js';

const digestOf = (data: Buffer): string => `sha256:${createHash('sha256').update(data).digest('hex')}`;

export const BOOTSTRAP = `#!/bin/sh
API="http://\${AWS_LAMBDA_RUNTIME_API}/2018-06-01/runtime"
echo "init \${AWS_LAMBDA_FUNCTION_NAME}"
while true; do
  wget -q -S -O /tmp/event "$API/invocation/next" 2>/tmp/headers || exit 1
  ID=$(grep -i 'lambda-runtime-aws-request-id:' /tmp/headers | sed 's/.*: *//' | tr -d '\\r ')
  EVENT=$(cat /tmp/event)
  echo "handling $ID"
  case "$EVENT" in
    *fail*) wget -q -O /dev/null --post-data '{"errorType":"HandledError","errorMessage":"asked to fail"}' "$API/invocation/$ID/error" ;;
    *sleep*) sleep 30 ;;
    *crash*) exit 3 ;;
    *env*) wget -q -O /dev/null --post-data "{\\"name\\":\\"$AWS_LAMBDA_FUNCTION_NAME\\",\\"memory\\":\\"$AWS_LAMBDA_FUNCTION_MEMORY_SIZE\\",\\"version\\":\\"$AWS_LAMBDA_FUNCTION_VERSION\\",\\"region\\":\\"$AWS_REGION\\",\\"key\\":\\"$AWS_ACCESS_KEY_ID\\",\\"token\\":\\"\${AWS_SESSION_TOKEN:+yes}\\",\\"endpoint\\":\\"$AWS_ENDPOINT_URL\\",\\"greeting\\":\\"$GREETING\\",\\"cwd\\":\\"$(pwd)\\",\\"args\\":\\"$*\\"}" "$API/invocation/$ID/response" ;;
    *slow*) sleep 1; wget -q -O /dev/null --post-data "{\\"message\\":\\"$(cat /message)\\",\\"event\\":$EVENT}" "$API/invocation/$ID/response" ;;
    *) wget -q -O /dev/null --post-data "{\\"message\\":\\"$(cat /message)\\",\\"event\\":$EVENT}" "$API/invocation/$ID/response" ;;
  esac
done
`;

const APPLETS = ['sh', 'wget', 'grep', 'sed', 'tr', 'cat', 'sleep', 'echo'];

async function rootfsTar(message: string): Promise<Buffer> {
  const tar = pack();
  const chunks: Buffer[] = [];
  tar.on('data', (c: unknown) => chunks.push(c as Buffer));
  const done = new Promise<void>((resolve, reject) => {
    tar.on('end', resolve);
    tar.on('error', reject);
  });
  tar.entry({ name: 'bin/', type: 'directory', mode: 0o755 });
  tar.entry({ name: 'tmp/', type: 'directory', mode: 0o1777 });
  tar.entry({ name: 'bin/busybox', mode: 0o755 }, readFileSync('/bin/busybox'));
  for (const a of APPLETS) tar.entry({ name: `bin/${a}`, type: 'symlink', linkname: 'busybox' });
  tar.entry({ name: 'bootstrap', mode: 0o755 }, BOOTSTRAP);
  tar.entry({ name: 'message', mode: 0o644 }, message);
  tar.finalize();
  await done;
  return Buffer.concat(chunks);
}

export interface LambdaImage {
  manifest: Buffer;
  digest: string;
  mediaType: string;
  blobs: Buffer[];
  descriptor: { mediaType: string; digest: string; size: number; platform: { os: string; architecture: string } };
}

/** The image (Docker v2 manifest, gzip layer) whose bootstrap answers with `message`. */
export async function buildLambdaImage(message: string, architecture = 'amd64'): Promise<LambdaImage> {
  const tar = await rootfsTar(message);
  const layer = gzipSync(tar, { level: 1 });
  const config = Buffer.from(
    JSON.stringify({
      architecture,
      os: 'linux',
      config: { Entrypoint: ['/bootstrap'], Env: ['PATH=/bin'], WorkingDir: '/' },
      rootfs: { type: 'layers', diff_ids: [digestOf(tar)] },
      history: [{ created_by: 'simfra test: busybox + bootstrap' }],
    }),
  );
  const manifest = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: DOCKER_MANIFEST,
      config: { mediaType: DOCKER_CONFIG, digest: digestOf(config), size: config.length },
      layers: [{ mediaType: DOCKER_LAYER, digest: digestOf(layer), size: layer.length }],
    }),
  );
  const digest = digestOf(manifest);
  return {
    manifest,
    digest,
    mediaType: DOCKER_MANIFEST,
    blobs: [config, layer],
    descriptor: { mediaType: DOCKER_MANIFEST, digest, size: manifest.length, platform: { os: 'linux', architecture } },
  };
}

/** An OCI index over images (one per platform). */
export function lambdaIndex(images: LambdaImage[]): { manifest: Buffer; digest: string; mediaType: string } {
  const manifest = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: OCI_INDEX, manifests: images.map((i) => i.descriptor) }));
  return { manifest, digest: digestOf(manifest), mediaType: OCI_INDEX };
}
