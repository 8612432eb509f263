import type { IncomingMessage, ServerResponse } from 'node:http';
import FindMyWay from 'find-my-way';
import type { HttpFront } from '../gateway/server.js';
import { BodyTooLargeError, readCapped } from '../http/body.js';
import { AccountError, type Accounts } from '../iam/accounts.js';
import { JobNotFoundError, JobOptionsError, type Jobs } from '../jobs/jobs.js';
import type { AccountRecord } from '../store/meta/meta-store.js';

/**
 * The admin API on the same port: accounts with their root credentials.
 *   POST /_simfra/accounts {accountId?, name?, email?} → 201 with the new root key
 *   GET /_simfra/accounts, GET|DELETE /_simfra/accounts/{id}
 *   GET /_simfra/jobs → the job names; POST /_simfra/jobs/{name} [options] → runs it now, 200 with its result
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

async function readJson(req: IncomingMessage): Promise<Record<string, unknown>> {
  let text: string;
  try {
    text = (await readCapped(req, 64 * 1024)).toString('utf8');
  } catch (e) {
    if (e instanceof BodyTooLargeError) throw new AccountError('Invalid', 'request body too large');
    throw e;
  }
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

type Route = (req: IncomingMessage, res: ServerResponse, params: Record<string, string | undefined>) => Promise<void>;

export interface AdminDeps {
  accounts: Accounts;
  jobs: Jobs;
}

export function adminFront({ accounts, jobs }: AdminDeps): HttpFront {
  const router = FindMyWay({ ignoreTrailingSlash: true });
  const on = (method: 'GET' | 'POST' | 'DELETE', path: string, route: Route) => {
    router.on(method, path, (req, res, params) => route(req, res as ServerResponse, params));
  };
  on('POST', '/_simfra/accounts', async (req, res) => {
    const body = await readJson(req);
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
  on('POST', '/_simfra/jobs/:name', async (req, res, params) => {
    const options = await readJson(req);
    try {
      send(res, 200, (await jobs.run(params.name ?? '', options)) ?? {});
    } catch (e) {
      if (e instanceof JobNotFoundError) throw new AccountError('NotFound', e.message);
      if (e instanceof JobOptionsError) throw new AccountError('Invalid', e.message);
      throw e;
    }
  });

  const statusOf: Record<AccountError['kind'], number> = { AlreadyExists: 409, NotFound: 404, Invalid: 400, Protected: 409 };
  return {
    async handle(req, res) {
      const url = req.url ?? '/';
      const match = router.find(req.method as 'GET', url.split('?')[0] ?? url);
      if (!match) {
        send(res, 404, { error: 'NotFound', message: `no admin route for ${req.method ?? ''} ${url}` });
        return { route: 'admin:unknown' };
      }
      try {
        await (match.handler as unknown as (r: IncomingMessage, s: ServerResponse, p: Record<string, string | undefined>) => Promise<void>)(
          req,
          res,
          match.params,
        );
      } catch (e) {
        if (!(e instanceof AccountError)) throw e;
        send(res, statusOf[e.kind], { error: e.kind, message: e.message });
      }
      return { route: `admin:${req.method ?? ''}` };
    },
  };
}
