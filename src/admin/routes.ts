import type { IncomingMessage, ServerResponse } from 'node:http';
import FindMyWay from 'find-my-way';
import { SigV4Error, type SigV4Verifier } from '../aws/sigv4.js';
import type { Clock } from '../clock.js';
import type { HttpFront } from '../gateway/server.js';
import { BodyTooLargeError, readCapped } from '../http/body.js';
import { AccountError, type Accounts } from '../iam/accounts.js';
import { JobNotFoundError, JobOptionsError, type Jobs } from '../jobs/jobs.js';
import type { SigningKeys } from '../services/ecr/signing-keys.js';
import type { AccountRecord } from '../store/meta/meta-store.js';

/**
 * The admin API on the same port: accounts with their root credentials.
 * Every request must be SigV4-signed for the service `simfra` (any region) with a root key of the
 * default account, as `curl --aws-sigv4 "aws:amz:us-east-1:simfra" --user KEY:SECRET` signs, and
 * must not come from a browser page (an `Origin` or a `Sec-Fetch-Site` other than `none`).
 *   POST /_simfra/accounts {accountId?, name?, email?} → 201 with the new root key
 *   GET /_simfra/accounts, GET|DELETE /_simfra/accounts/{id}
 *   GET /_simfra/jobs → the job names; POST /_simfra/jobs/{name} [options] → runs it now, 200 with its result
 *   GET /_simfra/signing/certificates?signingProfileArn=… → the profile's signing certificate, its chain
 *     and the account's root CA (PEM), made on first use; ?accountId=… (default: the default account)
 *     → the root CA and every profile certificate made so far (ECR managed signing, issue 14)
 */
const accountJson = (a: AccountRecord) => ({
  accountId: a.accountId,
  name: a.name,
  ...(a.email ? { email: a.email } : {}),
  createdAt: a.createdAt.toISOString(),
});

function send(res: ServerResponse, status: number, body?: unknown): void {
  if (body === undefined) {
    res.writeHead(status).end();
    return;
  }
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) }).end(text);
}

const MAX_ADMIN_BODY = 64 * 1024;

/** A signing profile ARN; group 1 is its account. */
const SIGNING_PROFILE_ARN = /^arn:aws(?:-[a-z]+)*:signer:[a-z0-9-]+:([0-9]{12}):\/signing-profiles\/[a-zA-Z0-9_]{2,}$/;

function parseJson(body: Buffer): Record<string, unknown> {
  const text = body.toString('utf8');
  if (!text.trim()) return {};
  try {
    const value: unknown = JSON.parse(text);
    if (value && typeof value === 'object' && !Array.isArray(value)) return value as Record<string, unknown>;
  } catch {
    // fall through
  }
  throw new AccountError('Invalid', 'request body must be a JSON object');
}

const optionalString = (v: unknown, name: string): string | undefined => {
  if (v === undefined) return undefined;
  if (typeof v !== 'string') throw new AccountError('Invalid', `${name} must be a string`);
  return v;
};

type Route = (body: Buffer, res: ServerResponse, params: Record<string, string | undefined>, query: URLSearchParams) => Promise<void>;

export interface AdminDeps {
  accounts: Accounts;
  jobs: Jobs;
  /** Verifies the SigV4 signature every admin request must carry. */
  verifier: SigV4Verifier;
  clock: Clock;
  /** Only this account's root credentials may use the admin API. */
  defaultAccountId: string;
  /** The certificates of ECR managed signing (absent: the signing routes answer 404). */
  signingKeys?: SigningKeys;
}

/** Why an admin request is not served: 401 (no or bad signature), 403 (wrong caller), 413. */
class AdminRefusal extends Error {
  constructor(
    readonly status: 401 | 403 | 413,
    readonly error: string,
    message: string,
  ) {
    super(message);
  }
}

const HOW_TO_SIGN =
  'The admin API needs a SigV4 signature for the service \'simfra\' with the default account\'s root credentials, ' +
  'e.g. curl --aws-sigv4 "aws:amz:us-east-1:simfra" --user "$AWS_ACCESS_KEY_ID:$AWS_SECRET_ACCESS_KEY" …';

/**
 * Browsers announce themselves: every cross-origin request (and every same-origin POST) carries
 * `Origin`, and modern browsers send `Sec-Fetch-Site` on all requests (`none` when the user typed
 * the URL). simfra serves no pages, so any page reaching the admin API is another site's.
 */
function refuseBrowsers(req: IncomingMessage): void {
  const origin = req.headers.origin;
  const site = req.headers['sec-fetch-site'];
  if (origin !== undefined || (site !== undefined && site !== 'none')) {
    const sign = origin !== undefined ? `Origin: ${origin}` : `Sec-Fetch-Site: ${String(site)}`;
    throw new AdminRefusal(403, 'Forbidden', `The admin API does not answer requests from web pages (${sign}).`);
  }
}

