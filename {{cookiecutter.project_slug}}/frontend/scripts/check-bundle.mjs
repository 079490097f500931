// Searches every file the build emitted (dist/) for the server-side secret, by name and by value:
// the value in frontend/.env and in every other env file that can hold one (secret-env-files.json:
// the files Vite loads in a production build, the backend's development and production files, and
// the file BACKEND_ENV_FILE names). Exit 0: none found; exit 1: a leak, or nothing to check.
// Usage: node scripts/check-bundle.mjs [--root <frontend dir>]   (npm run check-bundle)

import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseEnv } from 'node:util';

const SECRET_NAME = 'BETTER_AUTH_SECRET';
const SECRET_KEYS = [SECRET_NAME, `${SECRET_NAME}_PREVIOUS`];
const PLACEHOLDER = 'replace-me-run-make-env';
const SECRET_FILES = JSON.parse(
  readFileSync(new URL('./secret-env-files.json', import.meta.url), 'utf8'),
).files;

function* filesUnder(dir) {
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) yield* filesUnder(path);
    else yield path;
  }
}

function fail(message) {
  console.error(`check-bundle: FAILED\n  ${message}`);
  process.exit(1);
}

const rootFlag = process.argv.indexOf('--root');
const root =
  rootFlag === -1
    ? fileURLToPath(new URL('..', import.meta.url))
    : resolve(process.argv[rootFlag + 1] ?? '.');
const envPath = join(root, '.env');
const distDir = join(root, 'dist');

if (!existsSync(envPath)) {
  fail(
    `frontend/.env is missing, so there is no secret to search for. ` +
      `Run 'make env' in the project root to create it, then run this again.`,
  );
}
const env = parseEnv(readFileSync(envPath, 'utf8'));
const secret = (env[SECRET_NAME] ?? '').trim();
if (secret === '' || secret === PLACEHOLDER) {
  fail(
    `${SECRET_NAME} in frontend/.env is ${secret === '' ? 'empty' : 'still the placeholder'}, ` +
      `so the search would prove nothing. Run 'make env' to generate the real one.`,
  );
}

/** Every secret (its key, the file holding it, its value) in the project's env files. */
function secretsOnDisk() {
  const chosen = (process.env.BACKEND_ENV_FILE ?? '').trim();
  const files = [...SECRET_FILES.map((name) => join(root, name)), ...(chosen ? [resolve(chosen)] : [])];
  const found = [];
  for (const file of new Set(files)) {
    if (!existsSync(file)) continue;
    const values = parseEnv(readFileSync(file, 'utf8'));
    for (const key of SECRET_KEYS) {
      const value = (values[key] ?? '').trim();
      if (value.length >= 8) found.push({ key, file: relative(root, file), value });
    }
  }
  return found;
}
const secrets = secretsOnDisk();

if (!existsSync(distDir)) {
  fail(`dist/ is missing: run 'npm run build' first (npm run ci does both).`);
}

const leaks = [];
let fileCount = 0;
let byteCount = 0;
for (const file of filesUnder(distDir)) {
  // Bytes decoded as latin1 keep every byte, so a match is found in any text or binary file.
  const text = readFileSync(file).toString('latin1');
  fileCount += 1;
  byteCount += text.length;
  const where = relative(root, file);
  if (text.includes(SECRET_NAME)) leaks.push(`${where} contains the name ${SECRET_NAME}`);
  for (const { key, file: source, value } of secrets) {
    if (text.includes(value)) leaks.push(`${where} contains the value of ${key} from ${source}`);
  }
}

if (fileCount === 0) fail(`dist/ is empty: run 'npm run build' first.`);
if (leaks.length > 0) {
  fail(
    `${leaks.join('\n  ')}\n  The browser bundle is public: remove whatever reads the secret ` +
      `in client code, rebuild, and rotate the secret ('make new-secret') if this build was shared.`,
  );
}
const sources = [...new Set(secrets.map(({ file }) => file))].join(', ');
console.log(
  `check-bundle: OK, ${fileCount} files (${(byteCount / 1024).toFixed(1)} KiB) in dist/ hold ` +
    `neither the name ${SECRET_NAME} nor the value of any secret in ${sources}.`,
);
