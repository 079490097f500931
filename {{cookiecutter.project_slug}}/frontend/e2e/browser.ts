// What the specs do in a browser again and again: fresh profiles with a paused page clock, new
// accounts (through the pages, verification mail included, or the operator's command when the bake
// has no registration), signing in, and the API calls a page made.

import { randomBytes } from 'node:crypto';
import { expect, type Browser, type BrowserContext, type Page } from '@playwright/test';
import { linkInMail, caughtMail } from './mailbox.ts';
import { API_URL, APP_URL, REGISTRATION_OPEN, VERIFICATION_REQUIRED, createUserWithCli } from './stack.ts';

declare global {
  interface Window {
    /** Set by an init script whenever the login form was rendered, even for an instant. */
    __sawLoginForm?: boolean;
  }
}

export function newEmail(label: string): string {
  return `${label}-${randomBytes(4).toString('hex')}@example.com`;
}

export function newPassword(): string {
  return `e2e-${randomBytes(18).toString('base64url')}`;
}

export function pathOf(page: Page): string {
  return new URL(page.url()).pathname;
}

/**
 * A fresh browser profile (cookies, storage) with the page clock paused: the app's proactive
 * refresh timer never fires by itself, so each test decides when tokens rotate, and the access
 * token (a few seconds long here) really expires on the server while the page stays open.
 */
export async function newContext(browser: Browser): Promise<BrowserContext> {
  const context = await browser.newContext({ baseURL: APP_URL });
  await context.clock.install();
  await context.clock.pauseAt(Date.now() + 1_000);
  await context.addInitScript(() => {
    window.__sawLoginForm = false;
    new MutationObserver(() => {
      if (document.querySelector('[data-testid="login-form"]') !== null) window.__sawLoginForm = true;
    }).observe(document, { childList: true, subtree: true });
  });
  return context;
}

/** Calls to the backend as the page made them: method, path and status. */
export function recordApiCalls(page: Page): string[] {
  const calls: string[] = [];
  page.on('response', (response) => {
    const url = new URL(response.url());
    if (url.origin === API_URL && response.request().method() !== 'OPTIONS') {
      calls.push(`${response.request().method()} ${url.pathname} ${response.status()}`);
    }
  });
  return calls;
}

/** Opens a mailed link the way a mail program would: a new navigation to the full URL. */
export async function openMailedLink(page: Page, to: string, linkPage: string, after = 0): Promise<void> {
  await page.goto(await linkInMail(to, linkPage, after));
}

/**
 * A new account, ready to sign in, on the login page: registered through the pages (and verified
 * through the mailed link when the bake requires it), or made with the operator's command when
 * the bake has no registration.
 */
export async function createAccount(page: Page, email: string, password: string): Promise<void> {
  if (!REGISTRATION_OPEN) {
    createUserWithCli(email, password);
    return;
  }
  const before = caughtMail().length;
  await page.goto('/register');
  const form = page.getByTestId('register-form');
  await form.getByTestId('email').fill(email);
  await form.getByTestId('password').fill(password);
  await form.getByTestId('submit').click();
  if (!VERIFICATION_REQUIRED) {
    await page.waitForURL(/\/login\?registered=1$/);
    return;
  }
  await expect(page.getByTestId('check-email-address')).toHaveText(email);
  await openMailedLink(page, email, 'verify-email', before);
  await page.getByTestId('verify-done').waitFor();
  await page.getByTestId('login-link').click();
  await page.waitForURL(/\/login\?verified=1$/);
}

export async function logIn(page: Page, email: string, password: string): Promise<void> {
  if (!page.url().includes('/login')) await page.goto('/login');
  const form = page.getByTestId('login-form');
  await form.getByTestId('email').fill(email);
  await form.getByTestId('password').fill(password);
  await form.getByTestId('submit').click();
  await expect(page.getByTestId('me-email')).toHaveText(email);
}
