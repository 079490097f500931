// Starts what the end-to-end tests drive: the real backend (uvicorn), the real Vite dev server and a
// tiny "foreign" static server, each on a free 127.0.0.1 port with a fresh SQLite database, and
// stops every one of them (whole process groups) even when a test fails.

import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import { createServer as createNetServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const FRONTEND_DIR = resolve(fileURLToPath(new URL('..', import.meta.url)));
export const PROJECT_DIR = resolve(FRONTEND_DIR, '..');
export const BACKEND_DIR = join(PROJECT_DIR, 'backend');
export const ARTIFACTS_DIR = join(PROJECT_DIR, 'artifacts', 'e2e');
const HOST = '127.0.0.1';
const START_TIMEOUT_MS = 60_000;
const STOP_GRACE_MS = 5_000;
/** Short enough that a test can wait for it to run out, long enough to log in and look around. */
export const ACCESS_TOKEN_SECONDS = 4;

/** Where Chromium is, or why the suite cannot run. */
export function findChromium() {
  const given = process.env.CHROMIUM_PATH;
  const candidates = given ? [given] : ['/usr/bin/chromium', '/usr/bin/chromium-browser'];
  const found = candidates.find((path) => existsSync(path));
  if (found !== undefined) return { path: found, reason: null };
  return {
    path: null,
    reason: given
      ? `CHROMIUM_PATH=${given} does not exist`
      : 'Chromium is not installed (apt-get install chromium, or set CHROMIUM_PATH)',
  };
}

/** The KEY=value pairs of an env file, for reading a few answers of the bake. */
export function readEnvFile(path) {
  const values = {};
  if (!existsSync(path)) return values;
  for (const line of readFileSync(path, 'utf8').split('\n')) {
    const match = /^\s*([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*?)\s*$/.exec(line);
    if (match !== null && !line.trimStart().startsWith('#')) values[match[1]] = match[2];
  }
  return values;
}

export function freePort() {
  return new Promise((resolvePort, reject) => {
    const server = createNetServer();
    server.once('error', reject);
    server.listen(0, HOST, () => {
      const { port } = server.address();
      server.close(() => resolvePort(port));
    });
  });
}

function sleep(ms) {
  return new Promise((done) => setTimeout(done, ms));
}

/** Polls `url` until it answers (any HTTP status) or `child` exits or the deadline passes. */
async function waitForHttp(url, child, name) {
  const deadline = Date.now() + START_TIMEOUT_MS;
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(`${name} exited (${child.exitCode ?? child.signalCode}) before answering:\n${child.output()}`);
    }
    try {
      await fetch(url, { signal: AbortSignal.timeout(1_000) });
      return;
    } catch {
      await sleep(150);
    }
  }
  throw new Error(`${name} did not answer ${url} within ${START_TIMEOUT_MS / 1000} s:\n${child.output()}`);
}

// Children run in process groups of their own (so a stop reaches their children too), which also
// means a Ctrl-C or a kill of this process does not reach them: these handlers do.
const live = new Set();
process.on('exit', () => {
  for (const child of live) {
    try {
      process.kill(-child.pid, 'SIGKILL');
    } catch {
      // Already gone.
    }
  }
});
for (const signal of ['SIGINT', 'SIGTERM']) process.once(signal, () => process.exit(130));

