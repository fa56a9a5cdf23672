import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Readable } from 'node:stream';
import { ErrorCode } from '../../../src/shared/errors.js';
import { AppError } from '../../infra/errors.js';

export interface ByteRange {
  start: number;
  end: number;
}

/** A single byte range of a `Range: bytes=…` header; null = serve the whole file; 'unsatisfiable' = 416. */
function parseRange(header: string | undefined, size: number): ByteRange | 'unsatisfiable' | null {
  if (!header) return null;
  const match = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  // Multiple ranges or other units: ignoring Range and answering 200 is allowed (RFC 9110 §14.2).
  if (!match) return null;
  const [, first, last] = match;
  if (first === '' && last === '') return null;
  if (size === 0) return 'unsatisfiable';
  if (first === '') {
    const suffix = Number(last);
    if (suffix === 0) return 'unsatisfiable';
    return { start: Math.max(0, size - suffix), end: size - 1 };
  }
  const start = Number(first);
  const end = last === '' ? size - 1 : Math.min(Number(last), size - 1);
  if (start >= size || start > end) return 'unsatisfiable';
  return { start, end };
}

/**
 * Answers with the whole body (200) or the asked-for byte range (206), or a 416 problem. `body` opens the
 * payload for a range (inclusive ends) or, without one, in full: a file stream or a slice of a buffer.
 */
export function sendRange(request: FastifyRequest, reply: FastifyReply, size: number, body: (range?: ByteRange) => Buffer | Readable) {
  reply.header('Accept-Ranges', 'bytes');
  const range = parseRange(request.headers.range, size);
  if (range === 'unsatisfiable') {
    reply.header('Content-Range', `bytes */${size}`);
    throw new AppError(416, ErrorCode.VALIDATION_FAILED, 'Range not satisfiable');
  }
  if (range === null) return reply.header('Content-Length', size).send(body());
  return reply
    .code(206)
    .header('Content-Range', `bytes ${range.start}-${range.end}/${size}`)
    .header('Content-Length', range.end - range.start + 1)
    .send(body(range));
}
