// Where streaming resumes after a start or a dropped connection, decided from the saved state and
// what the source says now: its server id, its GTID position and the binlogs it still has. A
// position the source can no longer serve is never skipped silently: the caller takes a new
// snapshot (when configured) or stops with BinlogPurged.
import { PlatformError } from '../../core/errors.js';
import type { Pool, RowDataPacket } from '../../marketplace/mysql/connection.js';
import type { StreamStart } from './binlog-stream.js';
import type { ReaderState } from './reader-state.js';

/** The binlog the saved position needs is gone: events in between can never be read. */
export class BinlogPurged extends PlatformError {
  readonly code = 'BINLOG_PURGED';
  readonly retriable = false;
}

/** True when `current` lacks, or is behind, a domain of the `saved` MariaDB GTID position. */
export function gtidBehind(current: string, saved: string): boolean {
  const seqs = new Map(current.split(',').filter(Boolean).map((g) => {
    const [domain, , seq] = g.split('-');
    return [domain!, BigInt(seq!)] as const;
  }));
  return saved.split(',').filter(Boolean).some((g) => {
    const [domain, , seq] = g.split('-');
    const now = seqs.get(domain!);
    return now === undefined || now < BigInt(seq!);
  });
}

export type ResumeDecision =
  | { start: StreamStart; failover?: { from: number; to: number } }
  | { missing: string };

export interface SourceFacts {
  serverId: number;
  flavour: 'mariadb' | 'mysql';
}

/** Where to read from, or why the saved position cannot be served (`missing`). */
export async function resumePosition(pool: Pool, state: ReaderState, source: SourceFacts): Promise<ResumeDecision> {
  if (state.sourceServerId !== source.serverId) {
    // Another server (failover): its binlog names and offsets are its own; only GTIDs carry over.
    if (state.gtid && source.flavour === 'mariadb') return { start: { gtid: state.gtid }, failover: { from: state.sourceServerId, to: source.serverId } };
    return { missing: `the saved position ${state.file}:${state.pos} belongs to server_id ${state.sourceServerId}, but the source is server_id ${source.serverId} and has no GTID to resume from` };
  }
  if (source.flavour === 'mariadb' && state.gtid) {
    const [[row]] = await pool.query<RowDataPacket[]>('SELECT @@gtid_binlog_pos AS gtid');
    const current = String(row!.gtid ?? '');
    if (gtidBehind(current, state.gtid)) {
      return { missing: `the source's binlog history restarted: its GTID position (${current || 'empty'}) is behind the saved ${state.gtid} (rebuilt from a backup, or RESET MASTER)` };
    }
  }
  const [logs] = await pool.query<RowDataPacket[]>('SHOW BINARY LOGS');
  const names = logs.map((row) => String(row.Log_name));
  if (!names.includes(state.file)) {
    return { missing: `the saved position ${state.file}:${state.pos} is no longer on the server (oldest binlog: ${names[0] ?? 'none'}); the changes in between are gone` };
  }
  return { start: { file: state.file, pos: state.pos } };
}
