import type { FastifyError, FastifyInstance, FastifyReply } from 'fastify';
import fp from 'fastify-plugin';
import { ErrorCode, type Problem } from '../../src/shared/errors.js';
import { SINGLE_LINE_TEXT_PATTERN } from '../../src/shared/text.js';

/** A domain error with a stable code; the error handler turns it into problem+json. */
export class AppError extends Error {
  constructor(
    readonly status: number,
    readonly code: ErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'AppError';
  }
}

/** A 429 RATE_LIMITED refusal that passes with time: the reply says when, in Retry-After. */
export class TooManyRequestsError extends AppError {
  constructor(
    message: string,
    readonly retryAfterMs: number,
  ) {
    super(429, ErrorCode.RATE_LIMITED, message);
  }
}

export const notFound = (what: string) => new AppError(404, ErrorCode.NOT_FOUND, `${what} not found`);
export const unauthorized = (message = 'Missing or invalid token') =>
  new AppError(401, ErrorCode.INVALID_TOKEN, message);

const TITLES: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  406: 'Not Acceptable',
  409: 'Conflict',
  413: 'Content Too Large',
  415: 'Unsupported Media Type',
  421: 'Misdirected Request',
  429: 'Too Many Requests',
  500: 'Internal Server Error',
  503: 'Service Unavailable',
  507: 'Insufficient Storage',
};

export function problem(status: number, code: ErrorCode, detail: string): Problem {
  return {
    type: `urn:veza:problem:${code.toLowerCase().replaceAll('_', '-')}`,
    title: TITLES[status] ?? 'Error',
    status,
    detail,
    code,
  };
}

export function sendProblem(reply: FastifyReply, body: Problem): FastifyReply {
  return reply.code(body.status).type('application/problem+json').send(body);
}

// PostgreSQL SQLSTATEs for a server that is going away or not yet back, and socket-level failures.
const UNAVAILABLE_CODES = new Set(['57P01', '57P02', '57P03', '08000', '08001', '08003', '08006', 'ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'SQLITE_BUSY']);

// ioredis reports a lost, refused or frozen Redis with these messages and no code.
const REDIS_UNAVAILABLE = /Stream isn't writeable|Connection is closed|Command timed out/i;

/**
 * Which store cannot answer right now, if that is what failed: the client should retry, so 503 rather
 * than 500, with the same words on REST and on the socket so the app can say what is going on.
 */
function unavailableStore(error: Error & { code?: string }): 'database' | 'shared store' | null {
  if (REDIS_UNAVAILABLE.test(error.message)) return 'shared store';
  if (error.code && UNAVAILABLE_CODES.has(error.code)) return 'database';
  // pg reports lost or refused connections with these messages and no code.
  return /Connection terminated|connection timeout|Client has encountered a connection error/i.test(error.message) ? 'database' : null;
}

// A full disk or quota, from the filesystem, SQLite or PostgreSQL (53100 disk_full): nothing was kept.
const DISK_FULL_CODES = new Set(['ENOSPC', 'EDQUOT', 'SQLITE_FULL', '53100']);

// PostgreSQL SQLSTATEs for text it cannot store (a NUL byte): the input's fault, never a 500.
const BAD_TEXT_CODES = new Set(['22021', '22P05']);

type ValidationIssues = NonNullable<FastifyError['validation']>;

/** Ajv's message for a name with a control character would quote the pattern: say what is wrong instead. */
function validationMessage(error: FastifyError & { validation: ValidationIssues }): string {
  const textIssue = error.validation.find((issue) => issue.keyword === 'pattern' && issue.params.pattern === SINGLE_LINE_TEXT_PATTERN);
  if (!textIssue) return error.message;
  const field = textIssue.instancePath.replace(/^\//, '') || 'text';
  return `${field} may not contain control characters or bidirectional overrides`;
}

/**
 * Maps any error to the problem a client sees: domain errors keep their code, store outages, full disks
 * and bad text get theirs, Fastify's own (validation, body limits, parsing) are translated. REST replies
 * and socket acknowledgements both use it.
 */
export function toProblem(error: Partial<FastifyError> & Error): Problem {
  if (error instanceof AppError) return problem(error.status, error.code, error.message);
  const store = unavailableStore(error);
  if (store) return problem(503, ErrorCode.SERVICE_UNAVAILABLE, `The server's ${store} is unavailable; try again shortly`);
  if (error.validation) return problem(400, ErrorCode.VALIDATION_FAILED, validationMessage(error as FastifyError & { validation: ValidationIssues }));
  if (error.code && DISK_FULL_CODES.has(error.code)) {
    return problem(507, ErrorCode.INSUFFICIENT_STORAGE, 'The server is out of disk space; nothing was saved. Try again once space is freed');
  }
  if (error.code && BAD_TEXT_CODES.has(error.code)) return problem(400, ErrorCode.VALIDATION_FAILED, 'The text contains characters that cannot be stored');
  const status = error.statusCode ?? 500;
  if (status === 413) return problem(413, ErrorCode.PAYLOAD_TOO_LARGE, 'Request body is too large');
  if (status === 415) return problem(415, ErrorCode.UNSUPPORTED_MEDIA, error.message);
  if (status === 503) return problem(503, ErrorCode.SERVICE_UNAVAILABLE, 'A backing store is unavailable');
  // Other 4xx from Fastify (malformed JSON, bad content-length…) say nothing secret.
  if (status >= 400 && status < 500) return problem(status, ErrorCode.VALIDATION_FAILED, error.message);
  // 5xx never leak internals: the log has the details under the request id.
  return problem(500, ErrorCode.INTERNAL, 'Something went wrong on the server');
}

async function errorsPlugin(app: FastifyInstance) {
  app.setErrorHandler((error: FastifyError | AppError, request, reply) => {
    const body = toProblem(error);
    if (error instanceof TooManyRequestsError) reply.header('Retry-After', String(Math.max(1, Math.ceil(error.retryAfterMs / 1000))));
    if (body.status >= 500) request.log.error({ err: error }, 'request failed');
    else request.log.info({ code: body.code, detail: body.detail }, 'request refused');
    return sendProblem(reply, body);
  });
  app.setNotFoundHandler((request, reply) =>
    sendProblem(reply, problem(404, ErrorCode.NOT_FOUND, `No route for ${request.method} ${request.url.split('?')[0]}`)),
  );
}

export const errors = fp(errorsPlugin, { name: 'errors' });
