// Build-time settings: registration is on only for the exact word "true", and the API URL is
// normalised so paths join cleanly.

import { describe, expect, it } from 'vitest';
import { readConfig } from './config';

describe('readConfig', () => {
  it('turns registration on only for "true"', () => {
    expect(readConfig({ VITE_ALLOW_REGISTRATION: 'true' }).allowRegistration).toBe(true);
    expect(readConfig({ VITE_ALLOW_REGISTRATION: 'TRUE ' }).allowRegistration).toBe(true);
    expect(readConfig({ VITE_ALLOW_REGISTRATION: 'false' }).allowRegistration).toBe(false);
    expect(readConfig({ VITE_ALLOW_REGISTRATION: 'yes' }).allowRegistration).toBe(false);
    expect(readConfig({}).allowRegistration).toBe(false);
  });

  it('drops trailing slashes from the API URL', () => {
    expect(readConfig({ VITE_API_URL: 'http://localhost:8000/' }).apiUrl).toBe('http://localhost:8000');
  });
});
