/**
 * The hot request of every listen, `GET /api/v1/tracks/:id/hls/:quality/:segment?token=…`, answered on
 * the raw http server before Fastify sees it — but only in the one ordinary case: an allowed Host, a
 * path that matches the route's strict pattern character for character, a valid unexpired stream token,
 * a known rung and the bytes already in the memory cache. Everything else (a cache miss, a bad or
 * expired token, Range, If-None-Match, percent-encoding, HEAD, a body, a closing server…) returns false
 * and goes to the Fastify route untouched, so every error and edge case keeps a single code path and
 * this file never touches the filesystem.
 *
 * Why: Fastify's routing, schema, hooks and reply machinery cost more per request than the HMAC check
 * and the copy of the bytes together (see docs/BENCHMARKS.md, bench:serve).
 */
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { API_PREFIX } from '../../../../src/shared/routes.js';
import { SEGMENT_HEADERS, SEGMENT_NAME, SEGMENT_NAME_LENGTH } from '../hls-layout.js';
import type { CachedFile } from './segment-cache.js';
import type { HlsService } from './hls.service.js';
import type { StreamTokens } from '../stream-tokens.js';

/** The Fastify route this path stands in for (also its metrics label). */
export const SEGMENT_ROUTE = `${API_PREFIX}/tracks/:id/hls/:quality/:segment`;

const PREFIX = `${API_PREFIX}/tracks/`;
const ID_START = PREFIX.length;
const ID_END = ID_START + 36;
const QUALITY_START = ID_END + '/hls/'.length;
const TOKEN_MARK = '?token=';
// Canonical lower-case UUIDs only (a subset of what the route's `format: uuid` accepts; others fall through).
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const LOGS_REQUESTS = new Set(['info', 'debug', 'trace']);

export interface SegmentFastPathOptions {
  isHostAllowed: (host: string | undefined) => boolean;
  tokens: Pick<StreamTokens, 'verify'>;
  hls: Pick<HlsService, 'cachedSegment'>;
  /** Same histogram and labels as Fastify's onResponse hook would use. */
  observe: (seconds: number) => void;
  /** Same "request completed" line Fastify logs at info level. */
  log: { level: string; info(obj: object, msg: string): void };
  isClosing: () => boolean;
}

export class SegmentFastPath {
  /** Response headers per cached file, built once; the last slot takes the request id. */
  private readonly headers = new WeakMap<CachedFile, string[]>();

  constructor(private readonly options: SegmentFastPathOptions) {}

  /** True when the response has been sent; false means "not mine, give it to Fastify". */
  tryServe(req: IncomingMessage, res: ServerResponse): boolean {
    const started = performance.now();
    const url = req.url;
    if (req.method !== 'GET' || url === undefined || !url.startsWith(PREFIX) || !url.startsWith('/hls/', ID_END)) return false;
    const qualityEnd = url.indexOf('/', QUALITY_START);
    if (qualityEnd < 0) return false;
    const segmentEnd = qualityEnd + 1 + SEGMENT_NAME_LENGTH;
    if (!url.startsWith(TOKEN_MARK, segmentEnd)) return false;
    const trackId = url.slice(ID_START, ID_END);
    const quality = url.slice(QUALITY_START, qualityEnd);
    const segment = url.slice(qualityEnd + 1, segmentEnd);
    // The token must match the stream-token pattern as a whole, so `&`, `%` or a second parameter fail it.
    const token = url.slice(segmentEnd + TOKEN_MARK.length);
    // The quality is checked against the track's own rungs by `cachedSegment`.
    if (!UUID.test(trackId) || !SEGMENT_NAME.test(segment)) return false;

    const { headers } = req;
    if (
      headers.range !== undefined ||
      headers['if-none-match'] !== undefined ||
      headers['x-request-id'] !== undefined ||
      headers['content-length'] !== undefined ||
      headers['transfer-encoding'] !== undefined
    ) {
      return false;
    }
    const { options } = this;
    if (!options.isHostAllowed(headers.host) || options.isClosing()) return false;
    if (!options.tokens.verify(token, trackId).ok) return false;
    const file = options.hls.cachedSegment(trackId, quality, segment);
    if (!file) return false;

    const reqId = randomUUID();
    const raw = this.headersOf(file);
    raw[raw.length - 1] = reqId; // writeHead copies synchronously: sharing the array is safe
    res.writeHead(200, raw);
    res.end(file.body);
    const elapsedS = (performance.now() - started) / 1000;
    options.observe(elapsedS);
    if (LOGS_REQUESTS.has(options.log.level)) {
      options.log.info({ reqId, req: { id: reqId, method: 'GET', url }, res: { statusCode: 200 }, responseTime: elapsedS * 1000 }, 'request completed');
    }
    return true;
  }

  /** The headers the Fastify route and the app-wide hooks send with a full segment. */
  private headersOf(file: CachedFile): string[] {
    let raw = this.headers.get(file);
    if (!raw) {
      raw = [
        ...Object.entries(SEGMENT_HEADERS).flat(),
        'etag', file.etag,
        'last-modified', file.lastModified,
        'x-content-type-options', 'nosniff',
        'referrer-policy', 'no-referrer',
        'x-frame-options', 'DENY',
        'content-length', String(file.body.length),
        'x-request-id', '',
      ];
      this.headers.set(file, raw);
    }
    return raw;
  }
}
