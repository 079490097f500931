// The rules that keep the server-side secret out of VITE_ variables and out of emitted files.

import { describe, expect, it } from 'vitest';
import { checkApiUrl, findLeaks, findPublicEnvProblems, parsePort, secretValues } from './vite-env-guard';

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
