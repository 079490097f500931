// An in-memory stand-in for the backend's auth contract (DESIGN §3) plus the browser's cookie jar,
// so the auth client's tests exercise real HTTP shapes: rotation, reuse detection, CSRF header.

import type { FetchLike } from '../auth-client';
import type { AuthChannel, AuthMessage, RefreshLock } from '../cross-tab';

export interface RecordedCall {
  method: string;
  path: string;
  headers: Headers;
  credentials: RequestCredentials | undefined;
}

interface RefreshRecord {
  userId: string;
  family: number;
  used: boolean;
}

const json = (status: number, body: unknown, headers: Record<string, string> = {}): Response =>
  new Response(JSON.stringify(body), {
    status,
    headers: { 'Content-Type': 'application/json', ...headers },
  });

export class FakeBackend {
  readonly users = [{ id: '1', email: 'ada@example.com', password: 'correct horse battery staple' }];
  readonly calls: RecordedCall[] = [];
  /** The browser's HttpOnly refresh cookie: shared by every tab, invisible to page scripts. */
  cookie: string | null = null;
  accessLifetimeSeconds = 900;
  /** When set, /auth/refresh waits for it after reading the cookie (to make calls overlap). */
  refreshGate: Promise<void> | null = null;
  /** Forces /auth/refresh to answer this status (e.g. 503) instead of doing its work. */
  refreshStatus: number | null = null;
  reuseDetected = 0;
  /** Makes /users/me refuse every token, even one minted a moment ago. */
  rejectAllAccessTokens = false;

  readonly #now: () => number;
  readonly #refreshTokens = new Map<string, RefreshRecord>();
  readonly #revokedFamilies = new Set<number>();
  readonly #accessTokens = new Map<string, { userId: string; expiresAt: number }>();
  #sequence = 0;
  #heldMe: Promise<void> | null = null;
  readonly #everyAccessToken: string[] = [];

  constructor(now: () => number = () => Date.now()) {
    this.#now = now;
  }

  count(path: string): number {
    return this.calls.filter((call) => call.path === path).length;
  }

  /** Every access token issued so far stops working, as if they had all expired. */
  expireAccessTokens(): void {
    this.#accessTokens.clear();
  }

  /** Signs a user in from "another device" state: a valid refresh cookie is in the jar. */
  seedRefreshCookie(userId = '1'): void {
    this.cookie = this.#issueRefresh(userId, ++this.#sequence);
  }

  /** Delays the answer to the next GET /users/me until the returned function is called. */
  holdNextMe(): () => void {
    const gate = deferred();
    this.#heldMe = gate.promise;
    return gate.resolve;
  }

  /** Every access token ever issued, expired ones included. */
  issuedAccessTokens(): string[] {
    return [...this.#everyAccessToken];
  }

  fetch: FetchLike = async (url, init) => {
    const { pathname } = new URL(url);
    const headers = new Headers(init.headers);
    const method = init.method ?? 'GET';
    this.calls.push({ method, path: pathname, headers, credentials: init.credentials });
    // Like a browser: the cookie (path /auth) goes only with credentials 'include'.
    const sentCookie =
      init.credentials === 'include' && pathname.startsWith('/auth/') ? this.cookie : null;
    const csrfOk = headers.get('X-Requested-With') === 'XMLHttpRequest';

    if (method === 'POST' && pathname === '/auth/login') return this.#login(init, csrfOk);
    if (method === 'POST' && pathname === '/auth/refresh') return this.#refresh(sentCookie, csrfOk);
    if (method === 'POST' && pathname === '/auth/logout') return this.#logout(sentCookie, csrfOk);
    if (method === 'POST' && pathname === '/auth/register') return this.#register(init);
    if (method === 'GET' && pathname === '/users/me') return this.#me(headers);
    return json(401, { detail: 'Not authenticated' });
  };

  #login(init: RequestInit, csrfOk: boolean): Response {
    if (!csrfOk || !(init.body instanceof URLSearchParams)) return json(403, { detail: 'Forbidden' });
    const form = init.body;
    const match = this.users.find(
      (u) => u.email === form.get('username') && u.password === form.get('password'),
    );
    if (match === undefined) return json(401, { detail: 'Invalid credentials' });
    this.cookie = this.#issueRefresh(match.id, ++this.#sequence);
    return json(200, this.#grant(match.id), { 'Cache-Control': 'no-store' });
  }

  async #refresh(sentCookie: string | null, csrfOk: boolean): Promise<Response> {
    if (this.refreshGate !== null) await this.refreshGate;
    if (this.refreshStatus !== null) return json(this.refreshStatus, { detail: 'Unavailable' });
    if (!csrfOk) return json(403, { detail: 'Forbidden' });
    const record = sentCookie === null ? undefined : this.#refreshTokens.get(sentCookie);
    if (record === undefined || this.#revokedFamilies.has(record.family)) {
      return json(401, { detail: 'Not authenticated' });
    }
    if (record.used) {
      // A rotated token came back: someone replayed it. Kill the whole family (DESIGN §3).
      this.reuseDetected += 1;
      this.#revokedFamilies.add(record.family);
      return json(401, { detail: 'Not authenticated' });
    }
    record.used = true;
    this.cookie = this.#issueRefresh(record.userId, record.family);
    return json(200, this.#grant(record.userId), { 'Cache-Control': 'no-store' });
  }

  #logout(sentCookie: string | null, csrfOk: boolean): Response {
    if (!csrfOk) return json(403, { detail: 'Forbidden' });
    const record = sentCookie === null ? undefined : this.#refreshTokens.get(sentCookie);
    if (record !== undefined) this.#revokedFamilies.add(record.family);
    this.cookie = null;
    return new Response(null, { status: 204 });
  }

