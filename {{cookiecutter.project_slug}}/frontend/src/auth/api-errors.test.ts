// The words a person reads when the backend says no: FastAPI details, throttling, outages.

import { describe, expect, it } from 'vitest';
import { apiErrorFromAnswer, describeDetail, networkError } from './api-errors';

// The status and headers of an answer; its body goes in as the generated client read it.
const answer = (status: number, headers: Record<string, string> = {}): Response =>
  new Response(null, { status, headers });

describe('describeDetail', () => {
  it('keeps a string detail as it is', () => {
    expect(describeDetail('Registration is closed.')).toBe('Registration is closed.');
  });

  it('names the field of each validation error', () => {
    const detail = [
      { loc: ['body', 'email'], msg: 'value is not a valid email address' },
      { loc: ['body', 'password'], msg: 'String should have at least 12 characters' },
    ];
    expect(describeDetail(detail)).toBe(
      'email: value is not a valid email address; password: String should have at least 12 characters',
    );
  });

  it('returns null for shapes it does not know', () => {
    expect(describeDetail(undefined)).toBeNull();
    expect(describeDetail([])).toBeNull();
    expect(describeDetail({ nested: true })).toBeNull();
  });
});

describe('apiErrorFromAnswer', () => {
  it('says how long to wait on 429, from Retry-After', () => {
    const error = apiErrorFromAnswer(answer(429, { 'Retry-After': '30' }), {}, 'login');
    expect(error.status).toBe(429);
    expect(error.message).toBe('Too many attempts. Try again in 30 seconds.');
  });

  it('gives one plain sentence for any failed login', () => {
    const error = apiErrorFromAnswer(answer(401), { detail: 'Invalid credentials' }, 'login');
    expect(error.message).toBe('The email or password is incorrect.');
  });

  it('shows the conflict on registration', () => {
    const error = apiErrorFromAnswer(answer(409), { detail: 'Email already registered' }, 'register');
    expect(error.message).toBe('Email already registered');
  });

  it('shows validation errors from a 422', () => {
    const body = { detail: [{ loc: ['body', 'password'], msg: 'too weak' }] };
    const error = apiErrorFromAnswer(answer(422), body, 'register');
    expect(error.message).toBe('password: too weak');
  });

  it('does not leak a server error body, and survives a non-JSON one', () => {
    const error = apiErrorFromAnswer(answer(500), '<html>Traceback…</html>', 'request');
    expect(error.message).toBe('The server had a problem (HTTP 500). Try again in a moment.');
  });

  it('explains an unreachable server', () => {
    expect(networkError('http://localhost:8000').message).toBe(
      'Cannot reach the server at http://localhost:8000. Is the backend running?',
    );
  });
});
