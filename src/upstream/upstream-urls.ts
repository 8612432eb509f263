/**
 * Where a pull-through cache rule's upstream is reached: `https://<upstreamRegistryUrl>`, or the
 * base URL of SIMFRA_ECR_UPSTREAM_<NAME> (NAME = the upstreamRegistry upper-cased, `-` as `_`),
 * so tests and air-gapped setups can stand a local registry in for Docker Hub, Quay, ….
 */
export function upstreamEnvName(upstreamRegistry: string): string {
  return upstreamRegistry.toUpperCase().replace(/-/g, '_');
}

export function upstreamUrl(overrides: Readonly<Record<string, string>>, upstreamRegistry: string, registryUrl: string): string {
  return overrides[upstreamEnvName(upstreamRegistry)] ?? `https://${registryUrl}`;
}
