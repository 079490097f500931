// The rules that keep the server-side secret out of VITE_ variables and out of emitted files,
// and the secret rule, held to agree with the backend's Python rule on one corpus.

import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  checkApiUrl,
  findLeaks,
  findPublicEnvProblems,
  findSecretProblems,
  parsePort,
  secretFilePaths,
  secretProblem,
  secretValues,
  secretValuesIn,
} from './vite-env-guard';

// pragma: allowlist nextline secret
const SECRET = 'k3Jx9-real-looking-secret-value-0123456789abc';

describe('findPublicEnvProblems', () => {
  it('accepts the shipped layout: the secret unprefixed, public values prefixed', () => {
    const env = {
      BETTER_AUTH_SECRET: SECRET,
      VITE_API_URL: 'http://localhost:8000',
      VITE_ALLOW_REGISTRATION: 'true',
    };
    expect(findPublicEnvProblems(env)).toEqual([]);
  });

  it.each(['VITE_BETTER_AUTH_SECRET', 'VITE_API_TOKEN', 'VITE_STRIPE_KEY', 'VITE_DB_PASSWORD'])(
    'refuses %s, whose name looks secret',
    (name) => {
      const [problem] = findPublicEnvProblems({ [name]: 'x' });
      expect(problem).toContain(`${name} looks like a secret`);
    },
  );

  it("refuses a VITE_ value that embeds the secret's value", () => {
    const env = { BETTER_AUTH_SECRET: SECRET, VITE_API_URL: `http://localhost:8000/?s=${SECRET}` };
    expect(findPublicEnvProblems(env)).toEqual([
      expect.stringContaining('VITE_API_URL contains the value of BETTER_AUTH_SECRET'),
    ]);
  });

  it('also guards the previous secret kept during a rotation', () => {
    const env = { BETTER_AUTH_SECRET_PREVIOUS: SECRET, VITE_GREETING: SECRET };
    expect(findPublicEnvProblems(env)[0]).toContain('BETTER_AUTH_SECRET_PREVIOUS');
  });
});

describe('the secrets of every env file', () => {
  // pragma: allowlist nextline secret
  const PRODUCTION = 'Pq7wZ-production-only-secret-9e8d7c6b5a4f3e2d1c0b';
  let root: string;

  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'guard-'));
    mkdirSync(join(root, 'frontend'));
    mkdirSync(join(root, 'backend'));
  });

  afterEach(() => {
    rmSync(root, { recursive: true, force: true });
  });

  it("reads each file on its own: the backend's production secret and Vite's mode files too", () => {
    writeFileSync(join(root, 'frontend', '.env'), `BETTER_AUTH_SECRET=${SECRET}\n`);
    // pragma: allowlist nextline secret
    writeFileSync(join(root, 'frontend', '.env.production'), 'BETTER_AUTH_SECRET=vite-mode-file-secret-0123\n');
    writeFileSync(join(root, 'backend', '.env.production'), `BETTER_AUTH_SECRET=${PRODUCTION}\n`);
    const chosen = join(root, 'elsewhere.env');
    // pragma: allowlist nextline secret
    writeFileSync(chosen, 'BETTER_AUTH_SECRET_PREVIOUS=the-file-backend-env-file-names\n');
    const paths = secretFilePaths(join(root, 'frontend'), chosen);
    expect(paths).toContain(join(root, 'backend', '.env.production'));
    expect(secretValuesIn(paths).sort()).toEqual(
      [SECRET, 'vite-mode-file-secret-0123', PRODUCTION, 'the-file-backend-env-file-names'].sort(),
    );
    expect(secretFilePaths(join(root, 'frontend'), undefined)).not.toContain(chosen);
  });

  it("refuses a VITE_ value holding another file's secret", () => {
    const env = { BETTER_AUTH_SECRET: SECRET, VITE_API_URL: `https://api.example.org/?k=${PRODUCTION}` };
    expect(findPublicEnvProblems(env, [SECRET, PRODUCTION])).toEqual([
      expect.stringContaining('VITE_API_URL contains the value of a BETTER_AUTH_SECRET from another'),
    ]);
    expect(findPublicEnvProblems({ ...env, VITE_API_URL: 'https://api.example.org' }, [PRODUCTION])).toEqual([]);
  });
});

describe('settings', () => {
  it('reads a valid port and explains a bad one', () => {
    expect(parsePort('3000')).toBe(3000);
    expect(parsePort(undefined)).toContain("Run 'make env'");
    expect(parsePort('80')).toContain('1024 to 65535');
  });

  it('wants an http(s) API URL', () => {
    expect(checkApiUrl('http://localhost:8000')).toBeNull();
    expect(checkApiUrl('')).toContain("Run 'make env'");
    expect(checkApiUrl('localhost:8000')).toContain('http:// or https://');
  });
});

