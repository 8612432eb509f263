/**
 * Text content of an XML answer (the query protocol, S3-style layer-download errors): escapes only
 * what XML requires, as AWS does (`'` and `"` stay as they are in messages).
 */
export function escapeXmlText(s: string): string {
  return s.replace(/[&<>\r]/g, (c) => (c === '&' ? '&amp;' : c === '<' ? '&lt;' : c === '>' ? '&gt;' : '&#13;'));
}
