// What the end-to-end run is made of, for playwright.config.ts (which starts the servers) and the
// specs (which drive them): ports, URLs, the backend's test settings, the mail catcher's folder,
// and why a run cannot happen.
//
// Playwright loads the config again in every worker process. Ports (machine.ts) and the database
// directory are chosen once, by the first load (the runner), and passed on through process.env,
// which workers inherit; a later load reads them back instead of choosing anew.

import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseEnv } from 'node:util';
import { CHROMIUM_ARGS, CHROMIUM_PATH, chromiumMissing, sharedPort } from './machine.ts';

export { CHROMIUM_ARGS, CHROMIUM_PATH };

export const HOST = '127.0.0.1';
export const FRONTEND_DIR = resolve(fileURLToPath(new URL('..', import.meta.url)));
export const PROJECT_DIR = resolve(FRONTEND_DIR, '..');
export const BACKEND_DIR = join(PROJECT_DIR, 'backend');
export const ARTIFACTS_DIR = join(PROJECT_DIR, 'artifacts', 'e2e');
/** Everything the backend writes (audit lines included); tests read it to see server-side effects. */
export const BACKEND_LOG = join(ARTIFACTS_DIR, 'backend.log');
/** Short enough that a test can wait for it to run out, long enough to log in and look around. */
export const ACCESS_TOKEN_SECONDS = 4;

export const BACKEND_PYTHON = process.env.BACKEND_PYTHON ?? '';

/** Why the suite cannot run on this machine, or null when it can. */
function findSkipReason(): string | null {
  const chromium = chromiumMissing();
  if (chromium !== null) return chromium;
  if (BACKEND_PYTHON === '') {
    return 'BACKEND_PYTHON is not set (run `make test-e2e`, which points it at the virtualenv)';
  }
  if (!existsSync(BACKEND_PYTHON)) return `BACKEND_PYTHON=${BACKEND_PYTHON} does not exist`;
  return null;
}

export const SKIP_REASON = findSkipReason();

/** A fresh directory for the database, removed when the process that made it exits. */
function sharedWorkDir(): string {
  const existing = process.env.E2E_WORK_DIR;
  if (existing !== undefined && existing !== '') return existing;
  const dir = mkdtempSync(join(tmpdir(), 'e2e-'));
  process.env.E2E_WORK_DIR = dir;
  process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

export const PORTS = {
  backend: await sharedPort('E2E_BACKEND_PORT'),
  frontend: await sharedPort('E2E_FRONTEND_PORT'),
  foreign: await sharedPort('E2E_FOREIGN_PORT'),
  mail: await sharedPort('E2E_MAIL_PORT'),
};
export const API_URL = `http://${HOST}:${PORTS.backend}`;
export const APP_URL = `http://${HOST}:${PORTS.frontend}`;
/** A page on the same site as the app (only the port differs) and on another site (host name). */
export const FOREIGN_ORIGINS = [`http://${HOST}:${PORTS.foreign}`, `http://localhost:${PORTS.foreign}`];

const WORK_DIR = sharedWorkDir();
/** Where the local SMTP catcher (scripts/mail_catcher.py) keeps each mail as an `.eml` file. */
export const MAIL_DIR = join(WORK_DIR, 'mail');

/** The backend's settings for the run, on top of backend/.env (variables take precedence). */
export const BACKEND_ENV: Record<string, string> = {
  DATABASE_URL: `sqlite:///${join(WORK_DIR, 'e2e.db')}`,
  CORS_ORIGINS: APP_URL,
  BACKEND_PORT: String(PORTS.backend),
  ACCESS_TOKEN_TEST_SECONDS: String(ACCESS_TOKEN_SECONDS),
  JWT_LEEWAY_SECONDS: '0',
  // Cheap hashing and a roomy per-client limit: every login here comes from 127.0.0.1.
  ARGON2_TIME_COST: '1',
  ARGON2_MEMORY_KIB: '1024',
  ARGON2_PARALLELISM: '1',
  LOGIN_MAX_ATTEMPTS_PER_CLIENT: '1000',
  THROTTLE_CLIENT_LIMIT_MULTIPLIER: '100',
  // Mail goes to the run's own catcher; links in it point at the Vite server.
  SMTP_URL: `smtp://${HOST}:${PORTS.mail}`,
  APP_URL,
  MAIL_POLL_SECONDS: '1',
  MAIL_RETRY_MAX_SECONDS: '1',
  PYTHONUNBUFFERED: '1',
};

function readEnvFile(path: string): NodeJS.Dict<string> {
  return existsSync(path) ? parseEnv(readFileSync(path, 'utf8')) : {};
}

const BACKEND_SETTINGS = readEnvFile(join(BACKEND_DIR, '.env'));

/** Whether the bake lets anyone register (else accounts come from the operator's command). */
export const REGISTRATION_OPEN = BACKEND_SETTINGS.ALLOW_REGISTRATION === 'true';

/** Whether a new account must open its verification link before it can sign in. */
export const VERIFICATION_REQUIRED = (BACKEND_SETTINGS.EMAIL_VERIFICATION ?? 'required') === 'required';

/** The project's name, as the template wrote it for the app. */
export const PROJECT_NAME = (JSON.parse(readFileSync(join(FRONTEND_DIR, 'src', 'project.json'), 'utf8')) as { name: string }).name;

/** Everything the backend has written so far. */
export function backendLog(): string {
  return readFileSync(BACKEND_LOG, 'utf8');
}

/** The operator's way to add an account (`python -m app.create_user`), for bakes without registration. */
export function createUserWithCli(email: string, password: string): void {
  execFileSync(BACKEND_PYTHON, ['-m', 'app.create_user', '--email', email], {
    cwd: BACKEND_DIR,
    env: { ...process.env, ...BACKEND_ENV, CREATE_USER_PASSWORD: password },
    stdio: ['ignore', 'pipe', 'pipe'],
    timeout: 30_000,
  });
}
