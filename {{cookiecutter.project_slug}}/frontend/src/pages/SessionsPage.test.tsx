// @vitest-environment happy-dom
// The sessions page: every live session listed, this browser marked and not endable here, others
// ended one by one or all at once.

import { screen, within } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import { FakeBackend } from '../auth/test-support/fake-backend';
import { SessionsPage } from './SessionsPage';
import { renderPage } from './test-support/render-page';

/** A backend where Ada is also signed in on `others` other browsers. */
function backendWithOtherSessions(others: number): FakeBackend {
  const backend = new FakeBackend();
  for (let i = 0; i < others; i += 1) backend.seedOtherSession();
  return backend;
}

async function listedSessions(): Promise<HTMLElement[]> {
  return within(await screen.findByTestId('session-list')).findAllByTestId('session');
}

describe('SessionsPage', () => {
  it('lists each session with its browser and dates, and marks this browser, which has no End button', async () => {
    await renderPage(<SessionsPage />, { backend: backendWithOtherSessions(2), signedIn: true });

    const sessions = await listedSessions();

    expect(sessions).toHaveLength(3);
    const current = sessions.filter((row) => row.dataset.current === 'true');
    expect(current).toHaveLength(1);
    const [mine] = current;
    if (mine === undefined) throw new Error('no current session listed');
    expect(within(mine).getByTestId('this-browser').textContent).toContain('This browser');
    expect(within(mine).queryByRole('button')).toBeNull();
    for (const row of sessions) {
      expect(row.textContent).toContain('Fake/1.0');
      expect(row.textContent).toMatch(/Signed in.*Last used/);
    }
  });

  it('ends one other session; the list then shows what is left', async () => {
    const backend = backendWithOtherSessions(2);
    const { user } = await renderPage(<SessionsPage />, { backend, signedIn: true });
    const [first] = (await listedSessions()).filter((row) => row.dataset.current === 'false');
    if (first === undefined) throw new Error('no other session listed');

    await user.click(within(first).getByRole('button', { name: 'End this session' }));

    expect((await screen.findByTestId('sessions-notice')).textContent).toBe('That session is ended.');
    await expect.poll(async () => (await listedSessions()).length).toBe(2);
    expect(backend.liveSessions()).toHaveLength(2);
  });

  it('ends every other session at once, and keeps this one', async () => {
    const backend = backendWithOtherSessions(3);
    const { user, client } = await renderPage(<SessionsPage />, { backend, signedIn: true });
    await listedSessions();

    await user.click(screen.getByRole('button', { name: 'End all other sessions' }));

    await expect.poll(async () => (await listedSessions()).length).toBe(1);
    expect(backend.liveSessions()).toHaveLength(1);
    expect(client.getState().status).toBe('signed-in');
    expect(screen.getByRole<HTMLButtonElement>('button', { name: 'End all other sessions' }).disabled).toBe(true);
  });

  it('a session that ended meanwhile is reported, and the list is refreshed', async () => {
    const backend = backendWithOtherSessions(1);
    const { user } = await renderPage(<SessionsPage />, { backend, signedIn: true });
    const [other] = (await listedSessions()).filter((row) => row.dataset.current === 'false');
    if (other === undefined) throw new Error('no other session listed');
    const [otherId] = backend.liveSessions();
    await backend.fetch(new Request(`http://api.test/auth/sessions/${otherId ?? ''}`, {
      method: 'DELETE',
      headers: { Authorization: `Bearer ${backend.issuedAccessTokens().at(-1) ?? ''}` },
    }));

    await user.click(within(other).getByRole('button', { name: 'End this session' }));

    expect((await screen.findByTestId('sessions-error')).textContent).toBe('That session has already ended.');
    await expect.poll(async () => (await listedSessions()).length).toBe(1);
  });
});
