// Cross-tab plumbing for the auth client: a message channel that never carries a token, and a
// lock that lets only one tab at a time spend the shared refresh cookie.

/**
 * The only messages tabs exchange. They say *that* something happened, never a token: each tab
 * obtains its own access token, so a token lives in exactly one JavaScript heap.
 */
export type AuthMessage =
  | { type: 'signed-out' }
  | { type: 'signed-in'; userId: string };

export interface AuthChannel {
  post(message: AuthMessage): void;
  /** Calls `handler` for messages from *other* tabs; returns the unsubscribe function. */
  subscribe(handler: (message: AuthMessage) => void): () => void;
}

/** Serialises refreshes across tabs. `run` resolves with `task`'s result once it held the lock. */
export interface RefreshLock {
  run<T>(task: () => Promise<T>): Promise<T>;
}

/** Accepts only well-formed messages: a same-origin page could still post anything. */
export function parseAuthMessage(data: unknown): AuthMessage | null {
  if (typeof data !== 'object' || data === null) return null;
  const record = data as Record<string, unknown>;
  if (record.type === 'signed-out') return { type: 'signed-out' };
  if (record.type === 'signed-in' && typeof record.userId === 'string') {
    return { type: 'signed-in', userId: record.userId };
  }
  return null;
}

export function broadcastAuthChannel(channel: BroadcastChannel): AuthChannel {
  return {
    post: (message) => channel.postMessage(message),
    subscribe(handler) {
      const listener = (event: MessageEvent<unknown>): void => {
        const message = parseAuthMessage(event.data);
        if (message !== null) handler(message);
      };
      channel.addEventListener('message', listener);
      return () => channel.removeEventListener('message', listener);
    },
  };
}

/**
 * Web Locks are shared by every tab of the origin. Refresh tokens rotate and a reused one revokes
 * its whole family, so two tabs refreshing with the same cookie at once would sign everyone out;
 * holding this lock around the call makes the second tab send the cookie the first one received.
 */
export function webRefreshLock(locks: LockManager, name: string): RefreshLock {
  return {
    run: <T>(task: () => Promise<T>): Promise<T> => locks.request(name, task) as Promise<T>,
  };
}

/** For contexts without Web Locks (old browsers, non-secure origins): in-tab single-flight only. */
export const noRefreshLock: RefreshLock = {
  run: (task) => task(),
};
