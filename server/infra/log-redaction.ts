/**
 * Secrets in URLs: stream tokens travel in the query string (an <audio> element cannot send a header).
 * Fastify's query parser decodes parameter names, so `?%74oken=` is a token too: names are compared
 * decoded, the way the parser will read them.
 */
const SECRET_PARAMS = new Set(['token', 'access_token', 'owner_token']);

function decodedName(raw: string): string {
  try {
    return decodeURIComponent(raw.replace(/\+/g, ' ')).toLowerCase();
  } catch {
    return raw.toLowerCase();
  }
}

export function redactUrl(url: string): string {
  const queryStart = url.indexOf('?');
  if (queryStart < 0) return url;
  const pairs = url.slice(queryStart + 1).split('&').map((pair) => {
    const equals = pair.indexOf('=');
    const name = equals < 0 ? pair : pair.slice(0, equals);
    return SECRET_PARAMS.has(decodedName(name)) ? `${name}=[redacted]` : pair;
  });
  return `${url.slice(0, queryStart)}?${pairs.join('&')}`;
}
