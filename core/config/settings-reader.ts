import { isAbsolute, resolve } from 'node:path';
import { ConfigError } from '../errors.js';
import { redactUrl } from './redact-url.js';

/**
 * Reads settings from an environment map and collects every problem instead of stopping at the
 * first, so a user fixes a bad configuration in one go.
 */
export class SettingsReader {
  private readonly problems: string[] = [];
  readonly names: string[] = [];

  constructor(
    private readonly env: NodeJS.ProcessEnv,
    private readonly cwd: string,
  ) {}

  /** Whether the setting was given at all (to tell a chosen value from the default). */
  isSet(name: string): boolean {
    return this.raw(name) !== undefined;
  }

  private raw(name: string): string | undefined {
    this.names.push(name);
    const value = this.env[name];
    return value === undefined || value.trim() === '' ? undefined : value.trim();
  }

  /** Records a problem found by a cross-setting check. */
  fail(name: string, reason: string): void {
    this.problem(name, reason);
  }

  private problem(name: string, reason: string): undefined {
    this.problems.push(`${name}: ${reason}`);
    return undefined;
  }

  string(name: string, fallback: string): string {
    return this.raw(name) ?? fallback;
  }

  path(name: string, fallback: string): string {
    const value = this.raw(name) ?? fallback;
    return isAbsolute(value) ? value : resolve(this.cwd, value);
  }

  optionalPath(name: string): string | undefined {
    const value = this.raw(name);
    if (value === undefined) return undefined;
    return isAbsolute(value) ? value : resolve(this.cwd, value);
  }

  integer(name: string, fallback: number, min: number, max: number): number {
    return this.optionalInteger(name, min, max) ?? fallback;
  }

  optionalInteger(name: string, min: number, max: number): number | undefined {
    const value = this.raw(name);
    if (value === undefined) return undefined;
    if (!/^-?\d+$/.test(value)) return this.problem(name, `expected a whole number, got "${value}"`);
    const n = Number(value);
    if (n < min || n > max) return this.problem(name, `expected a number from ${min} to ${max}, got ${n}`);
    return n;
  }

  port(name: string, fallback: number): number {
    return this.integer(name, fallback, 0, 65535);
  }

  optionalPort(name: string): number | undefined {
    return this.optionalInteger(name, 0, 65535);
  }

  oneOf<T extends string>(name: string, allowed: readonly T[], fallback: T): T {
    const value = this.raw(name);
    if (value === undefined) return fallback;
    const lower = value.toLowerCase() as T;
    if (allowed.includes(lower)) return lower;
    this.problem(name, `expected one of ${allowed.join(', ')}, got "${value}"`);
    return fallback;
  }

  boolean(name: string, fallback: boolean): boolean {
    const value = this.raw(name);
    if (value === undefined) return fallback;
    if (/^(1|true|yes|on)$/i.test(value)) return true;
    if (/^(0|false|no|off)$/i.test(value)) return false;
    this.problem(name, `expected true or false, got "${value}"`);
    return fallback;
  }

  /** A comma-separated list; `fallback` applies only when the setting is absent. */
  list(name: string, fallback: readonly string[]): string[] {
    const value = this.raw(name);
    if (value === undefined) return [...fallback];
    return value.split(',').map((item) => item.trim()).filter(Boolean);
  }

  optionalString(name: string): string | undefined {
    return this.raw(name);
  }

  /** An http(s) URL; a password in it is never repeated in an error. */
  httpUrl(name: string): string | undefined {
    const value = this.raw(name);
    if (value === undefined) return undefined;
    try {
      const url = new URL(value);
      if (url.protocol === 'http:' || url.protocol === 'https:') return value;
    } catch {
      // reported below
    }
    return this.problem(name, `expected an http:// or https:// URL, got "${redactUrl(value)}"`);
  }

  /** smtp:// or smtps:// URL of a relay; its password is never repeated in an error. */
  smtpUrl(name: string): string | undefined {
    const value = this.raw(name);
    if (value === undefined) return undefined;
    try {
      const url = new URL(value);
      if ((url.protocol === 'smtp:' || url.protocol === 'smtps:') && url.hostname) return value;
    } catch {
      // reported below
    }
    return this.problem(name, `expected smtp://[user:password@]host:port or smtps://..., got "${redactUrl(value)}"`);
  }

  /** host:port pairs, comma-separated (KAFKA_BROKERS). */
  hostPorts(name: string): string[] | undefined {
    const value = this.raw(name);
    if (value === undefined) return undefined;
    const items = value.split(',').map((item) => item.trim()).filter(Boolean);
    const bad = items.filter((item) => !/^[A-Za-z0-9.\-\[\]:]+:\d{1,5}$/.test(item));
    if (bad.length > 0 || items.length === 0) return this.problem(name, `expected host:port[,host:port...], got "${value}"`);
    return items;
  }

  /** A MySQL connection URL: mysql://user:password@host:port/database. */
  mysqlUrl(name: string): string | undefined {
    const value = this.raw(name);
    return value === undefined ? undefined : this.checkMysqlUrl(name, value);
  }

  /**
   * name=mysql://... pairs, comma-separated (CDC_SOURCES); a comma in a password is written %2C.
   * Names are unique: each becomes a folder and a `source.name`.
   */
  namedMysqlUrls(name: string): { name: string; url: string }[] {
    const value = this.raw(name);
    if (value === undefined) return [];
    const out: { name: string; url: string }[] = [];
    const seen = new Set<string>();
    for (const item of value.split(',').map((entry) => entry.trim()).filter(Boolean)) {
      const match = /^([A-Za-z0-9_-]{1,64})=(.+)$/.exec(item);
      if (!match) {
        this.problem(name, `expected name=mysql://user:password@host:port/database[,name=...] (names of letters, digits, _ and -), got "${redactUrl(item)}"`);
        continue;
      }
      if (seen.has(match[1]!)) this.problem(name, `the name "${match[1]}" is given twice`);
      seen.add(match[1]!);
      const url = this.checkMysqlUrl(name, match[2]!);
      if (url) out.push({ name: match[1]!, url });
    }
    return out;
  }

  private checkMysqlUrl(name: string, value: string): string | undefined {
    const shown = redactUrl(value);
    const expected = 'expected mysql://user:password@host:port/database';
    let url: URL;
    try {
      url = new URL(value);
    } catch {
      return this.problem(name, `${expected}, got "${shown}"`);
    }
    if (url.protocol !== 'mysql:' && url.protocol !== 'mariadb:') {
      return this.problem(name, `${expected} (scheme mysql: or mariadb:), got "${shown}"`);
    }
    if (!url.hostname) return this.problem(name, `${expected}: the host is missing in "${shown}"`);
    if (!url.username) return this.problem(name, `${expected}: the user is missing in "${shown}"`);
    const database = decodeURIComponent(url.pathname.replace(/^\//, ''));
    if (!database) return this.problem(name, `${expected}: the database is missing in "${shown}"`);
    if (!/^[A-Za-z0-9_$]{1,64}$/.test(database)) {
      return this.problem(name, `database name "${database}" may only hold letters, digits, _ and $`);
    }
    return value;
  }

  /** Throws a ConfigError naming every problem found so far. */
  finish(): void {
    if (this.problems.length > 0) throw new ConfigError(this.problems);
  }
}
