// Behaviour of the auth client against a fake backend: what a user would notice, and what an
// attacker could exploit if it went wrong (tokens in storage, refresh reuse, logout loops).

import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { readMe } from '../client/sdk.gen';
import { ApiError, LINK_REFUSED, SESSION_ALREADY_ENDED } from './api-errors';
import {
  AuthClient,
  CHECK_YOUR_EMAIL,
  LOGOUT_UNCONFIRMED,
  SESSION_ENDED,
  SIGNED_OUT_ELSEWHERE,
  refreshDelayMs,
  type AuthState,
} from './auth-client';
import type { AuthChannel, RefreshLock } from './cross-tab';
import {
  ACCEPTED_REGISTRATION,
  FakeBackend,
  FakeChannelHub,
  NOT_VERIFIED,
  WRONG_CURRENT_PASSWORD,
  deferred,
  fakeSharedLock,
} from './test-support/fake-backend';

const EMAIL = 'ada@example.com';
const PASSWORD = 'correct horse battery staple';
const ADA = { id: '1', email: EMAIL, emailVerified: true };

let backend: FakeBackend;
const clients: AuthClient[] = [];

function newTab(options: { channel?: AuthChannel; lock?: RefreshLock } = {}): AuthClient {
  const client = new AuthClient({
    apiUrl: 'http://api.test/',
    fetch: (request) => backend.fetch(request),
    random: () => 0,
    channel: options.channel ?? null,
    ...(options.lock ? { refreshLock: options.lock } : {}),
  });
  clients.push(client);
  return client;
}

async function signedInTab(options: { channel?: AuthChannel; lock?: RefreshLock } = {}) {
  const client = newTab(options);
  await client.login(EMAIL, PASSWORD);
  return client;
}

/** Lets queued microtasks and promise chains (channel deliveries, fetch answers) run. */
async function settle(): Promise<void> {
  for (let i = 0; i < 20; i += 1) await Promise.resolve();
}

function status(client: AuthClient): AuthState['status'] {
  return client.getState().status;
}

beforeEach(() => {
  backend = new FakeBackend();
});

afterEach(() => {
  for (const client of clients.splice(0)) client.dispose();
  vi.useRealTimers();
  vi.unstubAllGlobals();
});

describe('login and session restore', () => {
  it('logs in with a form post that carries the cookie and the CSRF header', async () => {
    const client = await signedInTab();

    const login = backend.calls.find((call) => call.path === '/auth/login');
    expect(login?.credentials).toBe('include');
    expect(login?.headers.get('X-Requested-With')).toBe('XMLHttpRequest');
    expect(client.getState()).toEqual({ status: 'signed-in', user: ADA });
    expect(backend.cookie).not.toBeNull();
  });

  it('shows a wrong password in words and stays signed out', async () => {
    const client = newTab();

    await expect(client.login(EMAIL, 'wrong')).rejects.toThrow('The email or password is incorrect.');
    expect(status(client)).toBe('signed-out');
  });

  it('restores the session from the refresh cookie on page load', async () => {
    backend.seedRefreshCookie();
    const client = newTab();

    const restoring = client.restoreSession();
    expect(status(client)).toBe('restoring');
    await restoring;

    expect(client.getState()).toEqual({ status: 'signed-in', user: ADA });
    const refresh = backend.calls.find((call) => call.path === '/auth/refresh');
    expect(refresh?.credentials).toBe('include');
    expect(refresh?.headers.get('X-Requested-With')).toBe('XMLHttpRequest');
  });

  it('lands signed out, quietly, when there is no cookie', async () => {
    const hub = new FakeChannelHub();
    const client = newTab({ channel: hub.join() });

    await client.restoreSession();

    expect(client.getState()).toEqual({ status: 'signed-out', notice: null });
    expect(hub.posted).toEqual([]);
  });
});

