// `npm run engines:fetch|start|stop|status`: the scale-out engines from Maven Central, run here
// for real on 127.0.0.1 with data and logs under .data/engines/: Apache Kafka 4 in KRaft mode
// (one node, broker and controller), a Kafka Connect worker in distributed mode with the Debezium
// MySQL connector on its plugin path, and Elasticsearch 8 (one node, security off, loopback only).
// Bounded heaps: they share the machine with everything else.
import { spawn, spawnSync } from 'node:child_process';
import { createHash, randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { isAlive, terminate } from '../../core/process-control.js';
import { spawnConnectWorker, untilConnectReady } from './connect-worker.js';

const HERE = dirname(fileURLToPath(import.meta.url));
const ROOT = resolve(HERE, '..', '..');
const ENGINES = resolve(process.env.ENGINES_DIR ?? join(ROOT, '.data', 'engines'));
const KAFKA = join(ENGINES, 'kafka');
const KAFKA_PORT = Number(process.env.ENGINES_KAFKA_PORT ?? 19092);
const CONTROLLER_PORT = KAFKA_PORT + 1;
const KAFKA_HEAP = process.env.ENGINES_KAFKA_HEAP ?? '512m';
const CONNECT = join(ENGINES, 'connect');
const CONNECT_PORT = Number(process.env.ENGINES_CONNECT_PORT ?? 18083);
const CONNECT_HEAP = process.env.ENGINES_CONNECT_HEAP ?? '384m';
const ELASTIC = join(ENGINES, 'elasticsearch');
const ES_PORT = Number(process.env.ENGINES_ELASTICSEARCH_PORT ?? 19200);
const ES_HEAP = process.env.ENGINES_ELASTICSEARCH_HEAP ?? '512m';
// Elasticsearch refuses to run as root; as root we run it as this system user.
const ES_USER = 'steveslist-es';
const FETCH_STAMP = join(ENGINES, 'fetched.sha256');

function fail(message: string): never {
  process.stderr.write(`engines: ${message}\n`);
  process.exit(1);
}

function fetchEngines(): void {
  if (spawnSync('mvn', ['--version'], { stdio: 'ignore' }).status !== 0) {
    fail('Maven is not installed (mvn); on Debian: apt-get install -y maven default-jre-headless');
  }
  process.stderr.write(`engines: resolving Kafka, Kafka Connect with Debezium and Elasticsearch from Maven Central into ${ENGINES}\n`);
  // Jars of an earlier release would sit beside the new ones on the same classpath; a running
  // engine would lose its own under its feet.
  const running = ['kafka', 'connect', 'elasticsearch'].filter((engine) => pidOf(engine) !== undefined);
  if (running.length > 0) fail(`cannot replace the engines' jars (deploy/engines/*.xml changed, or a fetch was asked for) while ${running.join(', ')} run(s): npm run engines:stop first`);
  for (const folder of [join(KAFKA, 'lib'), join(CONNECT, 'lib'), join(CONNECT, 'plugins')]) rmSync(folder, { recursive: true, force: true });
  const result = spawnSync('mvn', ['-q', '-B', '-f', join(HERE, 'pom.xml'), `-Dengines.dir=${ENGINES}`, 'package'], { stdio: 'inherit' });
  if (result.status !== 0) fail(`mvn package failed (exit ${result.status})`);
  if (!jarsPresent()) fail(`mvn package finished but ${ENGINES} lacks kafka/lib, connect/lib, connect/plugins or elasticsearch/elasticsearch-*`);
  writeFileSync(FETCH_STAMP, pomsDigest());
}

/** The poms' digest: a changed release in either pom means fetching again. */
function pomsDigest(): string {
  const hash = createHash('sha256');
  for (const pom of [join(HERE, 'pom.xml'), join(HERE, 'connect', 'pom.xml')]) hash.update(readFileSync(pom));
  return hash.digest('hex');
}

function jarsPresent(): boolean {
  return existsSync(join(KAFKA, 'lib')) && existsSync(join(CONNECT, 'lib')) && existsSync(join(CONNECT, 'plugins')) && esHome() !== '';
}

function fetched(): boolean {
  return jarsPresent() && existsSync(FETCH_STAMP) && readFileSync(FETCH_STAMP, 'utf8') === pomsDigest();
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
  if (!fetched()) fetchEngines();
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

async function startConnect(): Promise<void> {
  if (!fetched()) fetchEngines();
  const running = pidOf('connect');
  if (running) {
    process.stderr.write(`engines: kafka connect already running (pid ${running}) at http://127.0.0.1:${CONNECT_PORT}\n`);
    return;
  }
  if (await portOpen(CONNECT_PORT)) fail(`ENGINES_CONNECT_PORT: 127.0.0.1:${CONNECT_PORT} is already in use`);
  const startedAt = Date.now();
  const { child, logFile } = spawnConnectWorker({
    home: CONNECT, dir: CONNECT, port: CONNECT_PORT, brokers: `127.0.0.1:${KAFKA_PORT}`, groupId: 'steveslist-connect', stateTopics: '_connect',
    heap: CONNECT_HEAP, detached: true,
  });
  writeFileSync(join(CONNECT, 'engine.pid'), String(child.pid));
  await untilConnectReady(CONNECT_PORT, child, logFile).catch((error: unknown) => fail((error as Error).message));
  process.stderr.write(`engines: kafka connect ready at http://127.0.0.1:${CONNECT_PORT} in ${((Date.now() - startedAt) / 1000).toFixed(1)} s (KAFKA_CONNECT_URL=http://127.0.0.1:${CONNECT_PORT})\n`);
}

function esHome(): string {
  const found = existsSync(ELASTIC) ? readdirSync(ELASTIC).find((name) => name.startsWith('elasticsearch-')) : undefined;
  return found ? join(ELASTIC, found) : '';
}

function javaHome(): string {
  if (process.env.ES_JAVA_HOME) return process.env.ES_JAVA_HOME;
  const java = realpathSync(spawnSync('sh', ['-c', 'command -v java'], { encoding: 'utf8' }).stdout.trim());
  return dirname(dirname(java));
}

async function startElasticsearch(): Promise<void> {
  if (!fetched()) fetchEngines();
  const home = esHome();
  const pidFile = join(ELASTIC, 'engine.pid');
  const running = pidOf('elasticsearch');
  if (running) {
    process.stderr.write(`engines: elasticsearch already running (pid ${running}) at http://127.0.0.1:${ES_PORT}\n`);
    return;
  }
  if (await portOpen(ES_PORT)) fail(`ENGINES_ELASTICSEARCH_PORT: 127.0.0.1:${ES_PORT} is already in use`);
  const config = join(ELASTIC, 'config');
  for (const dir of [config, join(ELASTIC, 'data'), join(ELASTIC, 'logs'), join(config, 'jvm.options.d')]) mkdirSync(dir, { recursive: true });
  for (const file of ['jvm.options', 'log4j2.properties']) writeFileSync(join(config, file), readFileSync(join(home, 'config', file)));
  writeFileSync(join(config, 'elasticsearch.yml'), [
    'cluster.name: steveslist', 'node.name: node-1', `path.data: ${join(ELASTIC, 'data')}`, `path.logs: ${join(ELASTIC, 'logs')}`,
    'network.host: 127.0.0.1', `http.port: ${ES_PORT}`, `transport.port: ${ES_PORT + 100}`, 'discovery.type: single-node',
    'xpack.security.enabled: false', 'action.destructive_requires_name: false', '',
  ].join('\n'));
  writeFileSync(join(config, 'jvm.options.d', 'heap.options'), `-Xms${ES_HEAP}\n-Xmx${ES_HEAP}\n`);
  rmSync(pidFile, { force: true });
  const env = { ...process.env, ES_JAVA_HOME: javaHome(), ES_PATH_CONF: config };
  const args = [join(home, 'bin', 'elasticsearch'), '-d', '-p', pidFile];
  let result;
  if (process.getuid?.() === 0) {
    if (spawnSync('id', [ES_USER], { stdio: 'ignore' }).status !== 0) {
      spawnSync('useradd', ['--system', '--no-create-home', '--shell', '/usr/sbin/nologin', ES_USER], { stdio: 'inherit' });
    }
    spawnSync('chown', ['-R', ES_USER, ELASTIC], { stdio: 'inherit' });
    result = spawnSync('runuser', ['-u', ES_USER, '--', 'env', `ES_JAVA_HOME=${env.ES_JAVA_HOME}`, `ES_PATH_CONF=${config}`, ...args], { encoding: 'utf8' });
  } else {
    result = spawnSync(args[0]!, args.slice(1), { encoding: 'utf8', env });
  }
  if (result.status !== 0) fail(`Elasticsearch did not start: ${(result.stderr || result.stdout).trim().split('\n').slice(-3).join(' ')} (see ${join(ELASTIC, 'logs')})`);
  const deadline = Date.now() + 120_000;
  for (;;) {
    const health = await fetch(`http://127.0.0.1:${ES_PORT}/_cluster/health?wait_for_status=yellow&timeout=5s`).then((r) => r.ok, () => false);
    if (health) break;
    if (Date.now() > deadline) fail(`Elasticsearch did not become ready within 120 s; see ${join(ELASTIC, 'logs')}`);
    await new Promise((r) => setTimeout(r, 500));
  }
  process.stderr.write(`engines: elasticsearch ready at http://127.0.0.1:${ES_PORT} (ELASTICSEARCH_URL=http://127.0.0.1:${ES_PORT})\n`);
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
  for (const [engine, port] of [['kafka', KAFKA_PORT], ['connect', CONNECT_PORT], ['elasticsearch', ES_PORT]] as const) {
    const pid = pidOf(engine);
    const open = await portOpen(port);
    process.stdout.write(`${engine.padEnd(13)} ${pid ? `running (pid ${pid})` : 'stopped'}  127.0.0.1:${port} ${open ? 'accepting connections' : 'closed'}\n`);
  }
}

const [command] = process.argv.slice(2);
switch (command) {
  case 'fetch':
    fetchEngines();
    break;
  case 'start':
    await startKafka();
    await startConnect();
    await startElasticsearch();
    break;
  case 'stop':
    // Connect first: it would otherwise spend its shutdown retrying a broker that is gone.
    await stop('connect');
    await stop('kafka');
    await stop('elasticsearch');
    break;
  case 'status':
    await status();
    break;
  default:
    fail('usage: engines fetch|start|stop|status');
}
