import { createHmac, timingSafeEqual } from 'node:crypto';
import type { Principal } from './principal.js';

/**
 * Registry passwords handed out by GetAuthorizationToken. The password itself proves who it was
 * issued to, for which region and until when: an HMAC over the principal, its identity (see
 * principal-identity.ts: a user's AIDA id, a role's AROA id, an account's creation), the region and
 * the expiry, under a key that persists (sealed) in the metadata store. The registry checks the
 * region against the one it serves and the identity against the principal's current one, so a
 * token of a deleted user, role or account does not work for a namesake created later.
 * The shape mimics ECR's (base64 JSON with payload, version, type, expiration).
 */
export interface TokenClaims {
  principal: Principal;
  /** principalIdentity() of the principal when the token was issued. */
  identity: string;
  /** The region the token was issued in; ECR's tokens work only there. */
  region: string;
  issuedAt: Date;
  expiresAt: Date;
}

export type TokenCheck =
  | { ok: true; claims: TokenClaims }
  | { ok: false; reason: 'malformed' | 'forged' | 'expired' };

interface Envelope {
  payload: string;
  datakey: string;
  version: string;
  type: string;
  expiration: number;
}

export class AuthTokens {
  constructor(private readonly key: Buffer) {}

  issue(
    principal: Principal,
    binding: { identity: string; region: string },
    now: Date,
    ttlSeconds: number,
  ): { password: string; expiresAt: Date } {
    let expiresMs = now.getTime() + ttlSeconds * 1000;
    // A token never outlives the temporary credentials it was issued for.
    if (principal.kind === 'assumed-role') expiresMs = Math.min(expiresMs, principal.expiresAt.getTime());
    const expiresAt = new Date(Math.floor(expiresMs / 1000) * 1000);
    const payload = Buffer.from(
      JSON.stringify({ p: principal, u: binding.identity, r: binding.region, iat: now.getTime(), exp: expiresAt.getTime() }),
      'utf8',
    ).toString('base64url');
    const envelope: Envelope = {
      payload,
      datakey: this.sign(payload),
      version: '2',
      type: 'DATA_KEY',
      expiration: expiresAt.getTime() / 1000,
    };
    return { password: Buffer.from(JSON.stringify(envelope), 'utf8').toString('base64'), expiresAt };
  }

  verify(password: string, now: Date): TokenCheck {
    let envelope: Partial<Envelope>;
    try {
      envelope = JSON.parse(Buffer.from(password, 'base64').toString('utf8')) as Partial<Envelope>;
    } catch {
      return { ok: false, reason: 'malformed' };
    }
    if (typeof envelope?.payload !== 'string' || typeof envelope.datakey !== 'string') {
      return { ok: false, reason: 'malformed' };
    }
    const expected = Buffer.from(this.sign(envelope.payload));
    const given = Buffer.from(envelope.datakey);
    if (expected.length !== given.length || !timingSafeEqual(expected, given)) return { ok: false, reason: 'forged' };
    let body: { p: Principal; u?: unknown; r?: unknown; iat: number; exp: number };
    try {
      body = JSON.parse(Buffer.from(envelope.payload, 'base64url').toString('utf8')) as typeof body;
    } catch {
      return { ok: false, reason: 'malformed' };
    }
    // Tokens issued before they were bound to an identity and a region are not accepted.
    if (typeof body.u !== 'string' || typeof body.r !== 'string') return { ok: false, reason: 'malformed' };
    if (body.exp <= now.getTime()) return { ok: false, reason: 'expired' };
    const principal =
      body.p.kind === 'assumed-role' ? { ...body.p, expiresAt: new Date(body.p.expiresAt) } : body.p;
    return {
      ok: true,
      claims: { principal, identity: body.u, region: body.r, issuedAt: new Date(body.iat), expiresAt: new Date(body.exp) },
    };
  }

  private sign(payload: string): string {
    return createHmac('sha256', this.key).update(payload).digest('base64url');
  }
}