describe('401 handling', () => {
  it('shares one refresh among 10 concurrent 401s and retries each request once', async () => {
    const client = await signedInTab();
    backend.calls.length = 0;
    backend.expireAccessTokens();

    const responses = await Promise.all(
      Array.from({ length: 10 }, () => client.request('/users/me')),
    );

    expect(responses.map((r) => r.status)).toEqual(Array(10).fill(200));
    expect(backend.count('/auth/refresh')).toBe(1);
    expect(backend.count('/users/me')).toBe(20);
    expect(status(client)).toBe('signed-in');
  });

  it('does not refresh again for a 401 that raced a refresh that already finished', async () => {
    const client = await signedInTab();
    backend.expireAccessTokens();
    backend.calls.length = 0;

    // `late` leaves with the old token, but its 401 arrives after `early` has refreshed.
    const release = backend.holdNextMe();
    const late = client.request('/users/me');
    const early = await client.request('/users/me');
    release();

    expect(early.status).toBe(200);
    expect((await late).status).toBe(200);
    expect(backend.count('/auth/refresh')).toBe(1);
  });

  it('retries once, then gives up and signs out instead of looping', async () => {
    const client = await signedInTab();
    backend.calls.length = 0;
    backend.rejectAllAccessTokens = true;

    const response = await client.request('/users/me');
    await settle();

    expect(response.status).toBe(401);
    expect(backend.count('/auth/refresh')).toBe(1);
    expect(backend.count('/users/me')).toBe(2);
    expect(client.getState()).toEqual({ status: 'signed-out', notice: SESSION_ENDED });
    await expect(client.request('/users/me')).rejects.toBeInstanceOf(ApiError);
    expect(backend.calls).toHaveLength(3);
  });

  it('ends the session when the refresh is refused, and tells the other tabs', async () => {
    const hub = new FakeChannelHub();
    const client = await signedInTab({ channel: hub.join() });
    backend.cookie = null;
    backend.expireAccessTokens();
    backend.calls.length = 0;

    await expect(client.request('/users/me')).rejects.toThrow(SESSION_ENDED);

    expect(client.getState()).toEqual({ status: 'signed-out', notice: SESSION_ENDED });
    expect(hub.posted.at(-1)).toEqual({ type: 'signed-out' });
    // No loop: the failed refresh is not retried, and later calls never reach the network.
    await expect(client.request('/users/me')).rejects.toThrow(SESSION_ENDED);
    expect(backend.count('/auth/refresh')).toBe(1);
    expect(backend.calls).toHaveLength(2);
  });

  it('keeps the session through a server hiccup on refresh (503)', async () => {
    const client = await signedInTab();
    backend.expireAccessTokens();
    backend.refreshStatus = 503;

    await expect(client.request('/users/me')).rejects.toThrow('HTTP 503');
    expect(status(client)).toBe('signed-in');

    backend.refreshStatus = null;
    const response = await client.request('/users/me');
    expect(response.status).toBe(200);
  });
});

describe('proactive refresh', () => {
  it('refreshes a minute before a 15-minute token expires, every time', async () => {
    vi.useFakeTimers();
    const client = await signedInTab();
    backend.calls.length = 0;

    await vi.advanceTimersByTimeAsync(14 * 60_000 - 1);
    expect(backend.count('/auth/refresh')).toBe(0);
    await vi.advanceTimersByTimeAsync(1);
    expect(backend.count('/auth/refresh')).toBe(1);

    await vi.advanceTimersByTimeAsync(14 * 60_000);
    expect(backend.count('/auth/refresh')).toBe(2);

    // The refreshed token is the one in use: no 401, so no extra refresh.
    const response = await client.request('/users/me');
    expect(response.status).toBe(200);
    expect(backend.count('/auth/refresh')).toBe(2);
  });

  it('scales the lead and jitter to short lifetimes', () => {
    expect(refreshDelayMs(900_000, () => 0)).toBe(840_000);
    expect(refreshDelayMs(900_000, () => 1)).toBe(835_000);
    expect(refreshDelayMs(10_000, () => 0)).toBe(8_000);
    expect(refreshDelayMs(10_000, () => 1)).toBe(7_000);
  });

  it('signs out when the proactive refresh is refused', async () => {
    vi.useFakeTimers();
    const client = await signedInTab();
    backend.cookie = null;

    await vi.advanceTimersByTimeAsync(14 * 60_000);

    expect(client.getState()).toEqual({ status: 'signed-out', notice: SESSION_ENDED });
    await vi.advanceTimersByTimeAsync(60 * 60_000);
    expect(backend.count('/auth/refresh')).toBe(1);
  });

  it('stops refreshing after logout', async () => {
    vi.useFakeTimers();
    const client = await signedInTab();
    await client.logout();
    backend.calls.length = 0;

    await vi.advanceTimersByTimeAsync(60 * 60_000);

    expect(backend.calls).toHaveLength(0);
  });
});

