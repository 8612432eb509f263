import type { ServiceModel } from '../model/shape-table.js';
import type { AuthzRequest } from '../iam/authorize.js';
import type { RequestContext } from './context.js';

/** An operation handler never sees HTTP: typed input in, typed output out, AwsError thrown. */
export type Handler<I, O> = (ctx: RequestContext, input: I) => Promise<O>;

export type Handlers<Ops> = {
  [K in keyof Ops]: Ops[K] extends { input: infer I; output: infer O } ? Handler<I, O> : never;
};


export type Protocol = 'json' | 'query' | 'rest-json';

/**
 * `table[name]` for an own entry only: operation names come from the wire, and a plain lookup
 * would find `constructor`, `toString` or `__proto__` on Object.prototype and treat them as
 * operations.
 */
export function ownEntry<T>(table: Readonly<Record<string, T>>, name: string): T | undefined {
  return Object.hasOwn(table, name) ? table[name] : undefined;
}

/**
 * One AWS service as the gateway sees it. The dispatcher finds it by X-Amz-Target prefix
 * (json), by the SigV4 signing name (query) or by path (rest-json).
 */
export interface AwsService {
  /** The SigV4 signing name, e.g. `ecr`. */
  signingName: string;
  protocol: Protocol;
  model: ServiceModel;
  /** Handlers by operation name; the input has passed validation against the model. */
  handlers: Readonly<Record<string, Handler<never, unknown> | undefined>>;
  /**
   * The IAM action(s) and resource(s) an operation needs, derived from its validated input.
   * Every operation listed in `handlers` must answer here; the front authorizes before calling it.
   */
  authorization(operation: string, input: unknown, ctx: RequestContext): AuthzRequest[];
}