export function adminFront({ accounts, jobs, verifier, clock, defaultAccountId, signingKeys }: AdminDeps): HttpFront {
  /** The body, once the signature over it is verified as the default account's root. */
  const authenticate = async (req: IncomingMessage): Promise<Buffer> => {
    refuseBrowsers(req);
    let body: Buffer;
    try {
      body = await readCapped(req, MAX_ADMIN_BODY);
    } catch (e) {
      if (e instanceof BodyTooLargeError) throw new AdminRefusal(413, 'Invalid', 'request body too large');
      throw e;
    }
    let verified;
    try {
      verified = await verifier.verify({ method: req.method ?? 'GET', url: req.url ?? '/', headers: req.headers }, body, clock.now());
    } catch (e) {
      if (!(e instanceof SigV4Error)) throw e;
      throw new AdminRefusal(401, 'Unauthorized', e.kind === 'missing' ? HOW_TO_SIGN : `${e.message} ${HOW_TO_SIGN}`);
    }
    if (verified.service !== 'simfra') {
      throw new AdminRefusal(403, 'Forbidden', `Admin requests are signed for the service 'simfra', not '${verified.service}'. ${HOW_TO_SIGN}`);
    }
    const p = verified.principal;
    if (p.kind !== 'root' || p.accountId !== defaultAccountId) {
      throw new AdminRefusal(403, 'Forbidden', `${p.arn} may not use the admin API: only the root credentials of account ${defaultAccountId} may.`);
    }
    return body;
  };

  const router = FindMyWay({ ignoreTrailingSlash: true });
  const on = (method: 'GET' | 'POST' | 'DELETE', path: string, route: Route) => {
    // The router only finds routes; handle() calls the Route it stored with the verified body.
    router.on(method, path, () => undefined, { route });
  };
  on('POST', '/_simfra/accounts', async (raw, res) => {
    const body = parseJson(raw);
    const created = await accounts.create({
      accountId: optionalString(body.accountId, 'accountId'),
      name: optionalString(body.name, 'name'),
      email: optionalString(body.email, 'email'),
    });
    send(res, 201, {
      ...accountJson(created.account),
      accessKeyId: created.accessKeyId,
      secretAccessKey: created.secretAccessKey,
    });
  });
  on('GET', '/_simfra/accounts', async (_req, res) => {
    send(res, 200, { accounts: (await accounts.list()).map(accountJson) });
  });
  on('GET', '/_simfra/accounts/:id', async (_req, res, params) => {
    const found = await accounts.get(params.id ?? '');
    if (!found) throw new AccountError('NotFound', `account ${params.id ?? ''} does not exist`);
    send(res, 200, { ...accountJson(found.account), rootAccessKeyIds: found.rootAccessKeyIds });
  });
  on('DELETE', '/_simfra/accounts/:id', async (_req, res, params) => {
    await accounts.delete(params.id ?? '');
    send(res, 204);
  });

  on('GET', '/_simfra/jobs', async (_req, res) => {
    send(res, 200, { jobs: jobs.names() });
  });
  on('POST', '/_simfra/jobs/:name', async (raw, res, params) => {
    const options = parseJson(raw);
    try {
      send(res, 200, (await jobs.run(params.name ?? '', options)) ?? {});
    } catch (e) {
      if (e instanceof JobNotFoundError) throw new AccountError('NotFound', e.message);
      if (e instanceof JobOptionsError) throw new AccountError('Invalid', e.message);
      throw e;
    }
  });

  on('GET', '/_simfra/signing/certificates', async (_req, res, _params, query) => {
    if (signingKeys === undefined) throw new AccountError('NotFound', 'managed signing is not available');
    const arn = query.get('signingProfileArn') ?? undefined;
    if (arn !== undefined) {
      const m = SIGNING_PROFILE_ARN.exec(arn);
      if (m === null) throw new AccountError('Invalid', `signingProfileArn must look like arn:aws:signer:<region>:<account>:/signing-profiles/<name>, not '${arn}'`);
      const accountId = m[1] ?? '';
      if ((await accounts.get(accountId)) === undefined) throw new AccountError('NotFound', `account ${accountId} does not exist`);
      const profile = await signingKeys.profile(accountId, arn);
      send(res, 200, {
        accountId,
        signingProfileArn: arn,
        platformId: 'Notation-OCI-SHA384-ECDSA',
        certificate: profile.leafPem,
        certificateChain: profile.leafPem + profile.rootPem,
        rootCertificate: profile.rootPem,
      });
      return;
    }
    const accountId = query.get('accountId') ?? defaultAccountId;
    if ((await accounts.get(accountId)) === undefined) throw new AccountError('NotFound', `account ${accountId} does not exist`);
    const root = await signingKeys.root(accountId);
    const profiles = await signingKeys.profiles(accountId);
    send(res, 200, {
      accountId,
      rootCertificate: root.certificatePem,
      profiles: profiles.map((p) => ({ signingProfileArn: p.signingProfileArn, certificate: p.certificatePem })),
    });
  });

  const statusOf: Record<AccountError['kind'], number> = { AlreadyExists: 409, NotFound: 404, Invalid: 400, Protected: 409 };
  return {
    refuse(req, res, _ctx, message) {
      req.resume();
      send(res, 403, { error: 'Forbidden', message });
    },
    async handle(req, res) {
      const url = req.url ?? '/';
      let body: Buffer;
      try {
        body = await authenticate(req);
      } catch (e) {
        if (!(e instanceof AdminRefusal)) throw e;
        if (!req.complete) res.setHeader('connection', 'close');
        req.resume();
        send(res, e.status, { error: e.error, message: e.message });
        return { route: 'admin:refused' };
      }
      const match = router.find(req.method as 'GET', url.split('?')[0] ?? url);
      if (!match) {
        send(res, 404, { error: 'NotFound', message: `no admin route for ${req.method ?? ''} ${url}` });
        return { route: 'admin:unknown' };
      }
      try {
        const query = new URL(url, 'http://admin').searchParams;
        await (match.store as { route: Route }).route(body, res, match.params, query);
      } catch (e) {
        if (!(e instanceof AccountError)) throw e;
        send(res, statusOf[e.kind], { error: e.kind, message: e.message });
      }
      return { route: `admin:${req.method ?? ''}` };
    },
  };
}
