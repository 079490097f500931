// Page selection by path. The account page is the home page; sign-in pages send a signed-in user
// there; the pages one-time links open work whether or not someone is signed in.

import type { ReactNode } from 'react';
import { ProtectedRoute, useAuth } from './auth/auth-react';
import { config } from './config';
import { ChangePasswordPage } from './pages/ChangePasswordPage';
import { ForgotPasswordPage } from './pages/ForgotPasswordPage';
import { LoginPage } from './pages/LoginPage';
import { MePage } from './pages/MePage';
import { RegisterPage } from './pages/RegisterPage';
import { ResetPasswordPage } from './pages/ResetPasswordPage';
import { SessionsPage } from './pages/SessionsPage';
import { VerifyEmailPage } from './pages/VerifyEmailPage';
import { PROJECT_NAME } from './project';
import { Redirect, usePath } from './router';

/** `signed-out`: sign-in pages; `signed-in`: the account's pages; `any`: pages links open. */
type Audience = 'signed-out' | 'signed-in' | 'any';

interface AppProps {
  /** The token of the one-time link this page was opened with (see link-token.ts). */
  linkToken: string | null;
}

export function App({ linkToken }: AppProps) {
  const path = usePath();
  const { state } = useAuth();

  const routes: Record<string, { audience: Audience; page: () => ReactNode }> = {
    '/': { audience: 'signed-in', page: () => <MePage /> },
    '/login': { audience: 'signed-out', page: () => <LoginPage /> },
    ...(config.allowRegistration ? { '/register': { audience: 'signed-out', page: () => <RegisterPage /> } } : {}),
    '/forgot-password': { audience: 'any', page: () => <ForgotPasswordPage /> },
    '/verify-email': { audience: 'any', page: () => <VerifyEmailPage token={linkToken} /> },
    '/reset-password': { audience: 'any', page: () => <ResetPasswordPage token={linkToken} /> },
    '/change-password': { audience: 'signed-in', page: () => <ChangePasswordPage /> },
    '/sessions': { audience: 'signed-in', page: () => <SessionsPage /> },
  } satisfies Record<string, { audience: Audience; page: () => ReactNode }>;

  const route = routes[path];
  let page: ReactNode;
  if (route === undefined) page = <Redirect to="/" />;
  else if (route.audience === 'signed-in') page = <ProtectedRoute>{route.page()}</ProtectedRoute>;
  else if (route.audience === 'any') page = route.page();
  else if (state.status === 'restoring') {
    // Do not flash a sign-in form at someone whose session is about to come back.
    page = (
      <p className="status" role="status" data-testid="restoring">
        Restoring your session…
      </p>
    );
  } else page = state.status === 'signed-in' ? <Redirect to="/" /> : route.page();

  return (
    <div className="shell">
      <header className="brand" data-testid="brand">
        {PROJECT_NAME}
      </header>
      <main className="card">{page}</main>
    </div>
  );
}
