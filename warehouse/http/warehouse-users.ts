// Who may use the served warehouse: analysts (read-only, with limits) kept in a file of the
// deployment, and the platform's own users made at start-up. Passwords are random 32-byte tokens
// shown once; only their SHA-256 is kept (a token that long needs no slow hash).
import { createHash, timingSafeEqual } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { UsageError } from '../../core/errors.js';
import { localSecret } from '../../core/served-file.js';

export interface QueryLimits {
  /** Rows a result may have; more is an error, never a silent cut. */
  maxResultRows: number;
  maxExecutionSeconds: number;
  /** Queries of this user running at once; more are refused (ClickHouse's code 202). */
  maxConcurrentQueries: number;
}

export interface WarehouseUser {
  name: string;
  /** loader: reads and writes, any setting; analyst: confined reads within its limits. */
  role: 'loader' | 'analyst';
  limits: QueryLimits;
}

interface StoredUser extends WarehouseUser {
  tokenSha256: string;
  createdAt: string;
}

export const DEFAULT_ANALYST_LIMITS: QueryLimits = { maxResultRows: 1_000_000, maxExecutionSeconds: 60, maxConcurrentQueries: 4 };
const NAME = /^[a-z][a-z0-9_]{0,62}$/;
const RESERVED = /^(default|steveslist_.*)$/;

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');
export const newToken = localSecret;

function sameDigest(a: string, b: string): boolean {
  return a.length === b.length && timingSafeEqual(Buffer.from(a), Buffer.from(b));
}

/** Analysts in `<file>` (JSON, mode 0600), read again whenever the file changes, plus users held in memory. */
export class WarehouseUsers {
  #cached: { mtimeMs: number; users: StoredUser[] } | undefined;
  readonly #inMemory: StoredUser[] = [];

  constructor(readonly file: string) {}

  /** A user that lives as long as this process (the platform's own); returns its password. */
  addInMemory(user: WarehouseUser): string {
    const token = newToken();
    this.#inMemory.push({ ...user, tokenSha256: sha256(token), createdAt: new Date().toISOString() });
    return token;
  }

  list(): WarehouseUser[] {
    return this.#stored().map(({ name, role, limits }) => ({ name, role, limits }));
  }

  /** Adds an analyst and returns the password, which is not kept anywhere. */
  add(name: string, limits: Partial<QueryLimits> = {}): string {
    if (!NAME.test(name)) throw new UsageError(`analyst name "${name}": use lowercase letters, digits and _ (starting with a letter, at most 63)`);
    if (RESERVED.test(name)) throw new UsageError(`analyst name "${name}" is reserved for the platform's own users`);
    const users = this.#stored();
    if (users.some((u) => u.name === name)) throw new UsageError(`analyst "${name}" exists already (steveslist analyst remove ${name}, then add again for a new password)`);
    const token = newToken();
    this.#write([...users, { name, role: 'analyst', limits: { ...DEFAULT_ANALYST_LIMITS, ...limits }, tokenSha256: sha256(token), createdAt: new Date().toISOString() }]);
    return token;
  }

  remove(name: string): boolean {
    const users = this.#stored();
    const rest = users.filter((u) => u.name !== name);
    if (rest.length === users.length) return false;
    this.#write(rest);
    return true;
  }

  /** The user whose name and password these are; undefined for anything else. */
  authenticate(name: string, password: string): WarehouseUser | undefined {
    const digest = sha256(password);
    const user = [...this.#inMemory, ...this.#stored()].find((u) => u.name === name);
    if (!user || !sameDigest(user.tokenSha256, digest)) return undefined;
    return { name: user.name, role: user.role, limits: user.limits };
  }

  #stored(): StoredUser[] {
    if (!existsSync(this.file)) return [];
    const { mtimeMs } = statSync(this.file);
    if (this.#cached?.mtimeMs !== mtimeMs) {
      this.#cached = { mtimeMs, users: (JSON.parse(readFileSync(this.file, 'utf8')) as { users: StoredUser[] }).users };
    }
    return this.#cached.users;
  }

  #write(users: StoredUser[]): void {
    mkdirSync(dirname(this.file), { recursive: true });
    const temp = `${this.file}.tmp`;
    writeFileSync(temp, `${JSON.stringify({ users }, null, 2)}\n`, { mode: 0o600 });
    renameSync(temp, this.file);
    this.#cached = undefined;
  }
}
