import type { ErrorCode, Problem } from '../../../shared/errors';
import { API_PREFIX } from '../../../shared/routes';

/** Codes the client gives failures that carry no problem body: no answer, a cancelled upload, a bare HTTP status. */
type ClientErrorCode = 'NETWORK' | 'ABORTED' | `HTTP_${number}`;

/** A refused request, carrying the server's problem details (RFC 9457) when it sent some. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: ErrorCode | ClientErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

/** Turns any answer body into a sentence a person can act on. */
function problemFromBody(status: number, body: unknown): ApiError {
  const problem = body as Partial<Problem> | null;
  if (problem && typeof problem === 'object' && typeof problem.code === 'string') {
    return new ApiError(status, problem.code, problem.detail || problem.title || `Request failed (${status})`);
  }
  if (status === 0) return new ApiError(0, 'NETWORK', 'The server cannot be reached.');
  return new ApiError(status, `HTTP_${status}` as const, `Request failed (${status})`);
}

export interface UploadHandle<T> {
  result: Promise<T>;
  abort(): void;
}

export interface ApiClientOptions {
  /** '' for the page's own origin, or the server URL (desktop). */
  baseUrl: string;
  getToken(): string | null;
  /** Called when the server says the token is no longer valid. */
  onUnauthorized?(): void;
}

export type ApiClient = ReturnType<typeof createApiClient>;

/** JSON over fetch with the bearer token; errors become ApiError from the problem JSON. */
export function createApiClient({ baseUrl, getToken, onUnauthorized }: ApiClientOptions) {
  const url = (path: string) => `${baseUrl}${API_PREFIX}${path}`;
  const headers = (extra: Record<string, string> = {}) => {
    const token = getToken();
    return token ? { ...extra, Authorization: `Bearer ${token}` } : extra;
  };

  async function request<T>(method: string, path: string, body?: unknown): Promise<T> {
    let response: Response;
    try {
      response = await fetch(url(path), {
        method,
        headers: headers(body === undefined ? {} : { 'Content-Type': 'application/json' }),
        body: body === undefined ? undefined : JSON.stringify(body),
      });
    } catch {
      throw problemFromBody(0, null);
    }
    if (response.status === 204) return undefined as T;
    const text = await response.text();
    let parsed: unknown = null;
    try {
      parsed = text ? JSON.parse(text) : null;
    } catch {
      parsed = null;
    }
    if (!response.ok) {
      const error = problemFromBody(response.status, parsed);
      if (response.status === 401 && error.code === 'INVALID_TOKEN') onUnauthorized?.();
      throw error;
    }
    return parsed as T;
  }

  /** multipart upload with progress: fetch has no upload progress, XMLHttpRequest does. */
  function upload<T>(path: string, form: FormData, onProgress: (fraction: number) => void): UploadHandle<T> {
    const xhr = new XMLHttpRequest();
    const result = new Promise<T>((resolve, reject) => {
      xhr.open('POST', url(path));
      for (const [name, value] of Object.entries(headers())) xhr.setRequestHeader(name, value);
      xhr.upload.onprogress = (event) => {
        if (event.lengthComputable) onProgress(event.loaded / event.total);
      };
      xhr.onload = () => {
        let parsed: unknown = null;
        try {
          parsed = xhr.responseText ? JSON.parse(xhr.responseText) : null;
        } catch {
          parsed = null;
        }
        if (xhr.status >= 200 && xhr.status < 300) resolve(parsed as T);
        else reject(problemFromBody(xhr.status, parsed));
      };
      xhr.onerror = () => reject(problemFromBody(0, null));
      xhr.onabort = () => reject(new ApiError(0, 'ABORTED', 'Upload cancelled'));
      xhr.send(form);
    });
    return { result, abort: () => xhr.abort() };
  }

  return {
    baseUrl,
    url,
    get: <T>(path: string) => request<T>('GET', path),
    post: <T>(path: string, body?: unknown) => request<T>('POST', path, body ?? {}),
    patch: <T>(path: string, body: unknown) => request<T>('PATCH', path, body),
    delete: (path: string) => request<void>('DELETE', path),
    upload,
  };
}
