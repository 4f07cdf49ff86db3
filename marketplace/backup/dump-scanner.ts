// Reads a mariadb-dump/mysqldump text stream as it passes (line by line: values never span lines,
// since the dump escapes newlines in them; an INSERT's rows may come one per line) and takes from it the binlog coordinates
// of its snapshot and, per table, the row count and an order-independent digest of the rows. The
// same dump of the same rows gives the same digests, so dumping a restored copy and comparing
// proves the restore complete, whatever order the rows come back in.
import { createHash } from 'node:crypto';

export interface BinlogCoordinates {
  file: string;
  position: number;
  /** MariaDB's gtid_binlog_pos at the snapshot, when the dump recorded it. */
  gtid?: string;
}

export interface TableDigest {
  rows: number;
  /** XOR of the first 64 bits of each row's SHA-256, as 16 hex digits. */
  digest: string;
}

export class DumpScanner {
  private carry = '';
  private coordinates: Partial<BinlogCoordinates> = {};
  private readonly tables = new Map<string, { rows: number; digest: bigint }>();
  /** The table whose INSERT statement continues on the next line. */
  private inserting: string | undefined;
  private serverVersion: string | undefined;

  push(chunk: string): void {
    const text = this.carry + chunk;
    const lines = text.split('\n');
    this.carry = lines.pop()!;
    for (const line of lines) this.line(line);
  }

  /** Ends the stream; what is left is read as the last line. */
  end(): void {
    if (this.carry) this.line(this.carry);
    this.carry = '';
  }

  get binlog(): BinlogCoordinates | undefined {
    const { file, position, gtid } = this.coordinates;
    return file && position !== undefined ? { file, position, ...(gtid ? { gtid } : {}) } : undefined;
  }

  get server(): string | undefined {
    return this.serverVersion;
  }

  digests(): Record<string, TableDigest> {
    const out: Record<string, TableDigest> = {};
    for (const [name, table] of [...this.tables].sort(([a], [b]) => a.localeCompare(b))) {
      out[name] = { rows: table.rows, digest: table.digest.toString(16).padStart(16, '0') };
    }
    return out;
  }

  private line(line: string): void {
    if (this.inserting) return this.rows(this.inserting, line, 0);
    if (line.startsWith('INSERT INTO `')) return this.insert(line);
    if (!line.startsWith('--') && !line.startsWith('CREATE TABLE `')) return;
    const created = /^CREATE TABLE `((?:[^`]|``)+)`/.exec(line);
    if (created) {
      // Empty tables have no INSERT: they must still be listed, with 0 rows.
      const name = created[1]!.replace(/``/g, '`');
      if (!this.tables.has(name)) this.tables.set(name, { rows: 0, digest: 0n });
      return;
    }
    // MySQL 8.0.26+ writes CHANGE REPLICATION SOURCE TO SOURCE_LOG_FILE=..., SOURCE_LOG_POS=...
    const master = /CHANGE (?:MASTER|REPLICATION SOURCE) TO (?:MASTER|SOURCE)_LOG_FILE='([^']+)', (?:MASTER|SOURCE)_LOG_POS=(\d+)/.exec(line);
    if (master) this.coordinates = { ...this.coordinates, file: master[1]!, position: Number(master[2]) };
    const gtid = /gtid_slave_pos='([^']*)'/.exec(line);
    if (gtid && gtid[1]) this.coordinates.gtid = gtid[1];
    const server = /^-- Server version\s+(.+)$/.exec(line);
    if (server) this.serverVersion = server[1]!.trim();
  }

  private insert(line: string): void {
    const head = /^INSERT INTO `((?:[^`]|``)+)` (?:\([^)]*\) )?VALUES\s*/.exec(line);
    if (!head) return;
    this.rows(head[1]!.replace(/``/g, '`'), line, head[0].length);
  }

  /** Reads the rows on one line of an INSERT from `from`; the statement goes on unless a `;` ends it. */
  private rows(name: string, line: string, from: number): void {
    const table = this.tables.get(name) ?? { rows: 0, digest: 0n };
    let start = -1;
    let quoted = false;
    let ended = false;
    for (let i = from; i < line.length; i++) {
      const c = line[i];
      if (quoted) {
        if (c === '\\') i++;
        else if (c === "'") quoted = false;
      } else if (c === "'") {
        quoted = true;
      } else if (c === '(' && start < 0) {
        start = i;
      } else if (c === ')' && start >= 0) {
        table.rows++;
        table.digest ^= createHash('sha256').update(line.slice(start, i + 1)).digest().readBigUInt64BE(0);
        start = -1;
      } else if (c === ';' && start < 0) {
        ended = true;
      }
    }
    this.tables.set(name, table);
    this.inserting = ended ? undefined : name;
  }
}