  #register(init: RequestInit): Response {
    const body: unknown = JSON.parse(typeof init.body === 'string' ? init.body : '{}');
    const { email, password } = body as { email?: unknown; password?: unknown };
    if (typeof email !== 'string' || typeof password !== 'string' || password.length < 12) {
      return json(422, {
        detail: [{ loc: ['body', 'password'], msg: 'must be at least 12 characters' }],
      });
    }
    if (this.users.some((u) => u.email === email)) {
      return json(409, { detail: 'This email is already registered.' });
    }
    const user = { id: String(this.users.length + 1), email, password };
    this.users.push(user);
    return json(201, { id: user.id, email });
  }

  async #me(headers: Headers): Promise<Response> {
    const held = this.#heldMe;
    this.#heldMe = null;
    if (held !== null) await held;
    const token = headers.get('Authorization')?.replace(/^Bearer /, '') ?? '';
    const access = this.#accessTokens.get(token);
    if (this.rejectAllAccessTokens || access === undefined || access.expiresAt <= this.#now()) {
      return json(401, { detail: 'Not authenticated' }, { 'WWW-Authenticate': 'Bearer' });
    }
    const user = this.users.find((u) => u.id === access.userId);
    return json(200, { id: Number(user?.id), email: user?.email });
  }

  #issueRefresh(userId: string, family: number): string {
    const token = `refresh-${++this.#sequence}`;
    this.#refreshTokens.set(token, { userId, family, used: false });
    return token;
  }

  #grant(userId: string): { access_token: string; token_type: string; expires_in: number } {
    const token = `access-${++this.#sequence}`;
    this.#everyAccessToken.push(token);
    this.#accessTokens.set(token, {
      userId,
      expiresAt: this.#now() + this.accessLifetimeSeconds * 1000,
    });
    return { access_token: token, token_type: 'bearer', expires_in: this.accessLifetimeSeconds };
  }
}

/** BroadcastChannel semantics: delivery to every *other* member, asynchronously. */
export class FakeChannelHub {
  readonly #members = new Set<(message: AuthMessage) => void>();
  readonly posted: AuthMessage[] = [];

  join(): AuthChannel {
    let own: ((message: AuthMessage) => void) | null = null;
    return {
      post: (message) => {
        this.posted.push(message);
        // structuredClone mirrors the real channel: receivers get a copy, never a shared object.
        const copy = structuredClone(message);
        for (const member of this.#members) {
          if (member !== own) queueMicrotask(() => member(copy));
        }
      },
      subscribe: (handler) => {
        own = handler;
        this.#members.add(handler);
        return () => this.#members.delete(handler);
      },
    };
  }
}

/** Web Locks semantics for one lock name: tasks run one at a time, in request order. */
export function fakeSharedLock(): RefreshLock & { maxConcurrent: number } {
  let tail: Promise<unknown> = Promise.resolve();
  let running = 0;
  const lock = {
    maxConcurrent: 0,
    run<T>(task: () => Promise<T>): Promise<T> {
      const result = tail.then(async () => {
        running += 1;
        lock.maxConcurrent = Math.max(lock.maxConcurrent, running);
        try {
          return await task();
        } finally {
          running -= 1;
        }
      });
      tail = result.catch(() => undefined);
      return result;
    },
  };
  return lock;
}

export function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve: () => void = () => {};
  const promise = new Promise<void>((r) => {
    resolve = r;
  });
  return { promise, resolve };
}