describe('findLeaks', () => {
  it("finds the secret's name and value in emitted text, and nothing in clean text", () => {
    const secrets = secretValues({ BETTER_AUTH_SECRET: SECRET });
    expect(findLeaks(`const a="${SECRET}"`, secrets)).toEqual(["the secret's value"]);
    expect(findLeaks('env.BETTER_AUTH_SECRET', secrets)).toEqual(['the name BETTER_AUTH_SECRET']);
    expect(findLeaks('const a = 1', secrets)).toEqual([]);
  });
});

const BACKEND_APP = fileURLToPath(new URL('../backend/app/', import.meta.url));
const CORPUS = fileURLToPath(new URL('../backend/tests/secret_corpus.json', import.meta.url));
const PYTHON = process.env.PYTHON ?? 'python3';
// The backend's rule, run by the system Python on the candidates given on stdin.
const PYTHON_RULE = [
  'import json, sys',
  'sys.path.insert(0, sys.argv[1])',
  'import secret_policy',
  'names = json.load(sys.stdin)',
  'print(json.dumps([secret_policy.secret_problem("BETTER_AUTH_SECRET", c) for c in names]))',
].join('\n');
const pythonMissing = spawnSync(PYTHON, ['--version']).error !== undefined;
const skipPython = pythonMissing && process.env.CI !== 'true';
if (skipPython) console.warn(`secret rule agreement skipped: ${PYTHON} is not installed`);

function candidates(): string[] {
  const corpus = JSON.parse(readFileSync(CORPUS, 'utf8')) as { candidates: string[] };
  const generated = Array.from({ length: 25 }, () => [
    randomBytes(32).toString('base64url'),
    randomBytes(48).toString('base64url'),
    randomBytes(32).toString('hex'),
    randomBytes(32).toString('base64'),
  ]).flat();
  return [...corpus.candidates, ...generated];
}

describe('secretProblem', () => {
  it.each([
    ['a'.repeat(32), '32 hex characters, about 128 bits'],
    ['a'.repeat(48), '48 hex characters, about 192 bits'],
    ['correcthorse'.repeat(4), 'repeats itself'],
    ['1234567890'.repeat(4), '40 decimal characters'],
    // pragma: allowlist nextline secret
    ['qwertyuiopasdfghjklzxcvbnmQWERTYUIOPASDFGHJKLZXCVBNM', 'mostly a sequence'],
    ['replace-me-run-make-env', 'placeholder'],
    ['', 'is missing'],
  ])('refuses %j, saying why and how to fix it', (value, why) => {
    const problem = secretProblem('BETTER_AUTH_SECRET', value);
    expect(problem).toContain(why);
    expect(problem).toMatch(/^BETTER_AUTH_SECRET .*Run 'make env' to generate one\.$/);
  });

  it('accepts random material in the usual encodings', () => {
    for (let round = 0; round < 100; round += 1) {
      for (const encoding of ['base64url', 'hex', 'base64'] as const) {
        expect(secretProblem('BETTER_AUTH_SECRET', randomBytes(32).toString(encoding))).toBeNull();
      }
    }
  });

  it('checks the previous secret only during a rotation', () => {
    const good = randomBytes(32).toString('base64url');
    expect(findSecretProblems({ BETTER_AUTH_SECRET: good, BETTER_AUTH_SECRET_PREVIOUS: '' })).toEqual([]);
    expect(findSecretProblems({ BETTER_AUTH_SECRET: good, BETTER_AUTH_SECRET_PREVIOUS: 'a'.repeat(48) })).toEqual([
      expect.stringContaining('BETTER_AUTH_SECRET_PREVIOUS in frontend/.env is 48 hex characters'),
    ]);
    expect(findSecretProblems({})).toEqual([expect.stringContaining('BETTER_AUTH_SECRET in frontend/.env is missing')]);
  });

  it.skipIf(skipPython)('agrees word for word with the backend rule on the shared corpus', () => {
    const values = candidates();
    const run = spawnSync(PYTHON, ['-c', PYTHON_RULE, BACKEND_APP], {
      input: JSON.stringify(values),
      encoding: 'utf8',
    });
    expect(run.error, `${PYTHON} could not run`).toBeUndefined();
    expect(run.status, run.stderr).toBe(0);
    const expected = JSON.parse(run.stdout) as (string | null)[];
    expect(values.map((value) => secretProblem('BETTER_AUTH_SECRET', value))).toEqual(expected);
    expect(expected.filter((verdict) => verdict === null).length).toBeGreaterThanOrEqual(100);
    expect(expected.filter((verdict) => verdict !== null).length).toBeGreaterThanOrEqual(25);
  });
});
