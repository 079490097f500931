/// <reference types="vite/client" />

// The public variables this app reads; anything else in .env stays out of the bundle.
interface ImportMetaEnv {
  readonly VITE_API_URL?: string;
  readonly VITE_ALLOW_REGISTRATION?: string;
}

interface ImportMeta {
  readonly env: ImportMetaEnv;
}
