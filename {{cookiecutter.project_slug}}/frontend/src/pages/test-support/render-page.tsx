// Renders a page the way main.tsx does (StrictMode, AuthProvider, one AuthClient) over the fake
// backend, in happy-dom, and cleans up after each test: page tests see what a user would.

import { cleanup, render, type RenderResult } from '@testing-library/react';
import userEvent, { type UserEvent } from '@testing-library/user-event';
import { StrictMode, type ReactNode } from 'react';
import { afterEach } from 'vitest';
import { AuthClient } from '../../auth/auth-client';
import { AuthProvider } from '../../auth/auth-react';
import { FakeBackend } from '../../auth/test-support/fake-backend';

export const EMAIL = 'ada@example.com';
export const PASSWORD = 'correct horse battery staple';
/** Long and unusual enough for the fake backend and for zxcvbn alike. */
export const STRONG_PASSWORD = 'violet tractor mumbles over 7 lagoons';

const clients: AuthClient[] = [];

afterEach(() => {
  cleanup();
  for (const client of clients.splice(0)) client.dispose();
  window.history.replaceState(null, '', '/');
});

export interface RenderedPage extends RenderResult {
  backend: FakeBackend;
  client: AuthClient;
  user: UserEvent;
}

/** `page` inside the app's providers; `signedIn` logs Ada in first, as a restored session would. */
export async function renderPage(
  page: ReactNode,
  options: { backend?: FakeBackend; signedIn?: boolean; path?: string } = {},
): Promise<RenderedPage> {
  const backend = options.backend ?? new FakeBackend();
  const client = new AuthClient({
    apiUrl: 'http://api.test',
    fetch: (request) => backend.fetch(request),
    random: () => 0,
  });
  clients.push(client);
  if (options.signedIn === true) await client.login(EMAIL, PASSWORD);
  window.history.replaceState(null, '', options.path ?? '/');
  const rendered = render(
    <StrictMode>
      <AuthProvider client={client}>{page}</AuthProvider>
    </StrictMode>,
  );
  return { ...rendered, backend, client, user: userEvent.setup() };
}

/** Where the app navigated to: path and query. */
export function currentAddress(): string {
  return `${window.location.pathname}${window.location.search}`;
}
