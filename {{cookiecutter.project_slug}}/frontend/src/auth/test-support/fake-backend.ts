// An in-memory stand-in for the backend's auth contract plus the browser's cookie jar, so the
// auth client's tests exercise real HTTP shapes: rotation, reuse detection, CSRF header, one-time
// links, sessions.

import type { FetchLike } from '../auth-client';
import type { AuthChannel, AuthMessage, RefreshLock } from '../cross-tab';

export interface RecordedCall {
  method: string;
  path: string;
  headers: Headers;
  credentials: RequestCredentials | undefined;
  body: string | undefined;
}

interface RefreshRecord {
  userId: string;
  family: number;
  used: boolean;
}

interface FakeUser {
  id: string;
  email: string;
  password: string;
  verified: boolean;
}

/** A mail the fake server "sent": what a person would find in their inbox. */
export interface SentMail {
  to: string;
  kind: 'verify' | 'reset' | 'account-exists';
  token: string | null;
}

interface Family {
  userId: string;
  createdAt: string;
  lastUsedAt: string | null;
}

export const ACCEPTED_REGISTRATION = 'Check your inbox: we sent a link to confirm the address.';
export const NOT_VERIFIED = 'This email address is not verified yet. Open the link we sent you.';
export const WRONG_CURRENT_PASSWORD = 'The current password is not correct.';
const WEAK_PASSWORD = [{ loc: ['body', 'password'], msg: 'must be at least 12 characters' }];

function readJson(text: string | undefined): Record<string, unknown> {
  const body: unknown = JSON.parse(text ?? '{}');
  return typeof body === 'object' && body !== null ? (body as Record<string, unknown>) : {};
}

const json = (status: number, body: unknown, headers: Record<string, string> = {}): Response =>
  new Response(JSON.stringify(body), {
    status,
    headers: { 'Content-Type': 'application/json', ...headers },
  });

