// The logged-in session, kept in localStorage so a reload or a new tab stays logged in.
import type { User } from '../../../client/index.js';

export interface Session {
  token: string;
  user: User;
}

const KEY = 'steveslist.session';

export class SessionStore {
  #session: Session | undefined;
  readonly #listeners = new Set<() => void>();

  constructor(private readonly storage: Storage) {
    this.#session = read(storage);
  }

  get current(): Session | undefined {
    return this.#session;
  }

  set(session: Session | undefined): void {
    this.#session = session;
    if (session) this.storage.setItem(KEY, JSON.stringify(session));
    else this.storage.removeItem(KEY);
    for (const listener of this.#listeners) listener();
  }

  onChange(listener: () => void): void {
    this.#listeners.add(listener);
  }
}

function read(storage: Storage): Session | undefined {
  try {
    const value: unknown = JSON.parse(storage.getItem(KEY) ?? 'null');
    if (typeof value === 'object' && value !== null && typeof (value as Session).token === 'string' && typeof (value as Session).user === 'object') {
      return value as Session;
    }
  } catch {
    // A value another version wrote, or a hand edit: treat it as logged out.
  }
  return undefined;
}
