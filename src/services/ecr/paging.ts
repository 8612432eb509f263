import { InvalidParameterException } from '../../model/ecr/errors.js';
import { messages } from './messages.js';

/**
 * nextToken values: opaque to clients, bound to the listing they came from, so a token from one
 * repository or account is refused elsewhere instead of paging something else.
 */
export function encodeToken(cursor: string, scope: string): string {
  return Buffer.from(JSON.stringify({ s: scope, c: cursor }), 'utf8').toString('base64');
}

export function decodeToken(token: string, scope: string): string {
  try {
    const parsed = JSON.parse(Buffer.from(token, 'base64').toString('utf8')) as { s?: unknown; c?: unknown };
    if (parsed.s === scope && typeof parsed.c === 'string') return parsed.c;
  } catch {
    // fall through
  }
  throw new InvalidParameterException(messages.invalidParameter('nextToken', 'Invalid NextToken'));
}
