// `npm run engines:fetch|start|stop|status`: the scale-out engines from Maven Central, run here
// for real on 127.0.0.1 with data and logs under .data/engines/. For now: Apache Kafka 4 in
// KRaft mode (one node, broker and controller). Bounded heap: it shares the machine.
import { spawn, spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { isAlive, terminate } from '../../core/process-control.js';

const HERE = dirname(fileURLToPath(import.meta.url));
const ROOT = resolve(HERE, '..', '..');
const ENGINES = resolve(process.env.ENGINES_DIR ?? join(ROOT, '.data', 'engines'));
const KAFKA = join(ENGINES, 'kafka');
const KAFKA_PORT = Number(process.env.ENGINES_KAFKA_PORT ?? 19092);
const CONTROLLER_PORT = KAFKA_PORT + 1;
const KAFKA_HEAP = process.env.ENGINES_KAFKA_HEAP ?? '512m';

function fail(message: string): never {
  process.stderr.write(`engines: ${message}\n`);
  process.exit(1);
}

function fetchEngines(): void {
  if (spawnSync('mvn', ['--version'], { stdio: 'ignore' }).status !== 0) {
    fail('Maven is not installed (mvn); on Debian: apt-get install -y maven default-jre-headless');
  }
  process.stderr.write(`engines: resolving Kafka from Maven Central into ${KAFKA}/lib\n`);
  const result = spawnSync('mvn', ['-q', '-B', '-f', join(HERE, 'pom.xml'), `-Dengines.dir=${ENGINES}`, 'package'], { stdio: 'inherit' });
  if (result.status !== 0) fail(`mvn package failed (exit ${result.status})`);
}

function portOpen(port: number): Promise<boolean> {
  return new Promise((resolvePort) => {
    const socket = connect({ host: '127.0.0.1', port });
    socket.once('connect', () => { socket.destroy(); resolvePort(true); });
    socket.once('error', () => resolvePort(false));
  });
}

function pidOf(engine: string): number | undefined {
  const file = join(ENGINES, engine, 'engine.pid');
  if (!existsSync(file)) return undefined;
  const pid = Number(readFileSync(file, 'utf8'));
  return isAlive(pid) ? pid : undefined;
}

function kafkaConfig(): string {
  const data = join(KAFKA, 'data');
  return [
    'process.roles=broker,controller',
    'node.id=1',
    `controller.quorum.voters=1@127.0.0.1:${CONTROLLER_PORT}`,
    `listeners=PLAINTEXT://127.0.0.1:${KAFKA_PORT},CONTROLLER://127.0.0.1:${CONTROLLER_PORT}`,
    `advertised.listeners=PLAINTEXT://127.0.0.1:${KAFKA_PORT}`,
    'controller.listener.names=CONTROLLER',
    'inter.broker.listener.name=PLAINTEXT',
    'listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT',
    `log.dirs=${data}`,
    'num.partitions=4',
    // One node: internal topics cannot have more replicas than that.
    'offsets.topic.replication.factor=1',
    'transaction.state.log.replication.factor=1',
    'transaction.state.log.min.isr=1',
    'share.coordinator.state.topic.replication.factor=1',
    'share.coordinator.state.topic.min.isr=1',
    'group.initial.rebalance.delay.ms=0',
    'auto.create.topics.enable=false',
    '',
  ].join('\n');
}

const LOG4J = `status = warn
appender.file.type = File
appender.file.name = file
appender.file.fileName = \${sys:kafka.logs.dir}/server.log
appender.file.layout.type = PatternLayout
appender.file.layout.pattern = [%d] %p %m (%c)%n
rootLogger.level = INFO
rootLogger.appenderRef.file.ref = file
`;

async function startKafka(): Promise<void> {
  if (!existsSync(join(KAFKA, 'lib'))) fetchEngines();
  const running = pidOf('kafka');
  if (running) {
    process.stderr.write(`engines: kafka already running (pid ${running}) at 127.0.0.1:${KAFKA_PORT}\n`);
    return;
  }
  if (await portOpen(KAFKA_PORT)) fail(`ENGINES_KAFKA_PORT: 127.0.0.1:${KAFKA_PORT} is already in use`);
  const config = join(KAFKA, 'config');
  mkdirSync(config, { recursive: true });
  mkdirSync(join(KAFKA, 'logs'), { recursive: true });
  writeFileSync(join(config, 'server.properties'), kafkaConfig());
  writeFileSync(join(config, 'log4j2.properties'), LOG4J);
  const classpath = `${join(KAFKA, 'lib')}/*`;
  const jvm = [`-Xms256m`, `-Xmx${KAFKA_HEAP}`, `-Dkafka.logs.dir=${join(KAFKA, 'logs')}`, `-Dlog4j2.configurationFile=${join(config, 'log4j2.properties')}`, '-cp', classpath];
  if (!existsSync(join(KAFKA, 'data', 'meta.properties'))) {
    const format = spawnSync('java', [...jvm, 'kafka.tools.StorageTool', 'format', '-t', randomUUID().replace(/-/g, '').slice(0, 22), '-c', join(config, 'server.properties')], { encoding: 'utf8' });
    if (format.status !== 0) fail(`formatting Kafka's storage failed: ${format.stderr || format.stdout}`);
  }
  const child = spawn('java', [...jvm, 'kafka.Kafka', join(config, 'server.properties')], { detached: true, stdio: 'ignore' });
  child.unref();
  writeFileSync(join(KAFKA, 'engine.pid'), String(child.pid));
  const deadline = Date.now() + 90_000;
  while (!(await portOpen(KAFKA_PORT))) {
    if (!isAlive(child.pid!)) fail(`Kafka exited while starting; see ${join(KAFKA, 'logs', 'server.log')}`);
    if (Date.now() > deadline) fail(`Kafka did not listen within 90 s; see ${join(KAFKA, 'logs', 'server.log')}`);
    await new Promise((r) => setTimeout(r, 250));
  }
  process.stderr.write(`engines: kafka ready at 127.0.0.1:${KAFKA_PORT} (KAFKA_BROKERS=127.0.0.1:${KAFKA_PORT})\n`);
}

async function stop(engine: string): Promise<void> {
  const pid = pidOf(engine);
  if (pid) {
    await terminate(pid, 60_000);
    process.stderr.write(`engines: ${engine} stopped\n`);
  }
  rmSync(join(ENGINES, engine, 'engine.pid'), { force: true });
}

async function status(): Promise<void> {
  const pid = pidOf('kafka');
  const open = await portOpen(KAFKA_PORT);
  process.stdout.write(`kafka  ${pid ? `running (pid ${pid})` : 'stopped'}  127.0.0.1:${KAFKA_PORT} ${open ? 'accepting connections' : 'closed'}\n`);
}

const [command] = process.argv.slice(2);
switch (command) {
  case 'fetch':
    fetchEngines();
    break;
  case 'start':
    await startKafka();
    break;
  case 'stop':
    await stop('kafka');
    break;
  case 'status':
    await status();
    break;
  default:
    fail('usage: engines fetch|start|stop|status');
}
