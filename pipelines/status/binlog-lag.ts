// How far change capture is behind its source, from the source's binlog files and GTID position
// and the reader's saved position. Pure: the caller queries the server.

export interface BinlogFile {
  name: string;
  /** Bytes written so far; for the newest file, where the next event will go. */
  size: number;
}

export interface BinlogPosition {
  file: string;
  pos: number;
}

/**
 * Binlog bytes between the reader's position and the end of the source's binlog, or undefined
 * when the reader's file is not on the source (purged, or another server after a failover).
 * Never exactly 0 after a rotation, since a new file starts with a header that holds no change.
 */
export function bytesBehind(files: readonly BinlogFile[], position: BinlogPosition): number | undefined {
  const index = files.findIndex((file) => file.name === position.file);
  if (index < 0) return undefined;
  let bytes = Math.max(0, files[index]!.size - position.pos);
  for (const file of files.slice(index + 1)) bytes += file.size;
  return bytes;
}

function sequences(gtidPosition: string): Map<string, bigint> {
  const out = new Map<string, bigint>();
  for (const gtid of gtidPosition.split(',').map((g) => g.trim()).filter(Boolean)) {
    const match = /^(\d+)-\d+-(\d+)$/.exec(gtid);
    if (match) out.set(match[1]!, BigInt(match[2]!));
  }
  return out;
}

/**
 * Transactions the source committed that the reader has not published, from MariaDB GTID
 * positions (domain-server-sequence per domain; the sequence grows by one per transaction).
 */
export function transactionsBehind(sourceGtid: string, readerGtid: string): number {
  const reader = sequences(readerGtid);
  let behind = 0n;
  for (const [domain, sequence] of sequences(sourceGtid)) {
    const done = reader.get(domain) ?? 0n;
    if (sequence > done) behind += sequence - done;
  }
  return Number(behind);
}
