// @vitest-environment happy-dom
// Routing by audience: pages a mailed link opens work at once, even while a session is being
// restored; the account's pages need a session; sign-in pages send a signed-in user home.

import { screen } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import { App } from './App';
import { FakeBackend, deferred } from './auth/test-support/fake-backend';
import { PROJECT_NAME } from './project';
import { currentAddress, renderPage } from './pages/test-support/render-page';

describe('App', () => {
  it('shows the project name in the header', async () => {
    await renderPage(<App linkToken={null} />, { path: '/login' });

    expect(screen.getByTestId('brand').textContent).toBe(PROJECT_NAME);
  });

  it('opens a verification link at once, without waiting for the session restore', async () => {
    const backend = new FakeBackend();
    backend.seedRefreshCookie();
    const gate = deferred();
    backend.refreshGate = gate.promise;
    const page = await renderPage(<App linkToken="some-token" />, { backend, path: '/verify-email' });
    void page.client.restoreSession();

    await screen.findByTestId('verify-failed');

    expect(page.client.getState().status).toBe('restoring');
    expect(backend.lastJsonBody('/auth/verify-email')).toEqual({ token: 'some-token' });
    gate.resolve();
  });

  it('sends a signed-out visitor of an account page to sign in', async () => {
    for (const path of ['/', '/sessions', '/change-password']) {
      const page = await renderPage(<App linkToken={null} />, { path });
      await expect.poll(currentAddress).toBe('/login');
      await screen.findByTestId('login-form');
      page.unmount();
    }
  });

  it('sends a signed-in user from the sign-in page home, and shows the account pages', async () => {
    await renderPage(<App linkToken={null} />, { signedIn: true, path: '/login' });
    await expect.poll(currentAddress).toBe('/');
    await screen.findByTestId('me-page');
  });

  it('sends an unknown path home', async () => {
    await renderPage(<App linkToken={null} />, { signedIn: true, path: '/nowhere' });
    await expect.poll(currentAddress).toBe('/');
  });
});
