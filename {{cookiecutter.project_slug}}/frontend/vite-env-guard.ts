// Build-time guards that keep the server-side secret out of the browser bundle, and refuse a
// secret that is not random material. Used by vite.config.ts; kept apart so the rules can be
// unit-tested without running a build.

import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseEnv } from 'node:util';
import type { Plugin } from 'vite';
import policyFile from './../backend/app/secret_policy.json' with { type: 'json' };
import secretFiles from './scripts/secret-env-files.json' with { type: 'json' };

export const PUBLIC_PREFIX = 'VITE_';
export const SECRET_NAMES = ['BETTER_AUTH_SECRET', 'BETTER_AUTH_SECRET_PREVIOUS'] as const;

// Words that mark a value nobody should publish; every VITE_ value is compiled into public JS.
const SECRET_LOOKING_NAME = /SECRET|TOKEN|KEY|PASSWORD|PRIVATE|CREDENTIAL/i;
// Shorter "secrets" would match ordinary values by accident; real ones are 32+ bytes.
const MIN_SEARCHABLE_SECRET = 8;

export type Env = Record<string, string | undefined>;

/** The secret values present in the env, for searching (empty and tiny values skipped). */
export function secretValues(env: Env): string[] {
  return SECRET_NAMES.map((name) => env[name]?.trim() ?? '').filter(
    (value) => value.length >= MIN_SEARCHABLE_SECRET,
  );
}

/** The project's env files that can hold a secret (scripts/secret-env-files.json, shared with
 * check-bundle.mjs), and the one BACKEND_ENV_FILE names: the backend's production settings
 * during `make prod`. Absolute paths; not all of them exist. */
export function secretFilePaths(frontendDir: string, backendEnvFile: string | undefined): string[] {
  const chosen = backendEnvFile?.trim() ?? '';
  const paths = secretFiles.files.map((name) => resolve(frontendDir, name));
  return [...new Set(chosen === '' ? paths : [...paths, resolve(chosen)])];
}

/** The secret values held by those of `paths` that exist, read one file at a time: a value Vite
 * would never load (the backend's production secret) must stay out of the bundle all the same. */
export function secretValuesIn(paths: readonly string[]): string[] {
  const values = paths
    .filter((path) => existsSync(path))
    .flatMap((path) => secretValues(parseEnv(readFileSync(path, 'utf8'))));
  return [...new Set(values)];
}

/** Every reason this env must not be built; empty when it is safe. `otherSecrets` are the values
 * of the project's other env files (secretValuesIn), which no public value may contain either. */
export function findPublicEnvProblems(env: Env, otherSecrets: readonly string[] = []): string[] {
  const problems: string[] = [];
  const secrets = SECRET_NAMES.map((name) => [name, env[name]?.trim() ?? ''] as const).filter(
    ([, value]) => value.length >= MIN_SEARCHABLE_SECRET,
  );
  for (const [name, value = ''] of Object.entries(env)) {
    if (!name.startsWith(PUBLIC_PREFIX)) continue;
    const word = SECRET_LOOKING_NAME.exec(name)?.[0];
    if (word !== undefined) {
      problems.push(
        `${name} looks like a secret (its name contains "${word.toUpperCase()}"), but every ` +
          `${PUBLIC_PREFIX} variable is compiled into the public bundle. Drop the ` +
          `${PUBLIC_PREFIX} prefix and use it on a server only.`,
      );
    }
    for (const [secretName, secret] of secrets) {
      if (value.includes(secret)) {
        problems.push(
          `${name} contains the value of ${secretName}, which would publish it in the bundle. ` +
            `Remove it from ${name}; the browser never needs it.`,
        );
      }
    }
    if (otherSecrets.some((secret) => value.includes(secret) && !secrets.some(([, own]) => own === secret))) {
      problems.push(
        `${name} contains the value of a BETTER_AUTH_SECRET from another of the project's env ` +
          `files (the backend's development or production settings), which would publish it in ` +
          `the bundle. Remove it from ${name}; the browser never needs it.`,
      );
    }
  }
  return problems;
}

// The secret rule: a port of backend/app/secret_policy.py, reading the same parameters and
// sentences, so the backend, scripts/ and this build refuse the same values in the same words
// (vite-env-guard.test.ts runs both on one corpus). See that file for what each check means.

type Reason = 'missing' | 'placeholder' | 'short' | 'entropy' | 'repetition' | 'sequence';

interface SecretPolicy {
  min_bytes: number;
  min_bits: number;
  alphabets: { name: string; size: number; pattern: string; padding: string }[];
  min_distinct_trigram_percent: number;
  max_sequence_step_percent: number;
  keyboard_rows: string[][];
  placeholder_markers: string[];
  messages: Record<Reason, string>;
}

const POLICY: SecretPolicy = policyFile;
const ALPHABETS = POLICY.alphabets.map((alphabet) => ({
  ...alphabet,
  // Python's re.fullmatch: the whole value, code point by code point.
  regex: new RegExp(`^(?:${alphabet.pattern})$`, 'u'),
}));
const KEYS = new Map<string, readonly [number, number]>(
  POLICY.keyboard_rows.flatMap((layers, row) =>
    layers.flatMap((layer) => Array.from(layer, (key, column) => [key, [row, column]] as const)),
  ),
);

function say(reason: Reason, values: Record<string, string | number>): string {
  return POLICY.messages[reason].replace(/\{(\w+)\}/g, (_, key: string) => String(values[key]));
}

