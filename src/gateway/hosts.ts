import { isIP } from 'node:net';
import { networkInterfaces } from 'node:os';

/**
 * Which `Host` headers simfra answers. A web page can make the browser send requests to
 * simfra under the page's own name (DNS rebinding: `attacker.example` resolves to 127.0.0.1
 * moments later), and the browser then treats simfra's answers as the page's. Refusing every
 * name simfra does not serve closes that door on every front:
 *
 * - `localhost` and `*.localhost` (RFC 6761: they resolve to loopback and browsers never ask DNS
 *   for them, so no one can rebind them), which covers the default registry hosts;
 * - loopback addresses (`127.0.0.0/8`, `[::1]`): an address is not a name that can be rebound;
 * - registry hosts `{account}.dkr.ecr.{region}.{SIMFRA_REGISTRY_DOMAIN}`;
 * - the bind address when it is a specific one, or every address of this machine's interfaces
 *   when simfra listens on all of them (0.0.0.0, ::);
 * - the names in SIMFRA_ALLOWED_HOSTS: `name`, `.suffix` / `*.suffix` for subdomains, `*` for
 *   any host (which turns the protection off).
 *
 * The port is ignored. A request without a Host header (HTTP/1.0) comes from no browser and is
 * answered.
 */
export interface HostPolicyOptions {
  registryDomain: string;
  bindHost: string;
  allowedHosts: readonly string[];
}

const WILDCARD_BINDS = new Set(['0.0.0.0', '::', '']);

/** `Example.COM:4599` → `example.com`; `[::1]:4599` → `::1`; a trailing dot goes. */
export function hostName(header: string): string {
  let h = header.trim().toLowerCase();
  if (h.startsWith('[')) {
    const end = h.indexOf(']');
    h = end < 0 ? h.slice(1) : h.slice(1, end);
  } else {
    const colon = h.lastIndexOf(':');
    if (colon >= 0 && h.indexOf(':') === colon) h = h.slice(0, colon);
  }
  return h.endsWith('.') ? h.slice(0, -1) : h;
}

function isLoopback(name: string): boolean {
  if (isIP(name) === 4) return name.startsWith('127.');
  if (isIP(name) === 6) return name === '::1' || /^::ffff:127\./.test(name);
  return false;
}

function localAddresses(): Set<string> {
  const out = new Set<string>();
  for (const list of Object.values(networkInterfaces())) {
    for (const a of list ?? []) out.add(a.address.toLowerCase().replace(/%.*$/, ''));
  }
  return out;
}

/** The predicate the gateway asks for every request's Host header. */
export function makeHostPolicy(opts: HostPolicyOptions): (host: string | undefined) => boolean {
  const domain = opts.registryDomain.toLowerCase().replace(/\.$/, '');
  const escaped = domain.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const registryHost = new RegExp(`^\\d{12}\\.dkr\\.ecr\\.[a-z0-9-]+\\.${escaped}$`);
  const exact = new Set<string>();
  const suffixes: string[] = [];
  let any = false;
  for (const raw of opts.allowedHosts) {
    const entry = raw.trim().toLowerCase();
    if (entry === '*') any = true;
    else if (entry.startsWith('*.')) suffixes.push(entry.slice(1));
    else if (entry.startsWith('.')) suffixes.push(entry);
    else if (entry !== '') exact.add(hostName(entry));
  }
  const bind = hostName(opts.bindHost);
  if (WILDCARD_BINDS.has(bind)) for (const a of localAddresses()) exact.add(a);
  else exact.add(bind);

  return (header) => {
    if (any || header === undefined) return true;
    const name = hostName(header);
    return (
      name === 'localhost' ||
      name.endsWith('.localhost') ||
      isLoopback(name) ||
      registryHost.test(name) ||
      exact.has(name) ||
      suffixes.some((s) => name.endsWith(s))
    );
  };
}

/** The refusal every front words in its own format. */
export function hostRefusal(host: string, registryDomain: string): string {
  // The name is echoed into JSON and XML bodies: only characters a host name may hold.
  const shown = host.replace(/[^A-Za-z0-9.:_[\]-]/g, '?').slice(0, 255);
  return (
    `Host '${shown}' is not a name this simfra serves: it answers localhost, loopback addresses, ` +
    `registry hosts ({account}.dkr.ecr.{region}.${registryDomain}), its bind address and the names in ` +
    'SIMFRA_ALLOWED_HOSTS. Other names are refused so that no web page can reach simfra through DNS rebinding.'
  );
}