/** A child in its own process group, with its output kept for error messages and the audit log. */
function startProcess(command, args, options) {
  const child = spawn(command, args, { ...options, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  live.add(child);
  child.once('exit', () => live.delete(child));
  const chunks = [];
  for (const stream of [child.stdout, child.stderr]) stream.on('data', (chunk) => chunks.push(chunk));
  child.output = () => Buffer.concat(chunks).toString('utf8').slice(-6000);
  child.fullOutput = () => Buffer.concat(chunks).toString('utf8');
  return child;
}

async function stopProcess(child) {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((done) => child.once('exit', done));
  try {
    process.kill(-child.pid, 'SIGTERM');
  } catch {
    return;
  }
  const timer = setTimeout(() => {
    try {
      process.kill(-child.pid, 'SIGKILL');
    } catch {
      // Already gone.
    }
  }, STOP_GRACE_MS);
  await exited;
  clearTimeout(timer);
}

/** A static server on another port: the "attacker's" origin. */
function startForeignServer(port) {
  const page = '<!doctype html><meta charset="utf-8"><title>foreign</title><h1>foreign page</h1>';
  const server = createServer((request, response) => {
    response.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8' });
    response.end(page);
  });
  return new Promise((done, reject) => {
    server.once('error', reject);
    server.listen(port, HOST, () => done(server));
  });
}

/**
 * Starts backend, frontend and foreign server. `backendPython` is the virtualenv's python (the
 * Makefile passes BACKEND_PYTHON). Returns the URLs, helpers and a `stop()` that always cleans up.
 */
export async function startStack({ backendPython }) {
  const workDir = mkdtempSync(join(tmpdir(), 'e2e-'));
  const [backendPort, frontendPort, foreignPort] = [await freePort(), await freePort(), await freePort()];
  const apiUrl = `http://${HOST}:${backendPort}`;
  const appUrl = `http://${HOST}:${frontendPort}`;
  const backendEnv = {
    ...process.env,
    DATABASE_URL: `sqlite:///${join(workDir, 'e2e.db')}`,
    CORS_ORIGINS: appUrl,
    BACKEND_PORT: String(backendPort),
    ACCESS_TOKEN_TEST_SECONDS: String(ACCESS_TOKEN_SECONDS),
    JWT_LEEWAY_SECONDS: '0',
    // Cheap hashing and a roomy per-client limit: every login here comes from 127.0.0.1.
    ARGON2_TIME_COST: '1',
    ARGON2_MEMORY_KIB: '1024',
    ARGON2_PARALLELISM: '1',
    LOGIN_MAX_ATTEMPTS_PER_CLIENT: '1000',
    PYTHONUNBUFFERED: '1',
  };
  const children = [];
  let foreign = null;
  const stop = async () => {
    await Promise.all(children.map(stopProcess));
    if (foreign !== null) await new Promise((done) => foreign.close(done));
    rmSync(workDir, { recursive: true, force: true });
  };
  try {
    const backend = startProcess(
      backendPython,
      ['-m', 'uvicorn', 'app.main:app', '--host', HOST, '--port', String(backendPort)],
      { cwd: BACKEND_DIR, env: backendEnv },
    );
    children.push(backend);
    const vite = startProcess(
      process.execPath,
      [join(FRONTEND_DIR, 'node_modules', 'vite', 'bin', 'vite.js'), '--host', HOST, '--port', String(frontendPort), '--strictPort'],
      { cwd: FRONTEND_DIR, env: { ...process.env, VITE_API_URL: apiUrl, FRONTEND_PORT: String(frontendPort) } },
    );
    children.push(vite);
    foreign = await startForeignServer(foreignPort);
    await Promise.all([waitForHttp(`${apiUrl}/health`, backend, 'backend'), waitForHttp(appUrl, vite, 'vite')]);
    return {
      apiUrl,
      appUrl,
      // Same site as the app (only the port differs) and a different site (another host name).
      foreignOrigins: [`http://${HOST}:${foreignPort}`, `http://localhost:${foreignPort}`],
      backendLog: () => backend.fullOutput(),
      createUser: (email, password) => createUserWithCli(backendPython, backendEnv, email, password),
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}

/** The operator's way to add an account (`python -m app.create_user`), for bakes without registration. */
function createUserWithCli(backendPython, env, email, password) {
  return new Promise((done, reject) => {
    const child = startProcess(backendPython, ['-m', 'app.create_user', '--email', email], {
      cwd: BACKEND_DIR,
      env: { ...env, CREATE_USER_PASSWORD: password },
    });
    const timer = setTimeout(() => void stopProcess(child), 30_000);
    child.once('exit', (code) => {
      clearTimeout(timer);
      if (code === 0) done();
      else reject(new Error(`create_user exited ${code}:\n${child.output()}`));
    });
  });
}
