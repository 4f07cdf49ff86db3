// docker-compose.yml stays in step with the code: valid for Compose (checked by `docker-compose
// config` where it is installed, as CI installs it), every platform service runs a real command
// with settings the platform reads, and the engines' versions are the ones the tests run for real.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { COMMANDS } from '../bin/cli.js';
import { heartbeatPath } from '../bin/commands/worker.js';
import { readConfig } from '../core/config/index.js';
import { ROOT } from './fixtures/run-cli.js';

interface Service {
  image?: string;
  build?: unknown;
  command?: string[];
  environment?: Record<string, string | number>;
  healthcheck?: { test?: string[] };
  volumes?: string[];
}

const compose = parse(readFileSync(join(ROOT, 'docker-compose.yml'), 'utf8'), { merge: true }) as { services: Record<string, Service>; volumes?: Record<string, unknown> };
const pom = readFileSync(join(ROOT, 'deploy', 'engines', 'pom.xml'), 'utf8');
const platform = Object.entries(compose.services).filter(([, service]) => service.build);

describe('docker-compose.yml', () => {
  const tool = spawnSync('docker-compose', ['version'], { encoding: 'utf8' });
  if (tool.error) console.log('compose: docker-compose is not installed, so `docker-compose config` is not run here (CI installs it: apt-get install docker-compose)');
  it.skipIf(Boolean(tool.error))('is a valid Compose file', () => {
    const result = spawnSync('docker-compose', ['-f', join(ROOT, 'docker-compose.yml'), 'config', '--quiet'], { encoding: 'utf8', cwd: ROOT });
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
  });

  it('runs every role of the platform as a service of one image', () => {
    const commands = Object.fromEntries(platform.map(([name, service]) => [name, service.command?.join(' ')]));
    expect(commands).toEqual({
      cdc: 'cdc', 'worker-search': 'worker search', 'worker-warehouse': 'worker warehouse', 'worker-webhooks': 'worker webhooks',
      'worker-search-alerts': 'worker search-alerts', 'worker-listing-checks': 'worker listing-checks', 'worker-spam-checks': 'worker spam-checks', 'worker-sms': 'worker sms', 'worker-email': 'worker email', api: 'serve api', admin: 'serve admin', scheduler: 'scheduler',
    });
    for (const [, service] of platform) expect(Object.keys(COMMANDS)).toContain(service.command![0]);
  });

  it('gives the platform only settings it reads, and every adapter it needs', () => {
    const known = new Set(readConfig({}, { cwd: ROOT }).names);
    for (const [name, service] of platform) {
      const unknown = Object.keys(service.environment ?? {}).filter((key) => !known.has(key));
      expect(unknown, `${name} sets settings the platform does not read`).toEqual([]);
      for (const setting of ['MYSQL_URL', 'KAFKA_BROKERS', 'ELASTICSEARCH_URL', 'CLICKHOUSE_URL', 'SMTP_URL']) expect(service.environment).toHaveProperty(setting);
    }
  });

  it('runs the engine versions the tests run for real', () => {
    const version = (name: string) => new RegExp(`<${name}>([^<]+)</${name}>`).exec(pom)![1]!;
    expect(compose.services.kafka!.image).toBe(`apache/kafka:${version('kafka.version')}`);
    expect(compose.services.elasticsearch!.image).toBe(`docker.elastic.co/elasticsearch/elasticsearch:${version('elasticsearch.version')}`);
  });

  const connectPom = join(ROOT, 'deploy', 'engines', 'connect', 'pom.xml');
  it.skipIf(!existsSync(connectPom))('runs the Debezium release the tests run for real', () => {
    // Debezium publishes its Connect image per minor release (`2.7`), the connector per patch (`2.7.4.Final`).
    const debezium = /<debezium\.version>(\d+\.\d+)\./.exec(readFileSync(connectPom, 'utf8'))![1];
    expect(compose.services.connect!.image).toBe(`quay.io/debezium/connect:${debezium}`);
  });

  it('checks the health of every worker by the age of the heartbeat file the worker writes', () => {
    const dataDir = /ENV [^\n]*\bDATA_DIR=(\S+)/.exec(readFileSync(join(ROOT, 'deploy', 'Dockerfile'), 'utf8'))?.[1];
    expect(dataDir).toBeDefined();
    for (const [name, service] of platform.filter(([, s]) => s.command?.[0] === 'worker')) {
      const path = heartbeatPath(dataDir!, service.command![1]!);
      const check = service.healthcheck?.test?.join(' ') ?? '';
      const [, folder, pattern] = /find (\S+) -name '([^']+)'/.exec(check) ?? [];
      expect(folder, `${name}'s health check looks for the heartbeat`).toBe(dirname(path));
      expect(basename(path), `${name}'s heartbeat matches ${pattern}`).toMatch(new RegExp(`^${pattern!.replace('.', '\\.').replace('*', '.*')}$`));
    }
  });

  it('checks the health of every engine and keeps their data in named volumes', () => {
    const engines = Object.entries(compose.services).filter(([, service]) => !service.build);
    for (const [name, service] of engines) expect(service.healthcheck?.test, `${name} has no health check`).toBeDefined();
    for (const [name, path] of [['mysql', '/var/lib/mysql'], ['kafka', '/var/lib/kafka/data'], ['elasticsearch', '/usr/share/elasticsearch/data'], ['clickhouse', '/var/lib/clickhouse']] as const) {
      const volume = compose.services[name]!.volumes?.find((entry) => entry.endsWith(`:${path}`))?.split(':')[0];
      expect(volume, `${name} keeps ${path} in a volume`).toBeDefined();
      expect(Object.keys(compose.volumes ?? {}), `${name}'s volume is a named one`).toContain(volume);
    }
  });
});
