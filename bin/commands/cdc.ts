import { UsageError } from '../../core/errors.js';
import type { Logger } from '../../core/log.js';
import { openBus } from '../../pipelines/bus/index.js';
import { startCdc, startCdcSources } from '../../pipelines/cdc/index.js';
import { debeziumSourceTargets, debeziumStatus, debeziumTarget, registerDebezium, type DebeziumStatus, type DebeziumTarget } from '../../pipelines/cdc/debezium/index.js';
import type { Command, CommandContext } from '../command.js';
import { runUntilSignal } from '../shutdown.js';
import { cdcSignalUsage, runCdcSignal } from './cdc-signal.js';
import { openDatabase } from './open-database.js';

const STATUS_EVERY_MS = 10_000;

export const cdcCommand: Command = {
  summary: 'run change capture alone: snapshot, then the binlog into the bus (CDC_ENGINE=debezium: register Debezium on Kafka Connect and watch it); `cdc snapshot` signals an incremental snapshot while it runs',
  usage: `steveslist cdc | ${cdcSignalUsage}`,
  options: [
    { flag: '--where <condition>', help: 'snapshot: only the rows matching this SQL condition (one table), e.g. a key range' },
    { flag: '--pause', help: 'snapshot: pause the running incremental snapshot' },
    { flag: '--resume', help: 'snapshot: resume a paused incremental snapshot' },
    { flag: '--stop', help: 'snapshot: stop the running incremental snapshot (of the tables named, or all)' },
  ],
  examples: [
    'npx steveslist cdc',
    'MYSQL_URL=\'mysql://repl:...@db:3306/steveslist\' KAFKA_BROKERS=kafka:9092 npx steveslist cdc',
    'npx steveslist cdc snapshot listings --where "id BETWEEN 1 AND 100000"',
    'npx steveslist cdc snapshot --pause',
  ],
  longRunning: true,
  async run(context) {
    const { config, log } = context;
    if (context.args[0] === 'snapshot') return runCdcSignal(context, context.args.slice(1));
    if (context.args.length > 0) throw new UsageError(`unknown arguments: ${context.args.join(' ')}; usage: ${cdcCommand.usage}`);
    if (config.cdc.sources.length > 0) {
      if (config.cdc.engine === 'debezium') return await watchDebezium(context, debeziumSourceTargets(config));
      return captureSources(context);
    }
    const db = await openDatabase(context, { connectionLimit: 1 });
    try {
      if (config.cdc.engine === 'debezium') return await watchDebezium(context, [{ url: db.source.url, target: debeziumTarget(config, db.source.url) }]);
      const bus = await openBus(config, log);
      const cdc = startCdc(config, bus, db.source.url, log);
      // Signal handlers before the ready line: whoever waits for it may signal at once.
      const stopped = runUntilSignal(log, async () => {
        await cdc.stop();
        await bus.close();
      }, cdc.done);
      log.info({ bus: bus.kind }, 'change capture running; Ctrl-C stops it');
      return await stopped;
    } finally {
      await db.close();
    }
  },
};

/** CDC_SOURCES: a reader per source in this process; one that fails stops them all (exit non-zero). */
async function captureSources(context: CommandContext): Promise<number> {
  const { config, log } = context;
  const bus = await openBus(config, log);
  const readers = startCdcSources(config, bus, log);
  const stopped = runUntilSignal(log, async () => {
    await Promise.all(readers.map((reader) => reader.stop()));
    await bus.close();
  }, Promise.race(readers.map((reader) => reader.done)));
  log.info({ bus: bus.kind, sources: config.cdc.sources.map((source) => source.name) }, 'change capture running for every source; Ctrl-C stops it');
  return await stopped;
}

/**
 * Registers the connector(s), then reports their state and lag until stopped. Stopping this
 * command leaves the connectors running on Kafka Connect: capture belongs to the Connect cluster.
 */
async function watchDebezium(context: CommandContext, sources: { url: string; target: DebeziumTarget }[]): Promise<number> {
  const log = context.log.child({ role: 'cdc', engine: 'debezium' });
  for (const { target } of sources) await registerDebezium(target, log);
  let stopped = false;
  let wake: () => void = () => undefined;
  const previous = new Map<string, string>();
  const watching = (async () => {
    while (!stopped) {
      for (const { url, target } of sources) await reportStatus(log, target, url, previous);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, STATUS_EVERY_MS);
        wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    }
  })();
  const done = runUntilSignal(log, async () => {
    stopped = true;
    wake();
    await watching;
  });
  log.info({ connectors: sources.map(({ target }) => target.name) }, 'Debezium connector registered; reporting its status until stopped (Ctrl-C)');
  return await done;
}

/** Logs the connector's state when it changes (a failure always, at error level). */
async function reportStatus(log: Logger, target: DebeziumTarget, sourceUrl: string, previous: Map<string, string>): Promise<void> {
  let status: DebeziumStatus;
  try {
    status = await debeziumStatus(target, sourceUrl);
  } catch (error) {
    log.warn({ err: error, connector: target.name }, 'Debezium status unavailable');
    return;
  }
  const states = `${status.connector} ${status.tasks.map((t) => t.state).join(',')}`;
  const failed = status.tasks.filter((t) => t.state === 'FAILED');
  const fields = { connector: target.name, state: status.connector, tasks: status.tasks, position: status.position, lagBytes: status.lagBytes };
  if (failed.length > 0 || status.connector === 'FAILED') log.error(fields, 'Debezium connector failed; fix the cause, then POST /connectors/<name>/restart?includeTasks=true on Kafka Connect');
  else if (states !== previous.get(target.name)) log.info(fields, 'Debezium connector state');
  else log.debug(fields, 'Debezium connector state');
  previous.set(target.name, states);
}
