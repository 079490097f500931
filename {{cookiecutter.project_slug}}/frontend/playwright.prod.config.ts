// The https suite: `make prod` (the production rehearsal: built app, backend workers, Caddy) on
// free ports with production settings of its own, driven in the system Chromium. `make test-prod`
// runs it (or `BACKEND_PYTHON=../.venv/bin/python npm run e2e:prod`). The development suite is
// playwright.config.ts; the two never share a server.

import { mkdirSync } from 'node:fs';
import { defineConfig, type PlaywrightTestConfig } from '@playwright/test';
import {
  API_URL,
  APP_URL,
  ARTIFACTS_DIR,
  CADDY_DIR,
  CHROMIUM_ARGS,
  CHROMIUM_PATH,
  ENV_FILE,
  LOG,
  PORTS,
  PROJECT_DIR,
  SKIP_REASON,
  VENV,
} from './e2e-prod/rehearsal.ts';

// A cold `make prod` builds the app and migrates before it serves.
const START_TIMEOUT_MS = 180_000;
const isRunner = process.env.TEST_WORKER_INDEX === undefined;

if (SKIP_REASON !== null && process.env.CI === 'true') {
  // Under CI a missing browser, Caddy or backend must fail the run, not pass it quietly.
  throw new Error(`e2e:prod cannot run: ${SKIP_REASON} (CI=true: this is a failure)`);
}
if (SKIP_REASON !== null && isRunner) console.log(`e2e:prod: skipped: ${SKIP_REASON}`);
mkdirSync(ARTIFACTS_DIR, { recursive: true });

// The real target, as an operator runs it, with this run's ports, settings and CA directory. Its
// output goes to a file the tests read (audit lines); if it stops before answering, the end of
// that file is what Playwright shows. SIGINT is Ctrl-C: make prod then stops everything it started.
const makeProd =
  `make -C "${PROJECT_DIR}" --no-print-directory prod VENV="${VENV}" ENV_FILE="${ENV_FILE}" ` +
  `APP_PORT=${PORTS.app} API_PORT=${PORTS.api} HTTP_PORT=${PORTS.http} CADDY_DIR="${CADDY_DIR}" ` +
  `>"${LOG}" 2>&1 || { tail -n 60 "${LOG}" >&2; exit 1; }`;

const webServer: PlaywrightTestConfig['webServer'] = [
  {
    name: 'make prod',
    command: makeProd,
    url: `${API_URL}/health`,
    // For this readiness poll only; the tests verify the certificate against Caddy's root.
    ignoreHTTPSErrors: true,
    timeout: START_TIMEOUT_MS,
    gracefulShutdown: { signal: 'SIGINT', timeout: 30_000 },
  },
];

export default defineConfig({
  testDir: 'e2e-prod',
  testMatch: '**/*.spec.ts',
  outputDir: `${ARTIFACTS_DIR}/results`,
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
    // The browser does not know Caddy's local CA, and nothing is installed for it: certificate
    // errors are ignored in this test browser only. The header tests check the real chain.
    ignoreHTTPSErrors: true,
    actionTimeout: 10_000,
    navigationTimeout: 15_000,
    screenshot: 'only-on-failure',
    launchOptions: { executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS, timeout: 30_000 },
  },
  ...(SKIP_REASON === null ? { webServer } : {}),
});