describe('logout', () => {
  it('sends the cookie, the CSRF header and the bearer token, and clears the session', async () => {
    const client = await signedInTab();
    const token = backend.issuedAccessTokens().at(-1);

    await client.logout();

    const logout = backend.calls.find((call) => call.path === '/auth/logout');
    expect(logout?.credentials).toBe('include');
    expect(logout?.headers.get('X-Requested-With')).toBe('XMLHttpRequest');
    expect(logout?.headers.get('Authorization')).toBe(`Bearer ${token}`);
    expect(client.getState()).toEqual({ status: 'signed-out', notice: null });
    expect(backend.cookie).toBeNull();
  });

  it('signs out locally and says so when the server cannot be reached', async () => {
    const client = await signedInTab();
    backend.fetch = () => Promise.reject(new TypeError('Failed to fetch'));

    await client.logout();

    const state = client.getState();
    expect(state.status).toBe('signed-out');
    expect(state.status === 'signed-out' && state.notice).toContain(LOGOUT_UNCONFIRMED);
  });

  it('is not undone by a refresh that was in flight', async () => {
    const client = await signedInTab();
    backend.expireAccessTokens();
    const gate = deferred();
    backend.refreshGate = gate.promise;

    const pending = client.request('/users/me').catch((error: unknown) => error);
    const loggingOut = client.logout();
    gate.resolve();
    await loggingOut;
    await pending;
    await settle();

    expect(status(client)).toBe('signed-out');
    backend.refreshGate = null;
    await client.restoreSession();
    expect(status(client)).toBe('signed-out');
  });
});

