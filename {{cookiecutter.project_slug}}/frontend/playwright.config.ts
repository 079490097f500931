// End-to-end tests in the system Chromium (never a downloaded browser), against the real backend
// (uvicorn on a throwaway SQLite database), the real Vite dev server, a static page on a foreign
// origin and the local SMTP catcher (mail as .eml files in a throwaway folder), each on a free
// 127.0.0.1 port. `make test-e2e` runs it (or
// `BACKEND_PYTHON=../.venv/bin/python npm run e2e`).

import { mkdirSync } from 'node:fs';
import { defineConfig, type PlaywrightTestConfig } from '@playwright/test';
import {
  API_URL,
  APP_URL,
  ARTIFACTS_DIR,
  BACKEND_ENV,
  BACKEND_LOG,
  BACKEND_PYTHON,
  CHROMIUM_ARGS,
  CHROMIUM_PATH,
  FRONTEND_DIR,
  HOST,
  MAIL_DIR,
  PORTS,
  PROJECT_DIR,
  SKIP_REASON,
} from './e2e/stack.ts';

const START_TIMEOUT_MS = 60_000;
const isRunner = process.env.TEST_WORKER_INDEX === undefined;

if (SKIP_REASON !== null && process.env.CI === 'true') {
  // Under CI a missing browser or backend must fail the run, not pass it quietly.
  throw new Error(`e2e cannot run: ${SKIP_REASON} (CI=true: this is a failure)`);
}
if (SKIP_REASON !== null && isRunner) console.log(`e2e: skipped: ${SKIP_REASON}`);
mkdirSync(ARTIFACTS_DIR, { recursive: true });

// The backend's output goes to a file the tests read (audit lines); if it stops before answering,
// the end of that file is what Playwright shows.
const backendCommand =
  `"$BACKEND_PYTHON" -m uvicorn app.main:app --host ${HOST} --port ${PORTS.backend} ` +
  `>"$E2E_BACKEND_LOG" 2>&1 || { tail -n 40 "$E2E_BACKEND_LOG" >&2; exit 1; }`;

const webServer: PlaywrightTestConfig['webServer'] = [
  {
    // First, so the backend's first mail finds it; the backend's SMTP_URL points here.
    name: 'mail',
    command: `"$BACKEND_PYTHON" ../scripts/mail_catcher.py --port ${PORTS.mail} --dir "$E2E_MAIL_DIR"`,
    cwd: FRONTEND_DIR,
    env: { BACKEND_PYTHON, E2E_MAIL_DIR: MAIL_DIR, PYTHONUNBUFFERED: '1' },
    port: PORTS.mail,
    timeout: START_TIMEOUT_MS,
    stdout: 'ignore',
    gracefulShutdown: { signal: 'SIGTERM', timeout: 5_000 },
  },
  {
    name: 'backend',
    command: backendCommand,
    cwd: `${PROJECT_DIR}/backend`,
    env: { ...BACKEND_ENV, BACKEND_PYTHON, E2E_BACKEND_LOG: BACKEND_LOG },
    url: `${API_URL}/health`,
    timeout: START_TIMEOUT_MS,
    gracefulShutdown: { signal: 'SIGTERM', timeout: 5_000 },
  },
  {
    name: 'vite',
    command: `node node_modules/vite/bin/vite.js --host ${HOST} --port ${PORTS.frontend} --strictPort`,
    cwd: FRONTEND_DIR,
    env: { VITE_API_URL: API_URL, FRONTEND_PORT: String(PORTS.frontend) },
    url: APP_URL,
    timeout: START_TIMEOUT_MS,
    stdout: 'ignore',
  },
  {
    // The "attacker's" origin: any page that is not the app's.
    name: 'foreign',
    command: `"$BACKEND_PYTHON" -m http.server ${PORTS.foreign} --bind ${HOST} --directory e2e/foreign-origin`,
    cwd: FRONTEND_DIR,
    env: { BACKEND_PYTHON },
    url: `http://${HOST}:${PORTS.foreign}/`,
    timeout: START_TIMEOUT_MS,
    stdout: 'ignore',
    stderr: 'ignore',
  },
];

export default defineConfig({
  testDir: 'e2e',
  testMatch: '**/*.spec.ts',
  outputDir: `${ARTIFACTS_DIR}/results`,
  // One browser at a time: the machine is small, and some tests share one signed-in page.
  workers: 1,
  fullyParallel: false,
  forbidOnly: process.env.CI === 'true',
  retries: 0,
  timeout: 60_000,
  expect: { timeout: 10_000 },
  reporter: [['list']],
  use: {
    browserName: 'chromium',
    baseURL: APP_URL,
    actionTimeout: 10_000,
    navigationTimeout: 10_000,
    screenshot: 'only-on-failure',
    launchOptions: { executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS, timeout: 30_000 },
  },
  ...(SKIP_REASON === null ? { webServer } : {}),
});