function isSequenceStep(left: string, right: string): boolean {
  if (Math.abs((left.codePointAt(0) ?? 0) - (right.codePointAt(0) ?? 0)) === 1) return true;
  const here = KEYS.get(left);
  const there = KEYS.get(right);
  return here !== undefined && there !== undefined && here[0] === there[0] && Math.abs(here[1] - there[1]) === 1;
}

function stripTrailing(value: string, padding: string): string {
  const characters = Array.from(value);
  while (characters.length > 0 && padding.includes(characters[characters.length - 1] ?? '')) {
    characters.pop();
  }
  return characters.join('');
}

function shapeProblem(name: string, characters: string[]): string | null {
  const trigrams = characters.slice(0, -2).map((_, index) => characters.slice(index, index + 3).join(''));
  const distinct = new Set(trigrams).size;
  const minPercent = POLICY.min_distinct_trigram_percent;
  if (trigrams.length > 0 && distinct * 100 < trigrams.length * minPercent) {
    const percent = Math.floor((distinct * 100) / trigrams.length);
    return say('repetition', { name, percent, min_percent: minPercent });
  }
  const steps = characters.length - 1;
  const sequential = characters
    .slice(1)
    .filter((character, index) => isSequenceStep(characters[index] ?? '', character)).length;
  const maxPercent = POLICY.max_sequence_step_percent;
  if (steps > 0 && sequential * 100 >= steps * maxPercent) {
    const percent = Math.floor((sequential * 100) / steps);
    return say('sequence', { name, percent, max_percent: maxPercent });
  }
  return null;
}

/** Why `value` cannot be the secret `name`, as a sentence with the fix; null when it can. */
export function secretProblem(name: string, value: string | undefined): string | null {
  if (value === undefined || value === '') return say('missing', { name });
  const lowered = value.toLowerCase();
  if (POLICY.placeholder_markers.some((marker) => lowered.includes(marker))) {
    return say('placeholder', { name });
  }
  const bytes = new TextEncoder().encode(value).length;
  if (bytes < POLICY.min_bytes) return say('short', { name, bytes, min_bytes: POLICY.min_bytes });
  const alphabet = ALPHABETS.find((candidate) => candidate.regex.test(value));
  if (alphabet === undefined) throw new Error('secret_policy.json: the last alphabet must match anything');
  const length = Array.from(alphabet.padding ? stripTrailing(value, alphabet.padding) : value).length;
  const bits = length * Math.log2(alphabet.size);
  if (bits < POLICY.min_bits) {
    return say('entropy', {
      name,
      length,
      alphabet: alphabet.name,
      bits: Math.floor(bits),
      min_bits: POLICY.min_bits,
    });
  }
  return shapeProblem(name, Array.from(value));
}

/** The secrets in frontend/.env that the rule refuses: the secret always, the previous one when
 * a rotation is under way. */
export function findSecretProblems(env: Env): string[] {
  const [current, previous] = SECRET_NAMES;
  const problems = [secretProblem(`${current} in frontend/.env`, env[current]?.trim())];
  const previousValue = env[previous]?.trim();
  if (previousValue) problems.push(secretProblem(`${previous} in frontend/.env`, previousValue));
  return problems.filter((problem): problem is string => problem !== null);
}

/** FRONTEND_PORT as a number, or a sentence saying what is wrong and how to fix it. */
export function parsePort(raw: string | undefined): number | string {
  if (raw === undefined || raw.trim() === '') {
    return "FRONTEND_PORT is not set in frontend/.env. Run 'make env' to create it.";
  }
  const port = Number(raw);
  if (!Number.isInteger(port) || port < 1024 || port > 65535) {
    return `FRONTEND_PORT is "${raw}"; it must be a whole number from 1024 to 65535.`;
  }
  return port;
}

/** VITE_API_URL problems: it must be an http(s) origin the browser can call. */
export function checkApiUrl(raw: string | undefined): string | null {
  if (raw === undefined || raw.trim() === '') {
    return "VITE_API_URL is not set in frontend/.env. Run 'make env' to create it.";
  }
  let url: URL;
  try {
    url = new URL(raw.trim());
  } catch {
    return `VITE_API_URL is "${raw}", which is not a URL; use e.g. http://localhost:8000.`;
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    return `VITE_API_URL must start with http:// or https://, not ${url.protocol}//.`;
  }
  return null;
}

/** Names of the secrets and their values found in one emitted file's text. */
export function findLeaks(text: string, secrets: readonly string[]): string[] {
  const leaks: string[] = [];
  if (SECRET_NAMES.some((name) => text.includes(name))) leaks.push('the name BETTER_AUTH_SECRET');
  if (secrets.some((secret) => text.includes(secret))) leaks.push("the secret's value");
  return leaks;
}

/** Last line of defence inside the build itself: refuse to emit a file that holds a secret. */
export function refuseSecretsInBundle(secrets: readonly string[]): Plugin {
  return {
    name: 'refuse-secrets-in-bundle',
    apply: 'build',
    generateBundle(_options, bundle) {
      for (const output of Object.values(bundle)) {
        const text =
          output.type === 'chunk'
            ? output.code
            : typeof output.source === 'string'
              ? output.source
              : new TextDecoder().decode(output.source);
        const leaks = findLeaks(text, secrets);
        if (leaks.length > 0) {
          this.error(
            `${output.fileName} would contain ${leaks.join(' and ')}. Client code must never ` +
              'read the server-side secret; remove the reference and build again.',
          );
        }
      }
    },
  };
}
