// What every page gets: the API client for the current session, the session, and navigation.
import type { Steveslist } from '../../../client/index.js';
import type { SessionStore } from './session.js';

export interface App {
  /** A client sending the current session's token, if any. */
  api(): Steveslist;
  readonly session: SessionStore;
  navigate(path: string, options?: { replace?: boolean }): void;
  /** Asks the server again how many messages are unread, for the header. */
  refreshUnread(): void;
}

export interface PageContext {
  app: App;
  /** Named groups of the route's pattern (`id`). */
  params: Record<string, string>;
  query: URLSearchParams;
  /** Aborted when the user leaves the page: in-flight requests and timers stop with it. */
  signal: AbortSignal;
}

export interface Page {
  title: string;
  render(context: PageContext): Node | Promise<Node>;
}