describe('across tabs', () => {
  it('a logout in one tab ends the session in the other, without a network call there', async () => {
    const hub = new FakeChannelHub();
    const lock = fakeSharedLock();
    const tabA = await signedInTab({ channel: hub.join(), lock });
    const tabB = newTab({ channel: hub.join(), lock });
    await tabB.restoreSession();
    expect(status(tabB)).toBe('signed-in');
    backend.calls.length = 0;

    await tabA.logout();
    await settle();

    expect(tabB.getState()).toEqual({ status: 'signed-out', notice: SIGNED_OUT_ELSEWHERE });
    expect(backend.calls.map((call) => call.path)).toEqual(['/auth/logout']);
    await expect(tabB.request('/users/me')).rejects.toThrow(SESSION_ENDED);
  });

  it('a refused refresh in one tab ends the session in the other', async () => {
    const hub = new FakeChannelHub();
    const tabA = await signedInTab({ channel: hub.join() });
    const tabB = newTab({ channel: hub.join() });
    await tabB.restoreSession();
    backend.cookie = null;
    backend.expireAccessTokens();

    await expect(tabA.request('/users/me')).rejects.toThrow(SESSION_ENDED);
    await settle();

    expect(status(tabB)).toBe('signed-out');
  });

  it('a login in one tab signs the others in, and no message carries a token', async () => {
    const hub = new FakeChannelHub();
    const tabA = newTab({ channel: hub.join() });
    const tabB = newTab({ channel: hub.join() });

    await tabA.login(EMAIL, PASSWORD);
    await settle();
    await settle();

    expect(tabB.getState()).toEqual({ status: 'signed-in', user: ADA });
    const wire = JSON.stringify(hub.posted);
    for (const token of backend.issuedAccessTokens()) expect(wire).not.toContain(token);
    expect(wire).not.toContain('refresh-');
  });

  it('tabs never spend the same refresh cookie twice, thanks to the shared lock', async () => {
    const lock = fakeSharedLock();
    const tabA = await signedInTab({ lock });
    const tabB = newTab({ lock });
    await tabB.restoreSession();
    backend.expireAccessTokens();
    const gate = deferred();
    backend.refreshGate = gate.promise;

    const both = Promise.all([tabA.request('/users/me'), tabB.request('/users/me')]);
    await settle();
    gate.resolve();
    const responses = await both;

    expect(responses.map((r) => r.status)).toEqual([200, 200]);
    expect(lock.maxConcurrent).toBe(1);
    expect(backend.reuseDetected).toBe(0);
  });

  it('without the lock, the same race trips reuse detection (why the lock exists)', async () => {
    const tabA = await signedInTab();
    const tabB = newTab();
    await tabB.restoreSession();
    backend.expireAccessTokens();
    const gate = deferred();
    backend.refreshGate = gate.promise;

    const both = Promise.allSettled([tabA.request('/users/me'), tabB.request('/users/me')]);
    await settle();
    gate.resolve();
    await both;

    expect(backend.reuseDetected).toBe(1);
  });
});

describe('token storage', () => {
  it('never writes a token to localStorage, sessionStorage or document.cookie', async () => {
    const writes: string[] = [];
    const recordingStorage = (name: string): Storage => ({
      length: 0,
      clear: () => writes.push(`${name}.clear`),
      getItem: () => null,
      key: () => null,
      removeItem: (key: string) => writes.push(`${name}.removeItem(${key})`),
      setItem: (key: string, value: string) => writes.push(`${name}.setItem(${key}, ${value})`),
    });
    vi.stubGlobal('localStorage', recordingStorage('localStorage'));
    vi.stubGlobal('sessionStorage', recordingStorage('sessionStorage'));
    vi.stubGlobal('document', {
      get cookie() {
        return '';
      },
      set cookie(value: string) {
        writes.push(`document.cookie=${value}`);
      },
    });
    vi.useFakeTimers();

    const hub = new FakeChannelHub();
    const client = await signedInTab({ channel: hub.join() });
    await vi.advanceTimersByTimeAsync(14 * 60_000); // proactive refresh
    backend.expireAccessTokens();
    await client.request('/users/me'); // 401, refresh, retry
    await client.logout();

    expect(writes).toEqual([]);
    expect(backend.issuedAccessTokens().length).toBeGreaterThanOrEqual(3);
    // Nor is it reachable as a public property of the client.
    const visible = JSON.stringify(client) + JSON.stringify(Object.entries(client));
    for (const token of backend.issuedAccessTokens()) expect(visible).not.toContain(token);
  });
});