export class FakeBackend {
  readonly users: FakeUser[] = [
    { id: '1', email: 'ada@example.com', password: 'correct horse battery staple', verified: true },
  ];
  readonly mailbox: SentMail[] = [];
  /** Registration answers 202 and sends a link, as a project with verification required does. */
  verificationRequired = false;
  /** Leaves `email_verified` out of /users/me, as a server that does not know it would. */
  omitEmailVerified = false;
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
  readonly #accessTokens = new Map<string, { userId: string; family: number; expiresAt: number }>();
  readonly #families = new Map<number, Family>();
  readonly #linkTokens = new Map<string, { userId: string; kind: 'verify' | 'reset' }>();
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
    this.cookie = this.#issueRefresh(userId, this.#newFamily(userId));
  }

  /** A session of `userId` held by some other browser, as a login there would leave it. */
  seedOtherSession(userId = '1'): string {
    const family = this.#newFamily(userId);
    this.#issueRefresh(userId, family);
    return String(family);
  }

  /** Ids of the live sessions of `userId`. */
  liveSessions(userId = '1'): string[] {
    return [...this.#families.entries()]
      .filter(([family, record]) => record.userId === userId && !this.#revokedFamilies.has(family))
      .map(([family]) => String(family));
  }

  /** The token of the last link mailed to `email`. */
  lastLinkTo(email: string, kind: 'verify' | 'reset'): string {
    const mail = this.mailbox.findLast((m) => m.to === email && m.kind === kind);
    if (mail?.token == null) throw new Error(`no ${kind} link was mailed to ${email}`);
    return mail.token;
  }

  /** The JSON body of the last call to `path`. */
  lastJsonBody(path: string): unknown {
    const call = this.calls.findLast((c) => c.path === path);
    return call?.body === undefined ? undefined : JSON.parse(call.body);
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

  fetch: FetchLike = async (request) => {
    const { pathname } = new URL(request.url);
    const { headers, method, credentials } = request;
    const text = await request.text();
    const body = text === '' ? undefined : text;
    this.calls.push({ method, path: pathname, headers, credentials, body });
    // Like a browser: the cookie (path /auth) goes only with credentials 'include'.
    const sentCookie = credentials === 'include' && pathname.startsWith('/auth/') ? this.cookie : null;
    const csrfOk = headers.get('X-Requested-With') === 'XMLHttpRequest';

    if (method === 'POST' && pathname === '/auth/login') return this.#login({ body, headers }, csrfOk);
    if (method === 'POST' && pathname === '/auth/refresh') return this.#refresh(sentCookie, csrfOk);
    if (method === 'POST' && pathname === '/auth/logout') return this.#logout(sentCookie, csrfOk);
    if (method === 'POST' && pathname === '/auth/register') return this.#register(body);
    if (method === 'GET' && pathname === '/users/me') return this.#me(headers);
    if (method === 'POST' && pathname === '/auth/verify-email') return this.#verify(body);
    if (method === 'POST' && pathname === '/auth/verify-email/resend') return this.#resend(body);
    if (method === 'POST' && pathname === '/auth/password/forgot') return this.#forgot(body);
    if (method === 'POST' && pathname === '/auth/password/reset') return this.#reset(body);
    const caller = this.#bearer(headers);
    if (caller === null) {
      return json(401, { detail: 'Not authenticated' }, { 'WWW-Authenticate': 'Bearer' });
    }
    if (method === 'POST' && pathname === '/auth/password/change') return this.#change(body, caller);
    if (method === 'GET' && pathname === '/auth/sessions') return this.#sessions(caller);
    if (method === 'POST' && pathname === '/auth/sessions/revoke-others') {
      return this.#endFamilies(caller, (family) => family !== caller.family);
    }
    const ending = /^\/auth\/sessions\/([^/]+)$/.exec(pathname);
    if (method === 'DELETE' && ending !== null) return this.#endOne(caller, decodeURIComponent(ending[1] ?? ''));
    return json(404, { detail: 'Not Found' });
  };

  #bearer(headers: Headers): { userId: string; family: number } | null {
    const token = headers.get('Authorization')?.replace(/^Bearer /, '') ?? '';
    const access = this.#accessTokens.get(token);
    if (this.rejectAllAccessTokens || access === undefined || access.expiresAt <= this.#now()) return null;
    return access;
  }

  #verify(body: string | undefined): Response {
    const { token } = readJson(body);
    const link = typeof token === 'string' ? this.#linkTokens.get(token) : undefined;
    if (link?.kind !== 'verify') return json(400, { detail: 'Invalid or expired link.' });
    this.#linkTokens.delete(String(token));
    const user = this.users.find((u) => u.id === link.userId);
    if (user !== undefined) user.verified = true;
    return new Response(null, { status: 204 });
  }

  #resend(body: string | undefined): Response {
    const { email } = readJson(body);
    const user = this.users.find((u) => u.email === email && !u.verified);
    if (user !== undefined) this.#mail(user, 'verify');
    return json(202, { detail: 'If the address is waiting for verification, a new link is on its way.' });
  }

  #forgot(body: string | undefined): Response {
    const { email } = readJson(body);
    const user = this.users.find((u) => u.email === email);
    if (user !== undefined) {
      // A newer link voids the older ones.
      for (const [token, link] of this.#linkTokens) {
        if (link.userId === user.id && link.kind === 'reset') this.#linkTokens.delete(token);
      }
      this.#mail(user, 'reset');
    }
    return json(202, { detail: 'If the address has an account, a reset link is on its way.' });
  }

  #reset(body: string | undefined): Response {
    const { token, new_password: password } = readJson(body);
    const link = typeof token === 'string' ? this.#linkTokens.get(token) : undefined;
    if (link?.kind !== 'reset') return json(400, { detail: 'Invalid or expired link.' });
    if (typeof password !== 'string' || password.length < 12) return json(422, { detail: WEAK_PASSWORD });
    this.#linkTokens.delete(String(token));
    const user = this.users.find((u) => u.id === link.userId);
    if (user !== undefined) user.password = password;
    this.#endFamilies({ userId: link.userId, family: -1 }, () => true);
    return new Response(null, { status: 204 });
  }

  #change(body: string | undefined, caller: { userId: string; family: number }): Response {
    const { current_password: current, new_password: password } = readJson(body);
    const user = this.users.find((u) => u.id === caller.userId);
    if (user === undefined || user.password !== current) {
      return json(400, { detail: WRONG_CURRENT_PASSWORD });
    }
    if (typeof password !== 'string' || password.length < 12) return json(422, { detail: WEAK_PASSWORD });
    user.password = password;
    return this.#endFamilies(caller, (family) => family !== caller.family);
  }

  #sessions(caller: { userId: string; family: number }): Response {
    const live = [...this.#families.entries()].filter(
      ([family, record]) => record.userId === caller.userId && !this.#revokedFamilies.has(family),
    );
    return json(
      200,
      live.map(([family, record]) => ({
        id: String(family),
        created_at: record.createdAt,
        last_used_at: record.lastUsedAt,
        user_agent: 'Mozilla/5.0 (X11; Linux x86_64) Fake/1.0',
        current: family === caller.family,
      })),
    );
  }

  #endOne(caller: { userId: string; family: number }, id: string): Response {
    const family = Number(id);
    const record = this.#families.get(family);
    if (record?.userId !== caller.userId || this.#revokedFamilies.has(family)) {
      return json(404, { detail: 'Not Found' });
    }
    this.#revokedFamilies.add(family);
    return new Response(null, { status: 204 });
  }

  #endFamilies(caller: { userId: string; family: number }, end: (family: number) => boolean): Response {
    for (const [family, record] of this.#families) {
      if (record.userId === caller.userId && end(family)) this.#revokedFamilies.add(family);
    }
    return new Response(null, { status: 204 });
  }

  #mail(user: FakeUser, kind: 'verify' | 'reset'): void {
    const token = `link-${++this.#sequence}`;
    this.#linkTokens.set(token, { userId: user.id, kind });
    this.mailbox.push({ to: user.email, kind, token });
  }

  #newFamily(userId: string): number {
    const family = ++this.#sequence;
    this.#families.set(family, { userId, createdAt: new Date(this.#now()).toISOString(), lastUsedAt: null });
    return family;
  }

  #login(request: { body: string | undefined; headers: Headers }, csrfOk: boolean): Response {
    const isForm = request.headers.get('Content-Type')?.startsWith('application/x-www-form-urlencoded');
    if (!csrfOk || isForm !== true) return json(403, { detail: 'Forbidden' });
    const form = new URLSearchParams(request.body);
    const match = this.users.find(
      (u) => u.email === form.get('username') && u.password === form.get('password'),
    );
    if (match === undefined) return json(401, { detail: 'Invalid credentials' });
    // Like the real backend: only a project that requires verification refuses an unproven address.
    if (!match.verified && this.verificationRequired) return json(403, { detail: NOT_VERIFIED });
    const family = this.#newFamily(match.id);
    this.cookie = this.#issueRefresh(match.id, family);
    return json(200, this.#grant(match.id, family), { 'Cache-Control': 'no-store' });
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
      // A rotated token came back: someone replayed it. Kill the whole family.
      this.reuseDetected += 1;
      this.#revokedFamilies.add(record.family);
      return json(401, { detail: 'Not authenticated' });
    }
    record.used = true;
    const family = this.#families.get(record.family);
    if (family !== undefined) family.lastUsedAt = new Date(this.#now()).toISOString();
    this.cookie = this.#issueRefresh(record.userId, record.family);
    return json(200, this.#grant(record.userId, record.family), { 'Cache-Control': 'no-store' });
  }

  #logout(sentCookie: string | null, csrfOk: boolean): Response {
    if (!csrfOk) return json(403, { detail: 'Forbidden' });
    const record = sentCookie === null ? undefined : this.#refreshTokens.get(sentCookie);
    if (record !== undefined) this.#revokedFamilies.add(record.family);
    this.cookie = null;
    return new Response(null, { status: 204 });
  }

  #register(body: string | undefined): Response {
    const { email, password } = readJson(body);
    if (typeof email !== 'string' || typeof password !== 'string' || password.length < 12) {
      return json(422, { detail: WEAK_PASSWORD });
    }
    const taken = this.users.find((u) => u.email === email);
    if (this.verificationRequired) {
      // The same answer for a new and a taken address; only the mail differs.
      if (taken === undefined) {
        const user = { id: String(this.users.length + 1), email, password, verified: false };
        this.users.push(user);
        this.#mail(user, 'verify');
      } else {
        this.mailbox.push({ to: email, kind: 'account-exists', token: null });
      }
      return json(202, { detail: ACCEPTED_REGISTRATION });
    }
    if (taken !== undefined) return json(409, { detail: 'This email is already registered.' });
    // Without verification the account signs in at once, its address unproven.
    const user = { id: String(this.users.length + 1), email, password, verified: false };
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
    const verified = this.omitEmailVerified ? {} : { email_verified: user?.verified };
    return json(200, { id: Number(user?.id), email: user?.email, ...verified });
  }

  #issueRefresh(userId: string, family: number): string {
    const token = `refresh-${++this.#sequence}`;
    this.#refreshTokens.set(token, { userId, family, used: false });
    return token;
  }

  #grant(userId: string, family: number): { access_token: string; token_type: string; expires_in: number } {
    const token = `access-${++this.#sequence}`;
    this.#everyAccessToken.push(token);
    this.#accessTokens.set(token, {
      userId,
      family,
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
