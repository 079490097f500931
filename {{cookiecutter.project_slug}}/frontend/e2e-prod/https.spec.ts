// The production rehearsal, proven from outside: what Caddy serves (headers, cache rules, routes,
// redirects, listeners), the app working in Chromium under its Content-Security-Policy with Secure
// cookies, and a client that cannot choose the address it is counted and audited as. Started by
// playwright.prod.config.ts (`make test-prod`).

import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { expect, test, type ConsoleMessage, type Page } from '@playwright/test';
import {
  API_URL,
  APP_URL,
  HTTP_URL,
  LOGIN_LIMIT_PER_CLIENT,
  PORTS,
  REHEARSAL_HSTS,
  ROOT_CERTIFICATE,
  SKIP_REASON,
  backendPort,
  createUser,
  prodLog,
} from './rehearsal.ts';

declare global {
  interface Window {
    /** Every securitypolicyviolation event of the page, recorded by an init script. */
    __cspViolations?: string[];
  }
}

test.skip(SKIP_REASON !== null, SKIP_REASON ?? '');

interface Answer {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
}

/** One request from Node, https verified against Caddy's root only: what a client that trusts
 * that CA (and nothing else) gets, certificate name included. */
function fetchRaw(url: string, options: { method?: string; headers?: Record<string, string>; body?: string } = {}): Promise<Answer> {
  const target = new URL(url);
  const send = target.protocol === 'https:' ? httpsRequest : httpRequest;
  const tls = target.protocol === 'https:' ? { ca: readFileSync(ROOT_CERTIFICATE) } : {};
  return new Promise((done, fail) => {
    const outgoing = send(target, { method: options.method ?? 'GET', headers: options.headers, ...tls }, (incoming) => {
      const chunks: Buffer[] = [];
      incoming.on('data', (chunk: Buffer) => chunks.push(chunk));
      incoming.on('end', () => {
        done({ status: incoming.statusCode ?? 0, headers: incoming.headers, body: Buffer.concat(chunks).toString('utf8') });
      });
      incoming.on('error', fail);
    });
    outgoing.on('error', fail);
    outgoing.end(options.body);
  });
}

/** A Content-Security-Policy as directive -> its sources. */
function directives(policy: string | string[] | undefined): Map<string, string[]> {
  const text = Array.isArray(policy) ? policy.join(';') : (policy ?? '');
  const parsed = new Map<string, string[]>();
  for (const part of text.split(';')) {
    const [name, ...sources] = part.trim().split(/\s+/);
    if (name !== undefined && name !== '') parsed.set(name, sources);
  }
  return parsed;
}

const HASHED_ASSET = /\/assets\/[\w.-]+-[\w-]{8,}\.(?:js|css)$/;

test('the app: security headers on every page, a CSP with no inline script, caching by kind', async () => {
  const index = await fetchRaw(`${APP_URL}/`);
  expect(index.status).toBe(200);
  const expected = {
    'strict-transport-security': REHEARSAL_HSTS,
    'x-content-type-options': 'nosniff',
    'x-frame-options': 'DENY',
    'referrer-policy': 'strict-origin-when-cross-origin',
  };
  expect(index.headers).toMatchObject(expected);
  expect(index.headers['cache-control'], 'index.html is revalidated on every load').toBe('no-cache');
  expect(index.headers.server, 'no server banner').toBeUndefined();

  const csp = directives(index.headers['content-security-policy']);
  expect(csp.get('default-src')).toEqual(["'none'"]);
  expect(csp.get('script-src'), 'scripts from the app only: no inline, no eval').toEqual(["'self'"]);
  expect(csp.get('style-src')).toEqual(["'self'"]);
  expect(csp.get('connect-src'), 'the app may call the API and nothing else').toEqual([API_URL]);
  expect(csp.get('frame-ancestors')).toEqual(["'none'"]);
  expect(csp.get('object-src')).toEqual(["'none'"]);
  expect(csp.get('base-uri')).toEqual(["'none'"]);

  const assets = [...index.body.matchAll(/(?:src|href)="(\/assets\/[^"]+)"/g)].map((match) => match[1] ?? '');
  expect(assets.length, 'index.html loads a script and a stylesheet').toBeGreaterThanOrEqual(2);
  expect(index.body, 'no inline script in the page').not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/);
  for (const asset of assets) {
    expect(asset).toMatch(HASHED_ASSET);
    const answer = await fetchRaw(`${APP_URL}${asset}`);
    expect(answer.status, asset).toBe(200);
    expect(answer.headers['cache-control'], asset).toBe('public, max-age=31536000, immutable');
    expect(answer.headers).toMatchObject(expected);
  }

  // The app's own routes are index.html (the links in mail land on two of them)...
  for (const route of ['/login', '/verify-email', '/reset-password', '/sessions']) {
    const answer = await fetchRaw(`${APP_URL}${route}`);
    expect(answer.status, route).toBe(200);
    expect(answer.headers['content-type'], route).toContain('text/html');
    expect(answer.headers['cache-control'], route).toBe('no-cache');
    expect(answer.body, route).toBe(index.body);
  }
  // ...but an asset that does not exist is a 404, never the page, and never cached for a year.
  const missing = await fetchRaw(`${APP_URL}/assets/missing-0123456789.js`);
  expect(missing.status).toBe(404);
  expect(missing.headers['cache-control'] ?? '').not.toContain('immutable');
});