describe('registration and verification', () => {
  const NEW_EMAIL = 'grace@example.com';
  const NEW_PASSWORD = 'a long and unusual passphrase';

  it('register: 201 means the account is ready to sign in', async () => {
    const client = newTab();

    const result = await client.register(NEW_EMAIL, NEW_PASSWORD);

    // The 201 body is {id, email}: whether the address is verified is for /users/me to say.
    expect(result).toEqual({ kind: 'created', user: { id: '2', email: NEW_EMAIL, emailVerified: null } });
    const call = backend.calls.find((c) => c.path === '/auth/register');
    expect(call?.credentials).toBe('omit');
    expect(backend.lastJsonBody('/auth/register')).toEqual({ email: NEW_EMAIL, password: NEW_PASSWORD });
  });

  it("register: 202 means a mail is on its way, with the server's sentence, for a new and a taken address alike", async () => {
    backend.verificationRequired = true;
    const client = newTab();

    const fresh = await client.register(NEW_EMAIL, NEW_PASSWORD);
    const taken = await client.register(EMAIL, NEW_PASSWORD);

    expect(fresh).toEqual({ kind: 'verification-sent', message: ACCEPTED_REGISTRATION });
    expect(taken).toEqual(fresh);
    expect(backend.mailbox.map((mail) => mail.kind)).toEqual(['verify', 'account-exists']);
  });

  it('register: a 202 without a sentence still says to check the inbox', async () => {
    const client = new AuthClient({
      apiUrl: 'http://api.test',
      fetch: () => Promise.resolve(new Response(null, { status: 202 })),
    });
    clients.push(client);

    expect(await client.register(NEW_EMAIL, NEW_PASSWORD)).toEqual({
      kind: 'verification-sent',
      message: CHECK_YOUR_EMAIL,
    });
  });

  it('register: a refusal comes back in words (422 lists the field)', async () => {
    const client = newTab();

    await expect(client.register(NEW_EMAIL, 'short')).rejects.toThrow('password: must be at least 12 characters');
    await expect(client.register(EMAIL, NEW_PASSWORD)).rejects.toMatchObject({ status: 409 });
  });

  it("login of an unverified address surfaces the server's 403 sentence", async () => {
    backend.verificationRequired = true;
    const client = newTab();
    await client.register(NEW_EMAIL, NEW_PASSWORD);

    const refusal = await client.login(NEW_EMAIL, NEW_PASSWORD).catch((error: unknown) => error);

    expect(refusal).toBeInstanceOf(ApiError);
    expect(refusal).toMatchObject({ status: 403, message: NOT_VERIFIED });
    expect(status(client)).toBe('signed-out');
  });

  it('verifyEmail posts the token once; the address then signs in, and the link is spent', async () => {
    backend.verificationRequired = true;
    const client = newTab();
    await client.register(NEW_EMAIL, NEW_PASSWORD);
    const token = backend.lastLinkTo(NEW_EMAIL, 'verify');

    await client.verifyEmail(token);

    expect(backend.lastJsonBody('/auth/verify-email')).toEqual({ token });
    await client.login(NEW_EMAIL, NEW_PASSWORD);
    expect(client.getState()).toMatchObject({ status: 'signed-in', user: { email: NEW_EMAIL, emailVerified: true } });
    await expect(client.verifyEmail(token)).rejects.toThrow(LINK_REFUSED);
  });

  it('verifyEmail: any bad link gets the one generic sentence', async () => {
    const client = newTab();

    const refusal = client.verifyEmail('made-up');

    await expect(refusal).rejects.toMatchObject({ status: 400, message: LINK_REFUSED });
  });

  it('resendVerification mails a new link without a cookie, and answers the same for any address', async () => {
    backend.verificationRequired = true;
    const client = newTab();
    await client.register(NEW_EMAIL, NEW_PASSWORD);

    await client.resendVerification(NEW_EMAIL);
    await client.resendVerification('nobody@example.com');

    expect(backend.mailbox.filter((mail) => mail.kind === 'verify').map((mail) => mail.to)).toEqual([
      NEW_EMAIL,
      NEW_EMAIL,
    ]);
    const call = backend.calls.findLast((c) => c.path === '/auth/verify-email/resend');
    expect(call?.credentials).toBe('omit');
    expect(backend.lastJsonBody('/auth/verify-email/resend')).toEqual({ email: 'nobody@example.com' });
  });

  it('reads the /users/me of a server that does not report verification as "unknown"', async () => {
    backend.omitEmailVerified = true;
    const client = await signedInTab();

    expect(client.getState()).toEqual({ status: 'signed-in', user: { ...ADA, emailVerified: null } });
  });
});

