import { LAYER_DOWNLOAD_PREFIX } from '../images/layer-urls.js';

/**
 * Which front a request goes to. GetDownloadUrlForLayer's URLs (`/ecr-layers/…`) come first,
 * on any host, since they are handed out with the registry host too; then the registry, by Host
 * (`{account}.dkr.ecr.{region}.{domain}[:port]`) or by a `/v2` path; the admin API by
 * `/_simfra/`; everything else is an AWS protocol request.
 */
export type Route =
  | { front: 'registry'; accountId?: string; region?: string }
  | { front: 'layer-download' }
  | { front: 'admin' }
  | { front: 'aws' };

export function makeClassifier(registryDomain: string): (host: string | undefined, path: string) => Route {
  const escaped = registryDomain.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const registryHost = new RegExp(`^(\\d{12})\\.dkr\\.ecr\\.([a-z0-9-]+)\\.${escaped}(?::\\d+)?$`, 'i');
  return (host, path) => {
    if (path.startsWith(LAYER_DOWNLOAD_PREFIX)) return { front: 'layer-download' };
    const m = host ? registryHost.exec(host) : null;
    if (m) return { front: 'registry', accountId: m[1]!, region: m[2]!.toLowerCase() };
    if (path === '/v2' || path.startsWith('/v2/')) return { front: 'registry' };
    if (path.startsWith('/_simfra/')) return { front: 'admin' };
    return { front: 'aws' };
  };
}
