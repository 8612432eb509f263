import { createHmac, timingSafeEqual } from 'node:crypto';
import type { Principal } from './principal.js';

/**
 * Registry passwords handed out by GetAuthorizationToken. The password itself proves who it was
 * issued to and until when: an HMAC over the principal and expiry, under a key that persists
 * (sealed) in the metadata store, so the registry verifies it without a database lookup.
 * The shape mimics ECR's (base64 JSON with payload, version, type, expiration).
 */
export interface TokenClaims {
  principal: Principal;
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

  issue(principal: Principal, now: Date, ttlSeconds: number): { password: string; expiresAt: Date } {
    let expiresMs = now.getTime() + ttlSeconds * 1000;
    // A token never outlives the temporary credentials it was issued for.
    if (principal.kind === 'assumed-role') expiresMs = Math.min(expiresMs, principal.expiresAt.getTime());
    const expiresAt = new Date(Math.floor(expiresMs / 1000) * 1000);
    const payload = Buffer.from(
      JSON.stringify({ p: principal, iat: now.getTime(), exp: expiresAt.getTime() }),
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
    let body: { p: Principal; iat: number; exp: number };
    try {
      body = JSON.parse(Buffer.from(envelope.payload, 'base64url').toString('utf8')) as typeof body;
    } catch {
      return { ok: false, reason: 'malformed' };
    }
    if (body.exp <= now.getTime()) return { ok: false, reason: 'expired' };
    const principal =
      body.p.kind === 'assumed-role' ? { ...body.p, expiresAt: new Date(body.p.expiresAt) } : body.p;
    return { ok: true, claims: { principal, issuedAt: new Date(body.iat), expiresAt: new Date(body.exp) } };
  }

  private sign(payload: string): string {
    return createHmac('sha256', this.key).update(payload).digest('base64url');
  }
}
