// Turns the backend's error answers (FastAPI `detail`, 429 Retry-After, network failures) into
// sentences a person can act on. Pages only ever show `ApiError.message`.

export class ApiError extends Error {
  readonly status: number;

  constructor(status: number, message: string) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
  }
}

/** What a call was trying to do, so a generic status can still be explained in context. */
export type ApiAction =
  | 'login'
  | 'register'
  | 'refresh'
  | 'logout'
  | 'verify'
  | 'reset'
  | 'change-password'
  | 'end-session'
  | 'request';

/** One sentence for every refused link: a stranger learns nothing from the difference. */
export const LINK_REFUSED =
  'This link does not work any more: it was already used, has expired, or a newer one replaced it.';
export const SESSION_ALREADY_ENDED = 'That session has already ended.';

interface ValidationItem {
  loc?: unknown;
  msg?: unknown;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Reads FastAPI's `detail`: a string, or a list of `{loc, msg}` from request validation. */
export function describeDetail(detail: unknown): string | null {
  if (typeof detail === 'string' && detail.trim() !== '') {
    return detail.trim();
  }
  if (Array.isArray(detail)) {
    const lines = detail
      .filter((item): item is ValidationItem => isRecord(item))
      .map((item) => {
        const msg = typeof item.msg === 'string' ? item.msg : 'is invalid';
        // loc looks like ["body", "password"]; the last part names the field a person typed into.
        const loc: unknown = item.loc;
        const field: unknown = Array.isArray(loc) ? (loc as unknown[]).at(-1) : undefined;
        return typeof field === 'string' || typeof field === 'number' ? `${field}: ${msg}` : msg;
      });
    return lines.length > 0 ? lines.join('; ') : null;
  }
  return null;
}

function describeRetryAfter(retryAfter: string | null): string {
  const seconds = retryAfter === null ? NaN : Number.parseInt(retryAfter, 10);
  if (Number.isFinite(seconds) && seconds > 0) {
    return `Too many attempts. Try again in ${seconds} second${seconds === 1 ? '' : 's'}.`;
  }
  return 'Too many attempts. Wait a moment and try again.';
}

/**
 * Builds the error for a non-2xx answer from its status, its headers and its body, as the
 * generated client read it (parsed JSON, else the text). Never throws itself.
 */
export function apiErrorFromAnswer(response: Response, body: unknown, action: ApiAction): ApiError {
  const { status } = response;
  if (status === 429) {
    return new ApiError(status, describeRetryAfter(response.headers.get('Retry-After')));
  }
  // Not JSON (a proxy's HTML error page, an empty body): the status alone explains it.
  const detail = isRecord(body) ? describeDetail(body.detail) : null;
  if (status === 401 && action === 'login') {
    // The backend answers every login failure the same way on purpose; say it plainly.
    return new ApiError(status, 'The email or password is incorrect.');
  }
  if (status === 401) {
    return new ApiError(status, 'Your session has ended. Please sign in again.');
  }
  if (status === 400 && (action === 'verify' || action === 'reset')) {
    return new ApiError(status, LINK_REFUSED);
  }
  if (status === 404 && action === 'end-session') {
    return new ApiError(status, SESSION_ALREADY_ENDED);
  }
  if (status === 409 && action === 'register') {
    return new ApiError(status, detail ?? 'An account with this email already exists.');
  }
  if (detail !== null && status < 500) {
    return new ApiError(status, detail);
  }
  if (status >= 500) {
    return new ApiError(status, `The server had a problem (HTTP ${status}). Try again in a moment.`);
  }
  return new ApiError(status, `The request was refused (HTTP ${status}).`);
}

/** Builds the error for a request that never got an answer (server down, CORS refusal, offline). */
export function networkError(apiUrl: string): ApiError {
  // Status 0 mirrors what the browser reports for a blocked or failed request.
  return new ApiError(0, `Cannot reach the server at ${apiUrl}. Is the backend running?`);
}
