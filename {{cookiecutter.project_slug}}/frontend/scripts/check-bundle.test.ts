// Proves the bundle check can fail: it is only worth running if it catches a planted leak.

import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';

const SCRIPT = fileURLToPath(new URL('./check-bundle.mjs', import.meta.url));
// pragma: allowlist nextline secret
const SECRET = 'Zq8vN3-test-only-secret-4f1b9c2e7a6d5e0f1a2b';
let root: string;

function check(env: Record<string, string> = {}): { status: number | null; output: string } {
  const run = spawnSync(process.execPath, [SCRIPT, '--root', root], {
    encoding: 'utf8',
    env: { ...process.env, BACKEND_ENV_FILE: '', ...env },
  });
  return { status: run.status, output: run.stdout + run.stderr };
}

function writeEnv(secret: string): void {
  writeFileSync(join(root, '.env'), `# test\nBETTER_AUTH_SECRET=${secret}\nVITE_API_URL=http://x\n`);
}

function emit(name: string, text: string): void {
  mkdirSync(join(root, 'dist', 'assets'), { recursive: true });
  writeFileSync(join(root, 'dist', name), text);
}

// The frontend directory of a throwaway project, so that ../backend is the project's too.
beforeEach(() => {
  root = join(mkdtempSync(join(tmpdir(), 'check-bundle-')), 'frontend');
  mkdirSync(root);
});

afterEach(() => {
  rmSync(join(root, '..'), { recursive: true, force: true });
});

describe('check-bundle', () => {
  it('passes a clean bundle', () => {
    writeEnv(SECRET);
    emit('assets/index.js', 'console.log("hello")');
    const result = check();
    expect(result.status).toBe(0);
    expect(result.output).toContain('check-bundle: OK');
  });

  it("fails on the secret's value, naming the file", () => {
    writeEnv(SECRET);
    emit('assets/index.js', `const k = "${SECRET}";`);
    const result = check();
    expect(result.status).toBe(1);
    expect(result.output).toContain('dist/assets/index.js contains the value of BETTER_AUTH_SECRET');
  });

  it('reads the .env file as dotenv does: a quoted secret is found by its value', () => {
    writeFileSync(join(root, '.env'), `export BETTER_AUTH_SECRET="${SECRET}" # generated\n`);
    emit('assets/index.js', `const k = "${SECRET}";`);
    const result = check();
    expect(result.status).toBe(1);
    expect(result.output).toContain('contains the value of BETTER_AUTH_SECRET');
  });

  it("fails on the secret's name", () => {
    writeEnv(SECRET);
    emit('index.html', '<script>env.BETTER_AUTH_SECRET</script>');
    expect(check().output).toContain('contains the name BETTER_AUTH_SECRET');
  });

  it("fails with the fix when .env is missing: run 'make env'", () => {
    emit('assets/index.js', 'x');
    const result = check();
    expect(result.status).toBe(1);
    expect(result.output).toContain("Run 'make env'");
  });

  it('refuses to vouch for a bundle when the secret is still the placeholder', () => {
    writeEnv('replace-me-run-make-env');
    emit('assets/index.js', 'x');
    const result = check();
    expect(result.status).toBe(1);
    expect(result.output).toContain('placeholder');
  });

  it("fails on the backend's production secret, and on the file BACKEND_ENV_FILE names", () => {
    // pragma: allowlist nextline secret
    const production = 'Pq7wZ-production-only-secret-9e8d7c6b5a4f3e2d1c0b';
    const elsewhere = 'Rt5yU-secret-of-a-file-named-by-the-variable-42';
    writeEnv(SECRET);
    mkdirSync(join(root, '..', 'backend'), { recursive: true });
    writeFileSync(join(root, '..', 'backend', '.env.production'), `BETTER_AUTH_SECRET=${production}\n`);
    const chosen = join(root, 'elsewhere.env');
    writeFileSync(chosen, `BETTER_AUTH_SECRET=${elsewhere}\n`);
    emit('assets/index.js', `const a = "${production}"; const b = "${elsewhere}";`);
    const result = check({ BACKEND_ENV_FILE: chosen });
    expect(result.status).toBe(1);
    expect(result.output).toContain(
      'dist/assets/index.js contains the value of BETTER_AUTH_SECRET from ../backend/.env.production',
    );
    expect(result.output).toContain('dist/assets/index.js contains the value of BETTER_AUTH_SECRET from elsewhere.env');
  });

  it('fails on a secret in a file Vite loads for production builds (.env.production)', () => {
    writeEnv(SECRET);
    // pragma: allowlist nextline secret
    writeFileSync(join(root, '.env.production'), 'BETTER_AUTH_SECRET=vite-mode-file-secret-0123\n');
    emit('assets/index.js', 'const a = "vite-mode-file-secret-0123";');
    expect(check().output).toContain('contains the value of BETTER_AUTH_SECRET from .env.production');
  });

  it('fails when there is no build to check', () => {
    writeEnv(SECRET);
    const result = check();
    expect(result.status).toBe(1);
    expect(result.output).toContain('npm run build');
  });
});