test('plain http only redirects to https', async () => {
  const answer = await fetchRaw(`${HTTP_URL}/reset-password`);
  expect(answer.status).toBe(308);
  expect(answer.headers.location).toBe(`${APP_URL}/reset-password`);
  expect(answer.body).toBe('');
});

test('the API: its own origin, HSTS, CORS for the app alone, no docs, no server banner', async () => {
  const health = await fetchRaw(`${API_URL}/health`);
  expect(health.status).toBe(200);
  expect(JSON.parse(health.body)).toEqual({ status: 'ok' });
  expect(health.headers['strict-transport-security']).toBe(REHEARSAL_HSTS);
  expect(health.headers.server).toBeUndefined();

  const preflight = (origin: string) =>
    fetchRaw(`${API_URL}/auth/login`, {
      method: 'OPTIONS',
      headers: { Origin: origin, 'Access-Control-Request-Method': 'POST', 'Access-Control-Request-Headers': 'x-requested-with' },
    });
  const fromApp = await preflight(APP_URL);
  expect(fromApp.headers['access-control-allow-origin']).toBe(APP_URL);
  expect(fromApp.headers['access-control-allow-credentials']).toBe('true');
  for (const stranger of ['https://evil.example', `http://localhost:${PORTS.app}`]) {
    expect((await preflight(stranger)).headers['access-control-allow-origin'], stranger).toBeUndefined();
  }
  // Production publishes no API docs: the path is as unknown as any other, and needs a token.
  expect((await fetchRaw(`${API_URL}/docs`)).status).toBe(401);
});

test('every listener of the rehearsal is on 127.0.0.1, and Caddy has no admin endpoint', () => {
  const ports = [PORTS.app, PORTS.api, PORTS.http, PORTS.mail, backendPort()];
  for (const protocol of ['-ltnH', '-lunH']) {
    const sockets = execFileSync('ss', [protocol], { encoding: 'utf8' })
      .split('\n')
      .map((line) => line.trim().split(/\s+/)[3] ?? '')
      .filter((local) => ports.some((port) => local.endsWith(`:${port}`)));
    if (protocol === '-ltnH') expect(sockets.length, 'TCP listeners found').toBeGreaterThanOrEqual(ports.length);
    for (const local of sockets) expect(local, `${protocol} ${local}`).toMatch(/^127\.0\.0\.1:\d+$/);
  }
  expect(prodLog()).toContain('admin endpoint disabled');
});

/** A fresh account, made as an operator makes the first one. */
function newAccount(): { email: string; password: string } {
  const account = { email: `prod-${randomBytes(4).toString('hex')}@example.com`, password: `prod-${randomBytes(18).toString('base64url')}` };
  createUser(account.email, account.password);
  return account;
}

/** Console errors other than the one a signed-out visit expects: the session restore's 401. */
function unexpectedConsoleError(message: ConsoleMessage): boolean {
  if (message.type() !== 'error') return false;
  const restore = message.location().url === `${API_URL}/auth/refresh` && message.text().includes('401');
  return !restore;
}

async function recordProblems(page: Page): Promise<string[]> {
  const problems: string[] = [];
  await page.addInitScript(() => {
    window.__cspViolations = [];
    document.addEventListener('securitypolicyviolation', (event) => {
      window.__cspViolations?.push(`${event.violatedDirective} blocked ${event.blockedURI}`);
    });
  });
  page.on('console', (message) => {
    if (unexpectedConsoleError(message)) problems.push(`console: ${message.text()}`);
  });
  page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
  return problems;
}

