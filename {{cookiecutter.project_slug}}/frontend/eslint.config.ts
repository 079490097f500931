// Lint rules of the frontend: typescript-eslint's strict rules with type information, and React's
// hook rules, over the app, its unit tests, the e2e suite, the build config and scripts.

import js from '@eslint/js';
import reactHooks from 'eslint-plugin-react-hooks';
import { defineConfig } from 'eslint/config';
import globals from 'globals';
import tseslint from 'typescript-eslint';

export default defineConfig(
  // src/client is generated (`make client`): tsc still checks it under strict, but its code is
  // the generator's, not ours to restyle.
  { ignores: ['dist/', 'node_modules/', 'src/client/'] },
  js.configs.recommended,
  tseslint.configs.strictTypeChecked,
  {
    languageOptions: {
      parserOptions: {
        // Three programs: the app (DOM), the build tooling (Node), the e2e suite (both).
        project: ['./tsconfig.json', './tsconfig.node.json', './tsconfig.e2e.json'],
        tsconfigRootDir: import.meta.dirname,
      },
    },
    rules: {
      // Numbers in messages read naturally: `in ${seconds} seconds`.
      '@typescript-eslint/restrict-template-expressions': ['error', { allowNumber: true }],
      // `() => setValue(x)` is the idiom for handlers; a void returned there confuses nobody.
      '@typescript-eslint/no-confusing-void-expression': ['error', { ignoreArrowShorthand: true }],
    },
  },
  {
    files: ['src/**/*.{ts,tsx}'],
    extends: [reactHooks.configs.flat['recommended-latest']],
  },
  {
    // Plain JavaScript run by Node as it is (no type information to lint with).
    files: ['**/*.{js,mjs}'],
    extends: [tseslint.configs.disableTypeChecked],
    languageOptions: { globals: globals.node },
  },
);
