// Behaviour of the auth client against a fake backend: what a user would notice, and what an
// attacker could exploit if it went wrong (tokens in storage, refresh reuse, logout loops).

import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ApiError } from './api-errors';
import {
  AuthClient,
  LOGOUT_UNCONFIRMED,
  SESSION_ENDED,
  SIGNED_OUT_ELSEWHERE,
  refreshDelayMs,
  type AuthState,
} from './auth-client';
import type { AuthChannel, RefreshLock } from './cross-tab';
import { FakeBackend, FakeChannelHub, deferred, fakeSharedLock } from './test-support/fake-backend';

const EMAIL = 'ada@example.com';
const PASSWORD = 'correct horse battery staple';

let backend: FakeBackend;
const clients: AuthClient[] = [];

function newTab(options: { channel?: AuthChannel; lock?: RefreshLock } = {}): AuthClient {
  const client = new AuthClient({
    apiUrl: 'http://api.test/',
    fetch: (url, init) => backend.fetch(url, init),
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
    expect(client.getState()).toEqual({ status: 'signed-in', user: { id: '1', email: EMAIL } });
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

    expect(client.getState()).toEqual({ status: 'signed-in', user: { id: '1', email: EMAIL } });
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

    expect(tabB.getState()).toEqual({ status: 'signed-in', user: { id: '1', email: EMAIL } });
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
