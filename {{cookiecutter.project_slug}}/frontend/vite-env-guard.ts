// Build-time guards that keep the server-side secret out of the browser bundle. Used by
// vite.config.ts; kept apart so the rules can be unit-tested without running a build.

import type { Plugin } from 'vite';

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

/** Every reason this env must not be built; empty when it is safe. */
export function findPublicEnvProblems(env: Env): string[] {
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
  }
  return problems;
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
