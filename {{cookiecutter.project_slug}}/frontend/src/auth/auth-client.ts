// The browser side of the auth contract (the HTTP API in SECURITY.md), free of any UI framework:
// the access token lives in this object's memory only, the refresh token in an HttpOnly cookie.
// Calls go through the typed client generated from the backend's schema (src/client, `make
// client`), whose transport is this object's: one place adds the token, refreshes and retries.

import { createClient, type Client } from '../client/client';
import * as sdk from '../client/sdk.gen';
import type { AcceptedOut, AccessTokenOut, EmailIn, MeOut, SessionOut } from '../client/types.gen';
import { ApiError, apiErrorFromAnswer, networkError, type ApiAction } from './api-errors';
import { noRefreshLock, type AuthChannel, type AuthMessage, type RefreshLock } from './cross-tab';

export interface User {
  id: string;
  email: string;
  /** Whether the owner proved the address; null when the server does not say. */
  emailVerified: boolean | null;
}

/** What registering did: an account ready to sign in, or a verification mail on its way. */
export type RegisterResult =
  | { kind: 'created'; user: User }
  /** `message` is the server's sentence; the same for a new and a taken address, on purpose. */
  | { kind: 'verification-sent'; message: string };

/** One signed-in browser or device of the account, as `GET /auth/sessions` lists it. */
export interface SessionInfo {
  id: string;
  createdAt: Date;
  lastUsedAt: Date | null;
  userAgent: string | null;
  /** The session this browser holds. */
  current: boolean;
}

export type AuthState =
  | { status: 'restoring' }
  /** `notice` tells the login page why the user is there (session ended, other tab...). */
  | { status: 'signed-out'; notice: string | null }
  | { status: 'signed-in'; user: User };

/** The network: `window.fetch` in the app, a fake backend in tests. */
export type FetchLike = (request: Request) => Promise<Response>;

