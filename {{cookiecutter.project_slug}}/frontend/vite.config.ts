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
  secretFilePaths,
  secretValues,
  secretValuesIn,
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
  // Every secret of the project, the backend's production one included, file by file: loadEnv
  // merges files, so a value one file overrides would otherwise go unsearched.
  const diskSecrets = secretValuesIn(secretFilePaths(frontendDir, process.env.BACKEND_ENV_FILE));
  const problems = findPublicEnvProblems(env, diskSecrets);
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
      refuseSecretsInBundle([...new Set([...secretValues(env), ...diskSecrets])]),
      projectTitle(readProjectName(`${frontendDir}src/project.json`)),
    ],
    server,
    preview: server,
    build: { sourcemap: false },
    test: {
      environment: 'node',
      include: ['src/**/*.test.{ts,tsx}', 'scripts/**/*.test.ts', '*.test.ts'],
      restoreMocks: true,
      // A hang guard, not a speed check: page tests load the zxcvbn dictionaries and type long
      // passwords key by key, re-rendering the strength meter; on a busy two-core CI machine one
      // such test took over Vitest's 5 s default, and its typing ran on into the next test.
      testTimeout: 30_000,
    },
  };
});
