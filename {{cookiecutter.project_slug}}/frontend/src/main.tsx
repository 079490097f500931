// Entry point: takes a one-time link's token out of the address bar first, then builds the one
// AuthClient of this tab, starts the session restore, renders the app.

import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { App } from './App';
import { AuthClient } from './auth/auth-client';
import { AuthProvider } from './auth/auth-react';
import { broadcastAuthChannel, noRefreshLock, webRefreshLock } from './auth/cross-tab';
import { config } from './config';
import { takeLinkToken } from './link-token';
import './styles.css';

const linkToken = takeLinkToken(window.location, window.history);

// navigator.locks and BroadcastChannel exist in every current browser on a secure context
// (localhost counts); without them the client still works, coordinated within the tab only.
const client = new AuthClient({
  apiUrl: config.apiUrl,
  fetch: (request) => window.fetch(request),
  channel: 'BroadcastChannel' in window ? broadcastAuthChannel(new BroadcastChannel('auth')) : null,
  refreshLock: 'locks' in navigator ? webRefreshLock(navigator.locks, 'auth-refresh') : noRefreshLock,
});
void client.restoreSession();

const root = document.getElementById('root');
if (root === null) throw new Error('index.html has no #root element.');
createRoot(root).render(
  <StrictMode>
    <AuthProvider client={client}>
      <App linkToken={linkToken} />
    </AuthProvider>
  </StrictMode>,
);
