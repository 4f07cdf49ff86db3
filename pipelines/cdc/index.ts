// Change capture: builds the reader the configuration describes.
import { join } from 'node:path';
import type { Config } from '../../core/config/index.js';
import type { Logger } from '../../core/log.js';
import { parseMysqlUrl } from '../../marketplace/mysql/connection.js';
import type { Bus } from '../bus/port.js';
import { CdcReader } from './reader.js';
import { FileStateStore } from './reader-state.js';
import { TableFilter } from './topics.js';

export { CdcReader, BinlogPurged } from './reader.js';
export type { CdcStats } from './reader.js';

export function startCdc(config: Config, bus: Bus, sourceUrl: string, log: Logger): CdcReader {
  return startReader(config, bus, { url: sourceUrl, name: config.cdc.sourceName, dir: config.cdc.dir, serverId: config.cdc.serverId }, log);
}

/**
 * One reader per source of CDC_SOURCES, in this process: each keeps its own position (a folder
 * of its own under CDC_DIR) and names its events' `source.name`; all publish to the same topics.
 */
export function startCdcSources(config: Config, bus: Bus, log: Logger): CdcReader[] {
  return config.cdc.sources.map((source, index) => startReader(config, bus, {
    url: source.url, name: source.name, dir: join(config.cdc.dir, source.name), serverId: config.cdc.serverId + index,
  }, log.child({ source: source.name })));
}

interface SourceOptions {
  url: string;
  name: string;
  /** Folder of the saved position. */
  dir: string;
  serverId: number;
}

function startReader(config: Config, bus: Bus, source: SourceOptions, log: Logger): CdcReader {
  return CdcReader.start({
    url: source.url,
    bus,
    store: new FileStateStore(source.dir),
    topicPrefix: config.topicPrefix,
    sourceName: source.name,
    filter: new TableFilter({
      database: parseMysqlUrl(source.url).database,
      include: config.cdc.includeTables,
      exclude: config.cdc.excludeTables,
      excludeColumns: config.cdc.excludeColumns,
    }),
    replicaServerId: source.serverId,
    snapshotChunkRows: config.cdc.snapshotChunkRows,
    onMissingBinlog: config.cdc.onMissingBinlog,
    signalTable: config.cdc.signalTable,
    rowsDecoder: config.cdc.rowsDecoder,
    log: log.child({ role: 'cdc' }),
  });
}
