// Settings of the typed API client's generator (@hey-api/openapi-ts). `make client` runs it with
// the backend's schema as its input (`-i`, exported by `python -m app.openapi`), so the client in
// src/client always describes the API of this checkout; never edit that directory by hand.

import type { UserConfig } from '@hey-api/openapi-ts';

export default {
  output: { path: 'src/client' },
  plugins: ['@hey-api/client-fetch', '@hey-api/typescript', '@hey-api/sdk'],
  // Errors go to the terminal; no crash-report files are left in the project.
  logs: { file: false },
} satisfies Omit<UserConfig, 'input'>;
