// One-time links (verify an address, reset a password) carry their token in the fragment,
// `#token=...`, so it never reaches a server log or a Referer. This takes it out of the address
// bar before anything else runs, so it does not linger in history, bookmarks or a shared screen.

/** The link's token, removed from the address bar; null when the address holds none. */
export function takeLinkToken(
  location: Pick<Location, 'hash' | 'pathname' | 'search'>,
  history: Pick<History, 'replaceState' | 'state'>,
): string | null {
  if (location.hash === '') return null;
  const token = new URLSearchParams(location.hash.slice(1)).get('token');
  if (token === null) return null;
  history.replaceState(history.state, '', `${location.pathname}${location.search}`);
  return token.trim() === '' ? null : token;
}
