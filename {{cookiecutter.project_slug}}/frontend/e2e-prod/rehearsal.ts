// What the https suite runs against: `make prod`, the production rehearsal, with production
// settings of its own (a fresh secret, a throwaway database, a mail catcher), on free ports, with
// Caddy's CA in a throwaway directory. For playwright.prod.config.ts (which starts it) and the
// spec (which drives it). Values chosen by the first load (the runner) reach the workers through
// process.env, as in ../e2e/machine.ts.

import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseEnv } from 'node:util';
import { CHROMIUM_ARGS, CHROMIUM_PATH, chromiumMissing, sharedPort } from '../e2e/machine.ts';

export { CHROMIUM_ARGS, CHROMIUM_PATH };

export const FRONTEND_DIR = resolve(fileURLToPath(new URL('..', import.meta.url)));
export const PROJECT_DIR = resolve(FRONTEND_DIR, '..');
export const BACKEND_DIR = join(PROJECT_DIR, 'backend');
export const ARTIFACTS_DIR = join(PROJECT_DIR, 'artifacts', 'e2e-prod');
/** Everything `make prod` prints: its own lines, Caddy's and the backend's (audit lines too). */
export const LOG = join(ARTIFACTS_DIR, 'make-prod.log');
export const BACKEND_PYTHON = process.env.BACKEND_PYTHON ?? '';
/** Attempts one client address may make per login window here: low, so a test can reach it. */
export const LOGIN_LIMIT_PER_CLIENT = 8;
/** What `make prod` sends in Strict-Transport-Security (SECURITY.md, "HSTS"). */
export const REHEARSAL_HSTS = 'max-age=60; includeSubDomains';

function onPath(tool: string): boolean {
  return (process.env.PATH ?? '').split(delimiter).some((dir) => dir !== '' && existsSync(join(dir, tool)));
}

/** Why the suite cannot run on this machine, or null when it can. */
function findSkipReason(): string | null {
  const chromium = chromiumMissing();
  if (chromium !== null) return chromium;
  if (!onPath('caddy')) return 'Caddy is not installed (apt-get install caddy); make prod needs it';
  if (BACKEND_PYTHON === '') {
    return 'BACKEND_PYTHON is not set (run `make test-prod`, which points it at the virtualenv)';
  }
  if (!existsSync(BACKEND_PYTHON)) return `BACKEND_PYTHON=${BACKEND_PYTHON} does not exist`;
  return null;
}

export const SKIP_REASON = findSkipReason();

/** The virtualenv BACKEND_PYTHON belongs to, for `make ... VENV=`. */
export const VENV = BACKEND_PYTHON === '' ? '' : resolve(BACKEND_PYTHON, '..', '..');

export const PORTS = {
  app: await sharedPort('PROD_E2E_APP_PORT'),
  api: await sharedPort('PROD_E2E_API_PORT'),
  http: await sharedPort('PROD_E2E_HTTP_PORT'),
  mail: await sharedPort('PROD_E2E_MAIL_PORT'),
};
export const APP_URL = `https://localhost:${PORTS.app}`;
export const API_URL = `https://localhost:${PORTS.api}`;
export const HTTP_URL = `http://localhost:${PORTS.http}`;

/** A fresh directory for the settings, the database and Caddy's CA; removed when the runner exits. */
function sharedWorkDir(): string {
  const existing = process.env.PROD_E2E_WORK_DIR;
  if (existing !== undefined && existing !== '') return existing;
  const dir = mkdtempSync(join(tmpdir(), 'e2e-prod-'));
  process.env.PROD_E2E_WORK_DIR = dir;
  process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

const WORK_DIR = sharedWorkDir();
export const ENV_FILE = join(WORK_DIR, 'production.env');
export const CADDY_DIR = join(WORK_DIR, 'caddy');
/** The root of Caddy's local CA, created when Caddy first starts: what a browser would trust. */
export const ROOT_CERTIFICATE = join(CADDY_DIR, 'data', 'caddy', 'pki', 'authorities', 'local', 'root.crt');

/** Production settings for this run, in the form `make env` writes them, mode 0600. The JWT
 * names and the registration switch come from the baked example; the secret is new. The database
 * is a throwaway SQLite file whatever the project was baked for: what the suite checks (the
 * proxy, the headers, the browser) does not depend on it. */
function writeProductionSettings(): void {
  if (existsSync(ENV_FILE)) return;
  const example = parseEnv(readFileSync(join(BACKEND_DIR, '.env.example'), 'utf8'));
  const settings = {
    ENVIRONMENT: 'production',
    BETTER_AUTH_SECRET: randomBytes(48).toString('base64url'),
    JWT_ISSUER: example.JWT_ISSUER ?? '',
    JWT_AUDIENCE: example.JWT_AUDIENCE ?? '',
    ALLOW_REGISTRATION: example.ALLOW_REGISTRATION ?? 'false',
    CORS_ORIGINS: APP_URL,
    APP_URL,
    DATABASE_URL: `sqlite:///${join(WORK_DIR, 'production.db')}`,
    SMTP_URL: `smtp://127.0.0.1:${PORTS.mail}`,
    LOGIN_MAX_ATTEMPTS_PER_CLIENT: String(LOGIN_LIMIT_PER_CLIENT),
    // The cheapest profile production accepts: the suite hashes a few dozen passwords.
    ARGON2_TIME_COST: '2',
    ARGON2_MEMORY_KIB: '19456',
    ARGON2_PARALLELISM: '1',
  };
  const text = Object.entries(settings).map(([key, value]) => `${key}=${value}\n`).join('');
  writeFileSync(ENV_FILE, text, { mode: 0o600 });
}

writeProductionSettings();

/** Everything `make prod` has printed so far. */
export function prodLog(): string {
  return readFileSync(LOG, 'utf8');
}

/** The port the backend's workers listen on: make prod picks a free one and says which. */
export function backendPort(): number {
  const match = /starting backend on http:\/\/127\.0\.0\.1:(\d+)/.exec(prodLog());
  if (match?.[1] === undefined) throw new Error(`make prod did not say where the backend listens:\n${prodLog()}`);
  return Number(match[1]);
}

/** `make user` against this run's production file, as the ready message tells an operator. */
export function createUser(email: string, password: string): void {
  execFileSync('make', ['-C', PROJECT_DIR, '--no-print-directory', 'user', `EMAIL=${email}`, `ENV_FILE=${ENV_FILE}`, `VENV=${VENV}`], {
    env: { ...process.env, CREATE_USER_PASSWORD: password },
    stdio: ['ignore', 'pipe', 'pipe'],
    timeout: 60_000,
  });
}
