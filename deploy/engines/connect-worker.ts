// A Kafka Connect worker in distributed mode with the Debezium plugin on its plugin path: the one
// `npm run engines:start` keeps running, and the private ones fault tests start and kill.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { isAlive } from '../../core/process-control.js';

export interface ConnectWorkerOptions {
  /** The fetched worker: `lib/` (the runtime) and `plugins/` (Debezium). */
  home: string;
  /** This worker's config and log folder. */
  dir: string;
  port: number;
  /** host:port of the brokers. */
  brokers: string;
  /** Workers of one group share connectors; the group's own state lives in `<stateTopics>-*`. */
  groupId: string;
  stateTopics: string;
  heap: string;
  /** Outlive the starting process (engines:start) or die with it (tests). */
  detached: boolean;
}

function properties(options: ConnectWorkerOptions): string {
  return [
    `bootstrap.servers=${options.brokers}`,
    `group.id=${options.groupId}`,
    `listeners=http://127.0.0.1:${options.port}`,
    'rest.advertised.host.name=127.0.0.1',
    `rest.advertised.port=${options.port}`,
    `plugin.path=${join(options.home, 'plugins')}`,
    // The worker's defaults; each connector sets its own (the platform's: JSON without schemas).
    'key.converter=org.apache.kafka.connect.json.JsonConverter',
    'value.converter=org.apache.kafka.connect.json.JsonConverter',
    'key.converter.schemas.enable=false',
    'value.converter.schemas.enable=false',
    // The worker's own state lives in Kafka; one broker, so one replica, and few partitions.
    `config.storage.topic=${options.stateTopics}-configs`,
    `offset.storage.topic=${options.stateTopics}-offsets`,
    `status.storage.topic=${options.stateTopics}-status`,
    'config.storage.replication.factor=1',
    'offset.storage.replication.factor=1',
    'status.storage.replication.factor=1',
    'offset.storage.partitions=1',
    'status.storage.partitions=1',
    // Source offsets (the binlog position) are saved every second, not every minute: a restart
    // then replays at most a second of changes.
    'offset.flush.interval.ms=1000',
    // A worker alone in its group needs no rebalance delay.
    'scheduled.rebalance.max.delay.ms=0',
    'topic.creation.enable=true',
    '',
  ].join('\n');
}

const log4j = (logs: string) => `log4j.rootLogger=INFO, file
log4j.appender.file=org.apache.log4j.FileAppender
log4j.appender.file.File=${join(logs, 'connect.log')}
log4j.appender.file.layout=org.apache.log4j.PatternLayout
log4j.appender.file.layout.ConversionPattern=[%d] %p %m (%c)%n
log4j.logger.org.reflections=ERROR
log4j.logger.org.apache.kafka.clients=WARN
`;

/** Starts the worker; `logFile` is where it writes. */
export function spawnConnectWorker(options: ConnectWorkerOptions): { child: ChildProcess; logFile: string } {
  const config = join(options.dir, 'config');
  const logs = join(options.dir, 'logs');
  mkdirSync(config, { recursive: true });
  mkdirSync(logs, { recursive: true });
  writeFileSync(join(config, 'connect-distributed.properties'), properties(options));
  writeFileSync(join(config, 'log4j.properties'), log4j(logs));
  const child = spawn('java', [
    '-Xms128m', `-Xmx${options.heap}`, '-XX:+UseSerialGC', '-XX:TieredStopAtLevel=1',
    `-Dlog4j.configuration=file:${join(config, 'log4j.properties')}`,
    '-cp', `${join(options.home, 'lib')}/*`,
    'org.apache.kafka.connect.cli.ConnectDistributed', join(config, 'connect-distributed.properties'),
  ], { detached: options.detached, stdio: 'ignore' });
  if (options.detached) child.unref();
  return { child, logFile: join(logs, 'connect.log') };
}

/**
 * Waits until the worker has joined its group and read its configs (GET /connectors answers
 * only then) and lists the Debezium MySQL connector; the error names the log to read.
 */
export async function untilConnectReady(port: number, child: ChildProcess, logFile: string, timeoutMs = 180_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const ready = await fetch(`http://127.0.0.1:${port}/connectors`).then((r) => r.ok, () => false);
    if (ready) break;
    if (!isAlive(child.pid!)) throw new Error(`Kafka Connect exited while starting; see ${logFile}`);
    if (Date.now() > deadline) throw new Error(`Kafka Connect did not answer GET /connectors within ${timeoutMs / 1000} s; see ${logFile}`);
    await new Promise((r) => setTimeout(r, 500));
  }
  const plugins = await fetch(`http://127.0.0.1:${port}/connector-plugins`).then((r) => r.json() as Promise<{ class: string }[]>);
  if (!plugins.some((p) => p.class === 'io.debezium.connector.mysql.MySqlConnector')) {
    throw new Error(`Kafka Connect is up but lists no Debezium MySQL connector; check its plugins folder and ${logFile}`);
  }
}
