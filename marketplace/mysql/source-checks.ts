// What change capture needs from a MySQL/MariaDB server, checked at start-up so a misconfigured
// server is refused with the statement that fixes it, not discovered as missing events later.
import { SourceMisconfigured } from '../../core/errors.js';
import type { Connection, RowDataPacket } from './connection.js';

export interface SourceFacts {
  version: string;
  logBin: boolean;
  binlogFormat: string;
  binlogRowImage: string;
  serverId: number;
  /** Lines of SHOW GRANTS for the current user. */
  grants: string[];
  /** Whether SHOW BINARY LOGS worked (it needs REPLICATION CLIENT / BINLOG MONITOR). */
  canListBinlogs: boolean;
}

export async function readSourceFacts(connection: Connection): Promise<SourceFacts> {
  const [[vars]] = await connection.query<RowDataPacket[]>(
    'SELECT @@version AS version, @@log_bin AS logBin, @@binlog_format AS binlogFormat, @@binlog_row_image AS binlogRowImage, @@server_id AS serverId',
  );
  const [grantRows] = await connection.query<RowDataPacket[]>('SHOW GRANTS');
  let canListBinlogs = true;
  try {
    await connection.query('SHOW BINARY LOGS');
  } catch {
    canListBinlogs = false;
  }
  return {
    version: String(vars!.version),
    logBin: Number(vars!.logBin) === 1,
    binlogFormat: String(vars!.binlogFormat).toUpperCase(),
    binlogRowImage: String(vars!.binlogRowImage).toUpperCase(),
    serverId: Number(vars!.serverId),
    grants: grantRows.map((row) => String(Object.values(row)[0])),
    canListBinlogs,
  };
}

function mayReplicate(grants: string[]): boolean {
  return grants.some((line) => /ON \*\.\*/i.test(line) && /ALL PRIVILEGES|REPLICATION (SLAVE|REPLICA)/i.test(line));
}

/** Every problem that stops change capture, each with the statement that fixes it. */
export function sourceProblems(facts: SourceFacts, setting = 'MYSQL_URL'): string[] {
  const problems: string[] = [];
  const mariadb = /mariadb/i.test(facts.version);
  if (!facts.logBin) {
    problems.push(`${setting}: binary logging is off; CDC needs it (start the server with --log-bin --binlog-format=ROW --server-id=1; it cannot be switched on at runtime)`);
  }
  if (facts.binlogFormat !== 'ROW') {
    problems.push(`${setting}: binlog_format is ${facts.binlogFormat}; CDC needs ROW (SET GLOBAL binlog_format=ROW, and binlog_format=ROW in the server's config so it survives a restart)`);
  }
  if (facts.binlogRowImage !== 'FULL') {
    problems.push(`${setting}: binlog_row_image is ${facts.binlogRowImage}; CDC needs FULL or unlogged columns look like NULL (SET GLOBAL binlog_row_image=FULL, and in the server's config)`);
  }
  if (facts.serverId === 0) {
    problems.push(`${setting}: server_id is 0; replication needs a non-zero id (SET GLOBAL server_id=1, and in the server's config)`);
  }
  if (!mayReplicate(facts.grants) || !facts.canListBinlogs) {
    const privileges = mariadb ? 'REPLICATION SLAVE, BINLOG MONITOR' : 'REPLICATION SLAVE, REPLICATION CLIENT';
    problems.push(`${setting}: the user may not read the binlog (GRANT ${privileges} ON *.* TO <user>)`);
  }
  return problems;
}

/** Throws SourceMisconfigured listing every problem, or returns the facts for logging. */
export async function assertCdcSource(connection: Connection, setting = 'MYSQL_URL'): Promise<SourceFacts> {
  const facts = await readSourceFacts(connection);
  const problems = sourceProblems(facts, setting);
  if (problems.length > 0) throw new SourceMisconfigured(problems);
  return facts;
}
