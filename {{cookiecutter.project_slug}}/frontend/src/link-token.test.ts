// The token of a mailed link leaves the address bar at once, and nothing else is touched.

import { describe, expect, it, vi } from 'vitest';
import { takeLinkToken } from './link-token';

function addressBar(hash: string, search = '') {
  return {
    location: { pathname: '/verify-email', search, hash },
    history: { state: { from: 'mail' }, replaceState: vi.fn() },
  };
}

describe('takeLinkToken', () => {
  it('returns the token and replaces the address with one without the fragment', () => {
    const { location, history } = addressBar('#token=abc-DEF_123', '?utm=x');

    expect(takeLinkToken(location, history)).toBe('abc-DEF_123');
    expect(history.replaceState).toHaveBeenCalledExactlyOnceWith({ from: 'mail' }, '', '/verify-email?utm=x');
  });

  it('decodes a percent-encoded token', () => {
    const { location, history } = addressBar('#token=a%2Bb%3D');
    expect(takeLinkToken(location, history)).toBe('a+b=');
  });

  it('leaves an address without a token alone', () => {
    for (const hash of ['', '#section', '#other=1']) {
      const { location, history } = addressBar(hash);
      expect(takeLinkToken(location, history)).toBeNull();
      expect(history.replaceState).not.toHaveBeenCalled();
    }
  });

  it('removes an empty token too, and reports none', () => {
    const { location, history } = addressBar('#token=');
    expect(takeLinkToken(location, history)).toBeNull();
    expect(history.replaceState).toHaveBeenCalledOnce();
  });
});