export interface Clock {
  now(): number;
  setTimeout(callback: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

/** Reads the globals at call time, so Vitest's fake timers drive it too. */
export const systemClock: Clock = {
  now: () => Date.now(),
  setTimeout: (callback, ms) => globalThis.setTimeout(callback, ms),
  clearTimeout: (handle) => globalThis.clearTimeout(handle as ReturnType<typeof setTimeout>),
};

export interface AuthClientOptions {
  /** Backend origin, e.g. http://localhost:8000 (no trailing slash needed). */
  apiUrl: string;
  fetch: FetchLike;
  clock?: Clock;
  /** Spreads proactive refreshes of tabs that signed in together; inject `() => 0` in tests. */
  random?: () => number;
  channel?: AuthChannel | null;
  refreshLock?: RefreshLock;
}

interface TokenGrant {
  accessToken: string;
  expiresInMs: number;
}

/**
 * A refresh whose session was ended or replaced while it was in flight (logout, new login).
 * Not a refusal by the server, so it must not end the session that replaced it.
 */
class SupersededError extends ApiError {
  constructor() {
    super(401, 'Your session has ended. Please sign in again.');
    this.name = 'SupersededError';
  }
}

export const SESSION_ENDED = 'Your session has ended. Please sign in again.';
export const SIGNED_OUT_ELSEWHERE = 'You signed out in another tab.';
export const CHECK_YOUR_EMAIL =
  'Check your email: we sent a link to confirm the address. Open it to finish creating your account.';
export const LOGOUT_UNCONFIRMED =
  'You are signed out in this browser, but the server did not confirm the logout, so your session may still be active there.';

// Cookie-authenticated calls carry this header: a cross-site <form> cannot set it, and a
// cross-site fetch that sets it needs a CORS preflight the backend refuses.
const CSRF_HEADER = { 'X-Requested-With': 'XMLHttpRequest' } as const;

/**
 * When to refresh a token that lives `lifetimeMs`: a little before it expires (a fifth of its
 * life, at most a minute) minus a random jitter of up to a tenth (at most 5 s), so tabs that got
 * their tokens at the same moment do not all call /auth/refresh at the same moment.
 */
export function refreshDelayMs(lifetimeMs: number, random: () => number): number {
  const lead = Math.min(60_000, lifetimeMs * 0.2);
  const jitter = random() * Math.min(5_000, lifetimeMs * 0.1);
  return Math.max(0, Math.floor(lifetimeMs - lead - jitter));
}

/**
 * An answer's fields as the API's schema names them (src/client/types.gen.ts), their values not
 * yet checked: the server is another program, perhaps another version of it. A field renamed in
 * the schema fails to compile here after `make client`, rather than reading as missing.
 */
type Unchecked<T> = { [K in keyof T]?: unknown };

/** The fields of a JSON object; none for anything else. */
function fieldsOf(body: unknown): Record<string, unknown> {
  return typeof body === 'object' && body !== null ? (body as Record<string, unknown>) : {};
}

function parseTokenGrant(body: unknown): TokenGrant {
  const { access_token: token, token_type: type, expires_in: expiresIn }: Unchecked<AccessTokenOut> =
    fieldsOf(body);
  if (
    typeof token === 'string' &&
    token !== '' &&
    typeof type === 'string' &&
    type.toLowerCase() === 'bearer' &&
    typeof expiresIn === 'number' &&
    Number.isFinite(expiresIn) &&
    expiresIn > 0
  ) {
    return { accessToken: token, expiresInMs: expiresIn * 1000 };
  }
  throw new ApiError(502, 'The server sent a token answer this app does not understand.');
}

/** A user from `GET /users/me`, or from a `201` of registration (which has no `email_verified`). */
function parseUser(body: unknown): User {
  const { id, email, email_verified: verified }: Unchecked<MeOut> = fieldsOf(body);
  if (
    (typeof id === 'string' || typeof id === 'number') &&
    typeof email === 'string' &&
    (typeof verified === 'boolean' || verified === undefined)
  ) {
    return { id: String(id), email, emailVerified: verified ?? null };
  }
  throw new ApiError(502, 'The server sent a user this app does not understand.');
}

function parseDate(value: unknown): Date | null {
  if (typeof value !== 'string') return null;
  const date = new Date(value);
  return Number.isNaN(date.getTime()) ? null : date;
}

function parseSession(item: unknown): SessionInfo | null {
  const record: Unchecked<SessionOut> = fieldsOf(item);
  const { id, current } = record;
  const createdAt = parseDate(record.created_at);
  const lastUsedAt = record.last_used_at == null ? null : parseDate(record.last_used_at);
  const userAgent = record.user_agent;
  const idOk = typeof id === 'string' || typeof id === 'number';
  const agentOk = typeof userAgent === 'string' || userAgent == null;
  if (!idOk || typeof current !== 'boolean' || createdAt === null || !agentOk) return null;
  if (record.last_used_at != null && lastUsedAt === null) return null;
  return { id: String(id), createdAt, lastUsedAt, userAgent: userAgent ?? null, current };
}

function parseSessions(body: unknown): SessionInfo[] {
  const sessions = Array.isArray(body) ? (body as unknown[]).map(parseSession) : [null];
  if (sessions.some((session) => session === null)) {
    throw new ApiError(502, 'The server sent a session list this app does not understand.');
  }
  return sessions as SessionInfo[];
}

/** The `detail` sentence of a 202 answer, or `fallback` when the body has none. */
function acceptedMessage(body: unknown, fallback: string): string {
  const { detail }: Unchecked<AcceptedOut> = fieldsOf(body);
  return typeof detail === 'string' && detail.trim() !== '' ? detail.trim() : fallback;
}

/**
 * What a call of the generated client resolves to: `data` on success, else `error`. When the
 * transport threw (no answer at all, the session ended), `error` is what it threw and there is
 * no response, whatever the generated types say.
 */
interface Outcome<T> {
  data?: T;
  error?: unknown;
  response?: Response;
}

/**
 * The data and status of a call's successful answer; an error answer becomes an `ApiError` with a
 * sentence for `action`, and what a transport threw is thrown again as it is.
 */
async function answered<T>(call: Promise<Outcome<T>>, action: ApiAction): Promise<{ data: T; status: number }> {
  const { data, error, response } = await call;
  if (response === undefined) throw error;
  if (!response.ok || data === undefined) throw apiErrorFromAnswer(response, error, action);
  return { data, status: response.status };
}

/** A generated client whose every request goes through `transport`. */
function generatedClient(apiUrl: string, transport: (request: Request) => Promise<Response>): Client {
  return createClient({
    baseUrl: apiUrl,
    // The API answers JSON or nothing (204): read it as JSON whatever a proxy's headers say.
    parseAs: 'json',
    // Cookies go only where a call asks for them: login, refresh, logout.
    credentials: 'omit',
    fetch: (input, init) => transport(new Request(input, init)),
  });
}

export class AuthClient {
  readonly #apiUrl: string;
  readonly #fetch: FetchLike;
  readonly #clock: Clock;
  readonly #random: () => number;
  readonly #channel: AuthChannel | null;
  readonly #lock: RefreshLock;
  readonly #unsubscribeChannel: () => void;
  readonly #listeners = new Set<() => void>();
  /** Generated-client calls without a token: the cookie calls and the anonymous ones. */
  readonly #public: Client;
  /**
   * The generated client for protected calls. Its transport is `request()`'s: the bearer token,
   * one refresh shared by every call that got a 401, one retry. Pass it to any function of
   * src/client, e.g. `listSessions({ client: auth.api })`.
   */
  readonly api: Client;

  #state: AuthState = { status: 'signed-out', notice: null };
  #accessToken: string | null = null;
  #expiresAt = 0;
  #refreshTimer: unknown = null;
  /** The one refresh in flight in this tab; every caller that needs a new token awaits it. */
  #refreshing: Promise<string> | null = null;
  #restoring: Promise<void> | null = null;
  /**
   * Bumped whenever the session is replaced or ended. A slow answer that started under an older
   * epoch is dropped, so a refresh finishing after a logout cannot bring the session back.
   */
  #epoch = 0;

  constructor(options: AuthClientOptions) {
    this.#apiUrl = options.apiUrl.replace(/\/+$/, '');
    this.#fetch = options.fetch;
    this.#clock = options.clock ?? systemClock;
    this.#random = options.random ?? Math.random;
    this.#channel = options.channel ?? null;
    this.#lock = options.refreshLock ?? noRefreshLock;
    this.#unsubscribeChannel = this.#channel?.subscribe((m) => this.#onOtherTab(m)) ?? (() => {});
    this.#public = generatedClient(this.#apiUrl, (request) => this.#send(request));
    this.api = generatedClient(this.#apiUrl, (request) => this.#authorized(request));
  }

  getState = (): AuthState => this.#state;

  subscribe = (listener: () => void): (() => void) => {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  };

  /** Stops timers and cross-tab listening (tests, hot reload). */
  dispose(): void {
    this.#clearRefreshTimer();
    this.#unsubscribeChannel();
    this.#listeners.clear();
  }

  /** On page load: trade the refresh cookie, if any, for an access token. Never throws. */
  restoreSession(): Promise<void> {
    if (this.#restoring !== null) return this.#restoring;
    this.#setState({ status: 'restoring' });
    const epoch = this.#epoch;
    this.#restoring = (async () => {
      try {
        const token = await this.#refresh();
        const user = await this.#fetchUser(token);
        if (epoch === this.#epoch) this.#setState({ status: 'signed-in', user });
      } catch (error) {
        // No cookie, or an expired one: simply signed out. Nothing to announce to other tabs.
        if (epoch === this.#epoch) {
          const unreachable = error instanceof ApiError && error.status === 0;
          this.#clearSession(unreachable ? error.message : null);
        }
      } finally {
        this.#restoring = null;
      }
    })();
    return this.#restoring;
  }

  /** Throws `ApiError` with a message to show. The password is sent once and never kept. */
  async login(email: string, password: string): Promise<void> {
    const epoch = ++this.#epoch;
    const { data } = await answered(
      sdk.login({
        client: this.#public,
        credentials: 'include',
        headers: CSRF_HEADER,
        body: { username: email, password },
      }),
      'login',
    );
    const grant = parseTokenGrant(data);
    if (epoch !== this.#epoch) return;
    this.#applyGrant(grant);
    const user = await this.#fetchUser(grant.accessToken);
    if (epoch !== this.#epoch) return;
    this.#setState({ status: 'signed-in', user });
    this.#channel?.post({ type: 'signed-in', userId: user.id });
  }

  /**
   * Creates an account; does not sign in. `201`: ready to sign in; `202`: a verification mail is
   * on its way (when the project requires verified addresses). Throws `ApiError` (409, 422...).
   */
  async register(email: string, password: string): Promise<RegisterResult> {
    // By path, like the two verification calls below: the code is the same in every project,
    // and a project that switches these routes off has no function for them in src/client.
    const { data, status } = await answered(
      this.#public.post({ url: '/auth/register', body: { email, password } }),
      'register',
    );
    if (status === 202) {
      return { kind: 'verification-sent', message: acceptedMessage(data, CHECK_YOUR_EMAIL) };
    }
    return { kind: 'created', user: parseUser(data) };
  }

  /** Proves the address with the token from the mailed link. Throws `ApiError` (400: bad link). */
  async verifyEmail(token: string): Promise<void> {
    await answered(this.#public.post({ url: '/auth/verify-email', body: { token } }), 'verify');
  }

  /** Asks for a new verification link; the answer is the same whether or not the address exists. */
  async resendVerification(email: string): Promise<void> {
    const body: EmailIn = { email };
    await answered(this.#public.post({ url: '/auth/verify-email/resend', body }), 'request');
  }

  /** Asks for a password-reset link; the answer is the same whether or not the address exists. */
  async forgotPassword(email: string): Promise<void> {
    await answered(sdk.forgotPassword({ client: this.#public, body: { email } }), 'request');
  }

  /**
   * Sets a new password with the token from the mailed link; the server ends every session of
   * the account. Throws `ApiError`: 400 for a bad link, 422 for a password it refuses (the link
   * still works, so the person can try another).
   */
  async resetPassword(token: string, newPassword: string): Promise<void> {
    const body = { token, new_password: newPassword };
    await answered(sdk.resetPassword({ client: this.#public, body }), 'reset');
  }

  /** Changes the signed-in user's password; the server ends the account's other sessions. */
  async changePassword(currentPassword: string, newPassword: string): Promise<void> {
    const body = { current_password: currentPassword, new_password: newPassword };
    await answered(sdk.changePassword({ client: this.api, body }), 'change-password');
  }

  /** The account's live sessions, this browser's marked `current`. */
  async listSessions(): Promise<SessionInfo[]> {
    const { data } = await answered(sdk.listSessions({ client: this.api }), 'request');
    return parseSessions(data);
  }

  /** Ends one session of the account (the browser holding it is signed out at its next refresh). */
  async endSession(id: string): Promise<void> {
    await answered(sdk.endSession({ client: this.api, path: { session_id: id } }), 'end-session');
  }

  /** Ends every session of the account except this browser's. */
  async endOtherSessions(): Promise<void> {
    await answered(sdk.endOtherSessions({ client: this.api }), 'request');
  }

  /**
   * Ends the session here and in every tab at once, then asks the server to revoke the refresh
   * family and clear the cookie. Never throws: if the server cannot confirm, the login page says so.
   */
  async logout(): Promise<void> {
    // A refresh in flight would set a fresh cookie after our logout; let it land first.
    await this.#refreshing?.catch(() => undefined);
    const token = this.#accessToken;
    this.#clearSession(null);
    this.#channel?.post({ type: 'signed-out' });
    const headers: Record<string, string> = { ...CSRF_HEADER };
    if (token !== null) headers.Authorization = `Bearer ${token}`;
    try {
      // Under the refresh lock, so no other tab rotates the cookie while this call revokes it.
      await this.#lock.run(() =>
        answered(sdk.logout({ client: this.#public, credentials: 'include', headers }), 'logout'),
      );
    } catch (error) {
      // 401: the session was already gone on the server, which is what logout wants anyway.
      if (error instanceof ApiError && error.status === 401) return;
      const reason = error instanceof ApiError ? error.message : String(error);
      if (this.#state.status === 'signed-out') {
        this.#setState({ status: 'signed-out', notice: `${LOGOUT_UNCONFIRMED} ${reason}` });
      }
    }
  }

  /**
   * `fetch` for protected endpoints (`api` uses it for every call): adds the bearer token; on a
   * 401 refreshes once (shared with every other caller that hit a 401 meanwhile) and retries once.
   */
  async request(path: string, init: RequestInit = {}): Promise<Response> {
    return this.#authorized(new Request(`${this.#apiUrl}${path}`, init));
  }

  /** GET /users/me, keeping the signed-in user in the state up to date. */
  async loadCurrentUser(): Promise<User> {
    const { data } = await answered(sdk.readMe({ client: this.api }), 'request');
    const user = parseUser(data);
    if (this.#state.status === 'signed-in') this.#setState({ status: 'signed-in', user });
    return user;
  }

  // --- internals -------------------------------------------------------------------------

  async #tokenNewerThan(staleToken: string): Promise<string> {
    // Another caller already refreshed after our request left: use its token, no new refresh.
    if (this.#accessToken !== null && this.#accessToken !== staleToken) return this.#accessToken;
    if (this.#accessToken === null) throw new ApiError(401, SESSION_ENDED);
    try {
      return await this.#refresh();
    } catch (error) {
      this.#onRefreshFailed(error);
      throw error;
    }
  }

  /** Single-flight: concurrent callers share one POST /auth/refresh. */
  #refresh(): Promise<string> {
    if (this.#refreshing !== null) return this.#refreshing;
    const epoch = this.#epoch;
    const attempt = this.#lock
      .run(async () => {
        const { data } = await answered(
          sdk.refresh({ client: this.#public, credentials: 'include', headers: CSRF_HEADER }),
          'refresh',
        );
        return parseTokenGrant(data);
      })
      .then((grant) => {
        if (epoch !== this.#epoch) throw new SupersededError();
        this.#applyGrant(grant);
        return grant.accessToken;
      })
      .finally(() => {
        this.#refreshing = null;
      });
    this.#refreshing = attempt;
    return attempt;
  }

  /** A refused refresh ends the session everywhere; a network blip or 429 does not. */
  #onRefreshFailed(error: unknown): void {
    const refused =
      error instanceof ApiError &&
      !(error instanceof SupersededError) &&
      (error.status === 401 || error.status === 403);
    if (refused && (this.#accessToken !== null || this.#state.status === 'signed-in')) {
      this.#clearSession(SESSION_ENDED);
      this.#channel?.post({ type: 'signed-out' });
    }
  }

  #applyGrant(grant: TokenGrant): void {
    this.#accessToken = grant.accessToken;
    this.#expiresAt = this.#clock.now() + grant.expiresInMs;
    this.#scheduleRefresh(refreshDelayMs(grant.expiresInMs, this.#random));
  }

  #scheduleRefresh(delayMs: number): void {
    this.#clearRefreshTimer();
    this.#refreshTimer = this.#clock.setTimeout(() => {
      this.#refreshTimer = null;
      this.#refresh().catch((error: unknown) => {
        this.#onRefreshFailed(error);
        // Transient failure: try again while the token still has life left. Once it has
        // expired, the next request's 401 triggers the refresh instead.
        const remaining = this.#expiresAt - this.#clock.now();
        if (this.#accessToken !== null && remaining > 2_000) {
          this.#scheduleRefresh(Math.min(10_000, remaining / 2));
        }
      });
    }, delayMs);
  }

  #clearRefreshTimer(): void {
    if (this.#refreshTimer !== null) this.#clock.clearTimeout(this.#refreshTimer);
    this.#refreshTimer = null;
  }

  #clearSession(notice: string | null): void {
    this.#epoch += 1;
    this.#accessToken = null;
    this.#expiresAt = 0;
    this.#clearRefreshTimer();
    this.#setState({ status: 'signed-out', notice });
  }

  #onOtherTab(message: AuthMessage): void {
    if (message.type === 'signed-out') {
      if (this.#state.status !== 'signed-out' || this.#accessToken !== null) {
        this.#clearSession(SIGNED_OUT_ELSEWHERE);
      }
      return;
    }
    // Another tab signed in: follow it. A tab holding a *different* user's session drops it
    // first, so no page keeps showing one account while the cookie belongs to another.
    const state = this.#state;
    if (state.status === 'signed-in' && state.user.id === message.userId) return;
    if (state.status === 'signed-in') this.#clearSession(null);
    void this.restoreSession();
  }

  /** The user a token belongs to, with exactly that token: no refresh, no retry. */
  async #fetchUser(token: string): Promise<User> {
    const headers = { Authorization: `Bearer ${token}` };
    const { data } = await answered(sdk.readMe({ client: this.#public, headers }), 'request');
    return parseUser(data);
  }

  /** The transport of protected calls (`request()` and `api`); see `request()`. */
  async #authorized(request: Request): Promise<Response> {
    if (this.#restoring !== null) await this.#restoring;
    const token = this.#accessToken;
    if (token === null) throw new ApiError(401, SESSION_ENDED);
    // The first attempt sends a copy, so the request, body and all, is still there to retry.
    const first = await this.#sendWithToken(request.clone(), token);
    if (first.status !== 401) return first;

    const fresh = await this.#tokenNewerThan(token);
    const retry = await this.#sendWithToken(request, fresh);
    if (retry.status === 401 && this.#accessToken === fresh) {
      // A token minted a moment ago was refused: refreshing again would loop. End it here.
      this.#clearSession(SESSION_ENDED);
    }
    return retry;
  }

  #sendWithToken(request: Request, token: string): Promise<Response> {
    const headers = new Headers(request.headers);
    headers.set('Authorization', `Bearer ${token}`);
    // The bearer header is the credential here; cookies are not needed and not sent.
    return this.#send(new Request(request, { headers, credentials: 'omit' }));
  }

  /** Where every request meets the network; one that gets no answer becomes an `ApiError`. */
  async #send(request: Request): Promise<Response> {
    try {
      return await this.#fetch(request);
    } catch {
      throw networkError(this.#apiUrl);
    }
  }

  #setState(next: AuthState): void {
    this.#state = next;
    for (const listener of this.#listeners) listener();
  }
}