describe('forgotten password', () => {
  const NEW_PASSWORD = 'another long passphrase';

  it('forgotPassword answers the same for a known and an unknown address', async () => {
    const client = newTab();

    await client.forgotPassword(EMAIL);
    await client.forgotPassword('nobody@example.com');

    expect(backend.mailbox.map((mail) => mail.to)).toEqual([EMAIL]);
    expect(backend.lastJsonBody('/auth/password/forgot')).toEqual({ email: 'nobody@example.com' });
  });

  it('resetPassword sets the new password and ends every session; the old password stops working', async () => {
    const signedIn = await signedInTab();
    const client = newTab();
    await client.forgotPassword(EMAIL);
    const token = backend.lastLinkTo(EMAIL, 'reset');

    await client.resetPassword(token, NEW_PASSWORD);

    expect(backend.lastJsonBody('/auth/password/reset')).toEqual({ token, new_password: NEW_PASSWORD });
    expect(backend.liveSessions()).toEqual([]);
    await expect(client.login(EMAIL, PASSWORD)).rejects.toMatchObject({ status: 401 });
    await client.login(EMAIL, NEW_PASSWORD);
    expect(status(client)).toBe('signed-in');
    expect(status(signedIn)).toBe('signed-in'); // until its next refresh, which the server refuses
  });

  it('resetPassword: a refused password is explained and the link still works', async () => {
    const client = newTab();
    await client.forgotPassword(EMAIL);
    const token = backend.lastLinkTo(EMAIL, 'reset');

    await expect(client.resetPassword(token, 'short')).rejects.toMatchObject({
      status: 422,
      message: 'password: must be at least 12 characters',
    });
    await client.resetPassword(token, NEW_PASSWORD);
  });

  it('resetPassword: a used or superseded link gets the generic sentence', async () => {
    const client = newTab();
    await client.forgotPassword(EMAIL);
    const older = backend.lastLinkTo(EMAIL, 'reset');
    await client.forgotPassword(EMAIL);
    const newer = backend.lastLinkTo(EMAIL, 'reset');

    await expect(client.resetPassword(older, NEW_PASSWORD)).rejects.toThrow(LINK_REFUSED);
    await client.resetPassword(newer, NEW_PASSWORD);
    await expect(client.resetPassword(newer, NEW_PASSWORD)).rejects.toMatchObject({ status: 400 });
  });
});

