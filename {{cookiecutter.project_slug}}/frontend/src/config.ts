// The public, build-time settings of the app, read once from Vite's env (frontend/.env).
// Only VITE_-prefixed values exist here; vite.config.ts guarantees none of them is a secret.

export interface AppConfig {
  apiUrl: string;
  allowRegistration: boolean;
}

export function readConfig(
  env: Pick<ImportMetaEnv, 'VITE_API_URL' | 'VITE_ALLOW_REGISTRATION'>,
): AppConfig {
  const apiUrl = (env.VITE_API_URL ?? '').trim().replace(/\/+$/, '');
  return {
    apiUrl,
    allowRegistration: (env.VITE_ALLOW_REGISTRATION ?? '').trim().toLowerCase() === 'true',
  };
}

export const config: AppConfig = readConfig(import.meta.env);
