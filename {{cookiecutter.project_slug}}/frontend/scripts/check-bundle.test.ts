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

function check(): { status: number | null; output: string } {
  const run = spawnSync(process.execPath, [SCRIPT, '--root', root], { encoding: 'utf8' });
  return { status: run.status, output: run.stdout + run.stderr };
}

function writeEnv(secret: string): void {
  writeFileSync(join(root, '.env'), `# test\nBETTER_AUTH_SECRET=${secret}\nVITE_API_URL=http://x\n`);
}

function emit(name: string, text: string): void {
  mkdirSync(join(root, 'dist', 'assets'), { recursive: true });
  writeFileSync(join(root, 'dist', name), text);
}

beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), 'check-bundle-'));
});

afterEach(() => {
  rmSync(root, { recursive: true, force: true });
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

  it('fails when there is no build to check', () => {
    writeEnv(SECRET);
    const result = check();
    expect(result.status).toBe(1);
    expect(result.output).toContain('npm run build');
  });
});
