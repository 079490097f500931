// Vite + Vitest configuration. Every setting comes from frontend/.env (written by `make env`);
// the build stops with a clear message rather than ship a bundle that could hold a secret.

/// <reference types="vitest/config" />
import { fileURLToPath } from 'node:url';
import react from '@vitejs/plugin-react';
import { defineConfig, loadEnv } from 'vite';
import {
  PUBLIC_PREFIX,
  checkApiUrl,
  findPublicEnvProblems,
  findSecretProblems,
  parsePort,
  refuseSecretsInBundle,
  secretValues,
} from './vite-env-guard.ts';
import { projectTitle, readProjectName } from './vite-project-title.ts';

const frontendDir = fileURLToPath(new URL('.', import.meta.url));

function fail(problems: string[]): never {
  throw new Error(
    `\nThe frontend's settings (frontend/.env and VITE_ environment variables) cannot be used:\n  - ${problems.join('\n  - ')}\n`,
  );
}

export default defineConfig(({ command, mode, isPreview }) => {
  // Prefix '' loads every variable (files and process env) so the guards see what Vite would
  // expose; only PUBLIC_PREFIX variables ever reach client code.
  const env = loadEnv(mode, frontendDir, '');
  const problems = findPublicEnvProblems(env);
  const isTest = mode === 'test';
  const isDevServer = command === 'serve' && isPreview !== true && !isTest;
  if (command === 'build' || isDevServer) {
    const apiUrlProblem = checkApiUrl(env.VITE_API_URL);
    if (apiUrlProblem !== null) problems.push(apiUrlProblem);
    // The same rule as the backend's: a weak secret stops the build as it stops the server.
    problems.push(...findSecretProblems(env));
  }
  const port = parsePort(env.FRONTEND_PORT);
  if (isDevServer && typeof port === 'string') problems.push(port);
  if (problems.length > 0) fail(problems);

  // localhost, not 127.0.0.1: the backend's CORS list and the cookie are keyed to that origin.
  const server = {
    host: 'localhost',
    strictPort: true,
    ...(typeof port === 'number' ? { port } : {}),
  };
  return {
    envDir: frontendDir,
    envPrefix: PUBLIC_PREFIX,
    plugins: [
      react(),
      refuseSecretsInBundle(secretValues(env)),
      projectTitle(readProjectName(`${frontendDir}src/project.json`)),
    ],
    server,
    preview: server,
    build: { sourcemap: false },
    test: {
      environment: 'node',
      include: ['src/**/*.test.{ts,tsx}', 'scripts/**/*.test.ts', '*.test.ts'],
      restoreMocks: true,
      // A hang guard, not a timing check: page tests type long passwords key by key, and each key
      // re-renders the strength meter; on a busy machine (the template's matrix runs two bakes at
      // once) one such test took over 5 s, Vitest's default, and its typing ran on into the next.
      testTimeout: 30_000,
    },
  };
});