test('sign in, reload, sign out over https: Secure cookies, the lazy chunk, no CSP violation', async ({ page, context }) => {
  const problems = await recordProblems(page);
  const account = newAccount();
  const refreshes: number[] = [];
  page.on('response', (response) => {
    if (response.url() === `${API_URL}/auth/refresh` && response.request().method() === 'POST') refreshes.push(response.status());
  });

  await page.goto('/');
  const form = page.getByTestId('login-form');
  await form.getByTestId('email').fill(account.email);
  await form.getByTestId('password').fill(account.password);
  await form.getByTestId('submit').click();
  await expect(page.getByTestId('me-email')).toHaveText(account.email);

  const cookies = await context.cookies(`${API_URL}/auth/refresh`);
  const refresh = cookies.find((cookie) => cookie.name === '__Secure-refresh_token');
  expect(refresh, `cookies: ${cookies.map((cookie) => cookie.name).join(', ')}`).toMatchObject({
    secure: true,
    httpOnly: true,
    sameSite: 'Strict',
    path: '/auth',
  });
  expect(cookies.find((cookie) => cookie.name === '__Secure-device')).toMatchObject({ secure: true, httpOnly: true });
  expect(cookies.filter((cookie) => !cookie.name.startsWith('__Secure-')), 'every cookie is __Secure-').toEqual([]);

  // A reload loses the access token (memory only); the Secure cookie brings the session back.
  refreshes.length = 0;
  await page.reload();
  await expect(page.getByTestId('me-email')).toHaveText(account.email);
  expect(refreshes).toContain(200);

  // The strength meter is a chunk of its own, fetched on the first keystroke: under the CSP too.
  const chunk = page.waitForResponse((response) => /\/assets\/strength-[\w-]+\.js$/.test(response.url()));
  await page.getByTestId('change-password-link').click();
  await page.getByTestId('new-password').fill('correct horse battery staple');
  expect((await chunk).status()).toBe(200);
  await expect(page.getByTestId('strength-label')).toHaveAttribute('data-score', /[0-4]/);

  await page.goto('/');
  await expect(page.getByTestId('me-email')).toHaveText(account.email);
  const logout = page.waitForResponse((response) => response.url() === `${API_URL}/auth/logout` && response.request().method() === 'POST');
  await page.getByTestId('logout').click();
  expect((await logout).status()).toBe(204);
  await expect(page.getByTestId('login-form')).toBeVisible();
  const left = await context.cookies(`${API_URL}/auth/refresh`);
  expect(left.find((cookie) => cookie.name === '__Secure-refresh_token')).toBeUndefined();
  await page.reload();
  await expect(page.getByTestId('login-form'), 'signed out for good: a reload does not restore').toBeVisible();

  expect(await page.evaluate(() => window.__cspViolations ?? ['init script missing'])).toEqual([]);
  expect(problems).toEqual([]);
});

/** A failed token login for an unknown address, claiming to come from `address`. */
function spoofedLogin(address: string): Promise<Answer> {
  // A new unknown account each time: only the per-client counter can stop a run of these.
  const email = `nobody-${randomBytes(4).toString('hex')}@example.com`;
  return fetchRaw(`${API_URL}/auth/token`, {
    method: 'POST',
    headers: {
      'Content-Type': 'application/x-www-form-urlencoded',
      'X-Forwarded-For': address,
      'X-Real-IP': address,
      Forwarded: `for=${address}`,
    },
    body: new URLSearchParams({ username: email, password: 'not the password 1' }).toString(),
  });
}

test('a client naming its own address in X-Forwarded-For is still counted, and audited, as itself', async () => {
  const spoofed = Array.from({ length: LOGIN_LIMIT_PER_CLIENT + 2 }, (_, index) => `203.0.113.${index + 10}`);
  const statuses: number[] = [];
  for (const address of spoofed.slice(0, -1)) {
    const answer = await spoofedLogin(address);
    statuses.push(answer.status);
    if (answer.status === 429) {
      expect(Number(answer.headers['retry-after'])).toBeGreaterThan(0);
      break;
    }
  }
  // Had the backend believed the header, every attempt would have been a new client, never 429.
  expect(statuses.at(-1), `answers: ${statuses.join(' ')}`).toBe(429);
  expect(statuses.slice(0, -1).every((status) => status === 401)).toBe(true);
  // Nor does claiming yet another address once throttled start a fresh count.
  expect((await spoofedLogin(spoofed.at(-1) ?? '')).status).toBe(429);

  const audit = prodLog()
    .split('\n')
    .filter((line) => line.startsWith('{') && /"event":"login_(failed|throttled)"/.test(line))
    .map((line) => JSON.parse(line) as { client?: unknown });
  expect(audit.length, 'the attempts were audited').toBeGreaterThan(0);
  expect(new Set(audit.map((event) => event.client))).toEqual(new Set(['127.0.0.1']));
  for (const address of spoofed) expect(prodLog(), address).not.toContain(address);
});
