// Pages that need a session send visitors to log in and bring them back afterwards.
import type { PageContext } from './app.js';
import type { Session } from './session.js';

/** The session, or undefined after sending the visitor to log in (the page then renders nothing). */
export function requireSession({ app }: PageContext): Session | undefined {
  const session = app.session.current;
  if (!session) app.navigate(`/login?next=${encodeURIComponent(location.pathname + location.search)}`, { replace: true });
  return session;
}

/** Where to go after logging in: only a path of this site, never another origin (`//evil.example`). */
export function nextPath(query: URLSearchParams): string {
  const next = query.get('next') ?? '/';
  return next.startsWith('/') && !next.startsWith('//') && !next.startsWith('/\\') ? next : '/';
}