describe('signed-in account management', () => {
  const NEW_PASSWORD = 'another long passphrase';

  it('changePassword sends both passwords with the bearer token, no cookie; other sessions end, ours stays', async () => {
    const client = await signedInTab();
    const other = backend.seedOtherSession();

    await client.changePassword(PASSWORD, NEW_PASSWORD);

    const call = backend.calls.find((c) => c.path === '/auth/password/change');
    expect(call?.credentials).toBe('omit');
    expect(call?.headers.get('Authorization')).toMatch(/^Bearer access-/);
    expect(backend.lastJsonBody('/auth/password/change')).toEqual({
      current_password: PASSWORD,
      new_password: NEW_PASSWORD,
    });
    expect(backend.liveSessions()).toHaveLength(1);
    expect(backend.liveSessions()).not.toContain(other);
    expect(status(client)).toBe('signed-in');
  });

  it("changePassword: a wrong current password is the server's sentence, and the session stays", async () => {
    const client = await signedInTab();

    await expect(client.changePassword('not it', NEW_PASSWORD)).rejects.toThrow(WRONG_CURRENT_PASSWORD);
    expect(status(client)).toBe('signed-in');
  });

  it('changePassword: a token that expired meanwhile is refreshed once, like every protected call', async () => {
    const client = await signedInTab();
    backend.expireAccessTokens();

    await client.changePassword(PASSWORD, NEW_PASSWORD);

    expect(backend.count('/auth/refresh')).toBe(1);
    expect(backend.count('/auth/password/change')).toBe(2);
  });

  it('listSessions shows every live session, this one marked current, with dates parsed', async () => {
    const client = await signedInTab();
    const other = backend.seedOtherSession();

    const sessions = await client.listSessions();

    expect(sessions).toHaveLength(2);
    const current = sessions.filter((session) => session.current);
    expect(current).toHaveLength(1);
    expect(sessions.find((session) => !session.current)?.id).toBe(other);
    for (const session of sessions) {
      expect(session.createdAt).toBeInstanceOf(Date);
      expect(session.userAgent).toContain('Fake/1.0');
      expect(Object.keys(session).sort()).toEqual(['createdAt', 'current', 'id', 'lastUsedAt', 'userAgent']);
    }
  });

  it('listSessions refuses an answer it cannot read rather than show nonsense', async () => {
    const client = await signedInTab();
    const real = backend.fetch;
    backend.fetch = async (request) =>
      new URL(request.url).pathname === '/auth/sessions'
        ? new Response(JSON.stringify([{ id: 1, current: 'yes' }]), { status: 200 })
        : real(request);

    await expect(client.listSessions()).rejects.toMatchObject({ status: 502 });
  });

  it('endSession ends that session only; an unknown or foreign id is "already ended"', async () => {
    const client = await signedInTab();
    const other = backend.seedOtherSession();
    const stranger = backend.seedOtherSession('2');

    await client.endSession(other);

    expect(backend.calls.findLast((c) => c.method === 'DELETE')?.path).toBe(`/auth/sessions/${other}`);
    expect(backend.liveSessions()).toHaveLength(1);
    await expect(client.endSession(other)).rejects.toThrow(SESSION_ALREADY_ENDED);
    await expect(client.endSession(stranger)).rejects.toMatchObject({ status: 404 });
    expect(backend.liveSessions('2')).toEqual([stranger]);
  });

  it('endSession escapes the id into one path segment', async () => {
    const client = await signedInTab();

    await expect(client.endSession('../me')).rejects.toMatchObject({ status: 404 });

    expect(backend.calls.at(-1)?.path).toBe('/auth/sessions/..%2Fme');
  });

  it('endOtherSessions keeps only this browser signed in', async () => {
    const client = await signedInTab();
    backend.seedOtherSession();
    backend.seedOtherSession();

    await client.endOtherSessions();

    const sessions = await client.listSessions();
    expect(sessions.map((session) => session.current)).toEqual([true]);
    expect(status(client)).toBe('signed-in');
  });

  it('an ended session is signed out at its next refresh', async () => {
    const hub = new FakeChannelHub();
    const mine = await signedInTab();
    const elsewhere = await signedInTab({ channel: hub.join() });

    await mine.endOtherSessions();
    backend.expireAccessTokens();

    await expect(elsewhere.request('/users/me')).rejects.toThrow(SESSION_ENDED);
    expect(elsewhere.getState()).toEqual({ status: 'signed-out', notice: SESSION_ENDED });
    expect(status(mine)).toBe('signed-in');
  });
});

describe('the generated client', () => {
  it('sends a call made with client.api the protected way: bearer token, no cookie, one refresh and a retry on a 401', async () => {
    const client = await signedInTab();
    backend.expireAccessTokens();

    const { data, response } = await readMe({ client: client.api });

    expect(response.status).toBe(200);
    expect(data).toMatchObject({ email: EMAIL });
    expect(backend.count('/auth/refresh')).toBe(1);
    const retried = backend.calls.filter((call) => call.path === '/users/me').at(-1);
    expect(retried?.credentials).toBe('omit');
    expect(retried?.headers.get('Authorization')).toBe(`Bearer ${backend.issuedAccessTokens().at(-1) ?? ''}`);
  });

  it('answers a call made with client.api after logout with the session-ended error, sending nothing', async () => {
    const client = await signedInTab();
    await client.logout();
    const sent = backend.calls.length;

    const { error } = await readMe({ client: client.api });

    expect(error).toBeInstanceOf(ApiError);
    expect(error).toMatchObject({ status: 401, message: SESSION_ENDED });
    expect(backend.calls).toHaveLength(sent);
  });
});
