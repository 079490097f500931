// Messages from other tabs are data from outside this heap: only known shapes get through.

import { describe, expect, it } from 'vitest';
import { parseAuthMessage } from './cross-tab';

describe('parseAuthMessage', () => {
  it('accepts the two known messages', () => {
    expect(parseAuthMessage({ type: 'signed-out' })).toEqual({ type: 'signed-out' });
    expect(parseAuthMessage({ type: 'signed-in', userId: '7' })).toEqual({
      type: 'signed-in',
      userId: '7',
    });
  });

  it('drops anything else, and never passes extra fields along', () => {
    expect(parseAuthMessage(null)).toBeNull();
    expect(parseAuthMessage('signed-out')).toBeNull();
    expect(parseAuthMessage({ type: 'signed-in' })).toBeNull();
    expect(parseAuthMessage({ type: 'signed-in', userId: 7 })).toBeNull();
    expect(parseAuthMessage({ type: 'signed-out', accessToken: 'x' })).toEqual({ type: 'signed-out' });
  });
});
