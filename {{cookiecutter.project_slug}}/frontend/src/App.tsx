// Page selection by path. The protected page is the home page; auth pages send a signed-in user
// there.

import { ProtectedRoute, useAuth } from './auth/auth-react';
import { config } from './config';
import { LoginPage } from './pages/LoginPage';
import { MePage } from './pages/MePage';
import { RegisterPage } from './pages/RegisterPage';
import { Redirect, usePath } from './router';

export function App() {
  const path = usePath();
  const { state } = useAuth();
  const signedIn = state.status === 'signed-in';

  let page;
  if (state.status === 'restoring' && path !== '/') {
    // Do not flash a login form at someone whose session is about to come back.
    page = (
      <p className="status" role="status" data-testid="restoring">
        Restoring your session…
      </p>
    );
  } else if (path === '/login') page = signedIn ? <Redirect to="/" /> : <LoginPage />;
  else if (path === '/register' && config.allowRegistration) {
    page = signedIn ? <Redirect to="/" /> : <RegisterPage />;
  } else if (path === '/') {
    page = (
      <ProtectedRoute>
        <MePage />
      </ProtectedRoute>
    );
  } else page = <Redirect to="/" />;

  return (
    <div className="shell">
      <header className="brand">Secure Stack</header>
      <main className="card">{page}</main>
    </div>
  );
}
