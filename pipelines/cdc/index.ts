// Change capture: builds the reader the configuration describes, each on a thread of its own.
import { join } from 'node:path';
import type { Config } from '../../core/config/index.js';
import type { Logger } from '../../core/log.js';
import { parseMysqlUrl } from '../../marketplace/mysql/connection.js';
import type { Bus } from '../bus/port.js';
import { captureFilterOptions } from './topics.js';
import { ThreadedCdcReader, type CaptureReader } from './thread/threaded-reader.js';

export { CdcReader, BinlogPurged } from './reader.js';
export type { CdcStats } from './reader.js';
export type { CaptureReader } from './thread/threaded-reader.js';

export function startCdc(config: Config, bus: Bus, sourceUrl: string, log: Logger): CaptureReader {
  return startReader(config, bus, { url: sourceUrl, name: config.cdc.sourceName, dir: config.cdc.dir, serverId: config.cdc.serverId }, log);
}

/**
 * One reader per source of CDC_SOURCES, in this process: each keeps its own position (a folder
 * of its own under CDC_DIR) and names its events' `source.name`; all publish to the same topics.
 */
export function startCdcSources(config: Config, bus: Bus, log: Logger): CaptureReader[] {
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

function startReader(config: Config, bus: Bus, source: SourceOptions, log: Logger): CaptureReader {
  return ThreadedCdcReader.start({
    url: source.url,
    stateDir: source.dir,
    topicPrefix: config.topicPrefix,
    sourceName: source.name,
    filter: captureFilterOptions(config, parseMysqlUrl(source.url).database),
    replicaServerId: source.serverId,
    snapshotChunkRows: config.cdc.snapshotChunkRows,
    onMissingBinlog: config.cdc.onMissingBinlog,
    signalTable: config.cdc.signalTable,
    rowsDecoder: config.cdc.rowsDecoder,
  }, bus, log.child({ role: 'cdc' }));
}
