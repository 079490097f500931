// What both end-to-end suites (the development one in e2e/, the https one in e2e-prod/) take from
// this machine: the system Chromium and its flags, and free ports shared between Playwright's
// processes.
//
// Playwright loads a config again in every worker process. A port is chosen once, by the first
// load (the runner), and passed on through process.env, which workers inherit; a later load reads
// it back instead of choosing anew.

import { existsSync } from 'node:fs';
import { createServer } from 'node:net';

/** The flags the system Chromium runs with: headless, quiet, no first-run or update traffic. */
export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  '--disable-quic',
];

const chromiumGiven = process.env.CHROMIUM_PATH ?? '';
export const CHROMIUM_PATH = chromiumGiven !== '' ? chromiumGiven : '/usr/bin/chromium';

/** Why the system Chromium cannot be used, or null when it can. */
export function chromiumMissing(): string | null {
  if (existsSync(CHROMIUM_PATH)) return null;
  return chromiumGiven !== ''
    ? `CHROMIUM_PATH=${chromiumGiven} does not exist`
    : 'Chromium is not installed at /usr/bin/chromium (apt-get install chromium, or set CHROMIUM_PATH)';
}

function freePort(host: string): Promise<number> {
  return new Promise((done, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, host, () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => done(port));
    });
  });
}

/** The port in `process.env[name]`, chosen on `host` (and stored there for the workers) on first use. */
export async function sharedPort(name: string, host = '127.0.0.1'): Promise<number> {
  const existing = process.env[name];
  if (existing !== undefined && existing !== '') return Number(existing);
  const port = await freePort(host);
  process.env[name] = String(port);
  return port;
}
