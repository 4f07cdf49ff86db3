// Change capture: builds the reader the configuration describes.
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
  return CdcReader.start({
    url: sourceUrl,
    bus,
    store: new FileStateStore(config.cdc.dir),
    topicPrefix: config.topicPrefix,
    sourceName: config.cdc.sourceName,
    filter: new TableFilter({
      database: parseMysqlUrl(sourceUrl).database,
      include: config.cdc.includeTables,
      exclude: config.cdc.excludeTables,
      excludeColumns: config.cdc.excludeColumns,
    }),
    replicaServerId: config.cdc.serverId,
    snapshotChunkRows: config.cdc.snapshotChunkRows,
    onMissingBinlog: config.cdc.onMissingBinlog,
    log: log.child({ role: 'cdc' }),
  });
}
