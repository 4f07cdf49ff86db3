import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { withDotEnv } from './dotenv.js';
import { readChecks, type ChecksConfig } from './checks.js';
import { readPayments, type PaymentsConfig } from './payments.js';
import { readSearchSynonyms, type SynonymGroups } from './search-synonyms.js';
import { SettingsReader } from './settings-reader.js';
import { readSms, type SmsConfig } from './sms.js';
import { trustedProxyProblem } from './trusted-proxies.js';

export { redactUrl } from './redact-url.js';

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];
export type LogFormat = 'pretty' | 'json';

/** The platform's whole configuration, read once at start-up. Paths are absolute. */
export interface Config {
  /** Where everything the one-machine mode keeps on disk lives. */
  dataDir: string;
  mysql: {
    /** An existing server to use; undefined means "run a private MariaDB". */
    url: string | undefined;
    /** Datadir of the private MariaDB. */
    dataDir: string;
    /** Port of the private MariaDB; undefined takes a free one. */
    port: number | undefined;
  };
  http: {
    host: string;
    port: number;
    /** Requests a minute per API key or session, and per IP for anonymous requests. */
    rateLimitPerMinute: number;
    /** Sign-ups and log-ins a minute per IP: caps password guessing. */
    authRateLimitPerMinute: number;
    /** Proxies whose X-Forwarded-For names the client (addresses, CIDR ranges); empty: none. */
    trustedProxies: string[];
  };
  /** The admin service: its own port, loopback only unless told otherwise. */
  admin: {
    host: string;
    port: number;
    /** HTTPS that admits only clients with a certificate signed by `caPath`; undefined: plain HTTP. */
    tls: { certPath: string; keyPath: string; caPath: string } | undefined;
    /** A staff account is locked for `minutes` after `maxFailures` failed log-ins in a row. */
    lockout: { maxFailures: number; minutes: number };
  };
  log: { level: LogLevel; format: LogFormat };
  /** Topics are `<topicPrefix>.<database>.<table>` and `<topicPrefix>.events.<aggregate>`. */
  topicPrefix: string;
  /** How long a role waits for its servers (MySQL, Kafka, Elasticsearch, ...) to answer before giving up. */
  startupWaitMs: number;
  /** How long a consumer group's dead letter keeps /health degraded (a failing role stays degraded until it recovers). */
  deadLetterHealthWindowMs: number;
  bus: {
    /** Embedded log folder; used when no Kafka brokers are set. */
    dir: string;
    partitions: number;
    fsync: 'always' | 'interval' | 'never';
    fsyncIntervalMs: number;
    segmentBytes: number;
    retentionBytes: number;
    retentionMs: number;
    /** Newest records every partition together keeps decoded in memory for consumer groups that keep up. */
    recentBytes: number;
    kafka: KafkaConfig | undefined;
  };
  search: {
    /** Folder of the embedded index (used when no Elasticsearch URL is set). */
    dir: string;
    /** Name the serving index is found by (an Elasticsearch alias, or the embedded catalog). */
    alias: string;
    elasticsearch: { url: string; username?: string; password?: string; apiKey?: string } | undefined;
    /** Words that find each other in searches, on both engines (SEARCH_SYNONYMS). */
    synonyms: SynonymGroups;
  };
  warehouse: {
    /** chDB data folder (used when no ClickHouse URL is set). */
    dir: string;
    url: string | undefined;
    username: string | undefined;
    password: string | undefined;
    /** ClickHouse's HTTP interface served by the process that owns the chDB folder (one machine). */
    http: {
      host: string;
      port: number;
      /** The port was chosen by WAREHOUSE_HTTP_PORT: when taken, starting fails instead of taking a free one. */
      portChosen: boolean;
    };
    /** How often each mart is recomputed from the raw tables (MART_REFRESH_SECONDS). */
    martRefreshSeconds: number;
  };
  webhooks: {
    /** Deliver to private, loopback and link-local addresses (local development only). */
    allowPrivate: boolean;
  };
  scheduler: {
    /** IANA time zone the jobs' cron times are in. */
    timezone: string;
  };
  backup: {
    /** Backups (one folder each) and the binlog archive. */
    dir: string;
  };
  reports: {
    /** Who receives the daily and weekly usage reports; empty: no report jobs. */
    recipients: string[];
    /** The dashboards are rebuilt every this many minutes (at minutes divisible by it) while the platform runs. */
    dashboardRebuildMinutes: number;
  };
  mail: {
    /** An SMTP relay (smtp://user:pass@host:port); undefined runs the local mailbox server. */
    smtpUrl: string | undefined;
    from: string;
    /** Folder of the local mailbox (.eml files). */
    mailboxDir: string;
    /** Port of the local mailbox's SMTP server on 127.0.0.1; 0 takes a free one. */
    localPort: number;
  };
  cdc: {
    /** Folder of the reader's saved position. */
    dir: string;
    /** Replica server id the reader announces; unique among the source's replicas. */
    serverId: number;
    includeTables: string[];
    excludeTables: string[];
    excludeColumns: string[];
    snapshotChunkRows: number;
    onMissingBinlog: 'fail' | 'resnapshot';
    /** Table of the captured database that signals (incremental snapshots) are written to. */
    signalTable: string;
    /** `source.name` of the events: tells several sources (shards) apart on the same topics. */
    sourceName: string;
    /**
     * Several sources read by one process (shards, or a primary and a replica), each with its own
     * position (under dir/<name>), `source.name` and replica server id (serverId + its index).
     * Empty: the one source is MYSQL_URL.
     */
    sources: { name: string; url: string }[];
    /** builtin: our binlog reader; debezium: Debezium's connector on Kafka Connect, registered by `steveslist cdc`. */
    engine: 'builtin' | 'debezium';
    /** Kafka Connect's REST API (needed by CDC_ENGINE=debezium). */
    kafkaConnectUrl: string | undefined;
    /** Who decodes row images in the built-in reader: its own decoder, or zongji's (kept to compare with). */
    rowsDecoder: 'builtin' | 'zongji';
  };
  /** Stripe, or none: orders are paid when placed (core/config/payments.ts). */
  payments: PaymentsConfig;
  /** The listing checks' and spam checks' rules (core/config/checks.ts). */
  checks: ChecksConfig;
  /** Twilio, or none: SMS is off (core/config/sms.ts). */
  sms: SmsConfig;
}

export interface KafkaConfig {
  brokers: string[];
  clientId: string;
  /** -1: the broker's default.replication.factor. */
  replicationFactor: number;
  ssl: boolean;
  sasl: { mechanism: 'plain' | 'scram-sha-256' | 'scram-sha-512'; username: string; password: string } | undefined;
  /** Largest produce request; at most the topics' max.message.bytes. */
  maxRequestBytes: number;
}

export interface LoadConfigOptions {
  cwd?: string;
  /** Whether stdout is a terminal; decides the default log format. */
  tty?: boolean;
  /** Read `<cwd>/.env` (default true). */
  dotEnv?: boolean;
}

/** Tables change capture leaves out unless CDC_EXCLUDE_TABLES says otherwise: sessions are credentials. */
export const DEFAULT_EXCLUDED_TABLES = ['schema_migrations', 'admin_sessions', 'user_sessions'];

/** Secrets and credentials never leave MySQL through change capture unless asked for. */
export const DEFAULT_EXCLUDED_COLUMNS = [
  'user_credentials.password_hash',
  'api_keys.key_hash',
  'webhook_endpoints.secret',
  'webhook_endpoints.previous_secret',
  'admin_users.password_hash',
  'admin_users.totp_secret',
  'saved_search_link_keys.secret',
  'phone_verifications.code_hash',
  'order_payments.reference',
];

function readTrustedProxies(r: SettingsReader): string[] {
  const entries = r.list('TRUSTED_PROXIES', []);
  for (const entry of entries) {
    const problem = trustedProxyProblem(entry);
    if (problem) r.fail('TRUSTED_PROXIES', problem);
  }
  return entries;
}

/** Java's producer's max.request.size; the broker's default max.message.bytes is 1,048,588. */
export const DEFAULT_KAFKA_MAX_REQUEST_BYTES = 1_048_576;

function readKafka(r: SettingsReader): KafkaConfig | undefined {
  const brokers = r.hostPorts('KAFKA_BROKERS');
  const clientId = r.string('KAFKA_CLIENT_ID', 'steveslist');
  const replicationFactor = r.integer('KAFKA_REPLICATION_FACTOR', -1, -1, 32);
  const ssl = r.boolean('KAFKA_SSL', false);
  const maxRequestBytes = r.integer('KAFKA_MAX_REQUEST_BYTES', DEFAULT_KAFKA_MAX_REQUEST_BYTES, 16_384, 1_073_741_824);
  const mechanism = r.optionalString('KAFKA_SASL_MECHANISM')?.toLowerCase();
  const username = r.optionalString('KAFKA_SASL_USERNAME');
  const password = r.optionalString('KAFKA_SASL_PASSWORD');
  let sasl: KafkaConfig['sasl'];
  if (mechanism !== undefined) {
    if (mechanism !== 'plain' && mechanism !== 'scram-sha-256' && mechanism !== 'scram-sha-512') {
      r.fail('KAFKA_SASL_MECHANISM', `expected plain, scram-sha-256 or scram-sha-512, got "${mechanism}"`);
    } else if (!username || !password) {
      r.fail('KAFKA_SASL_MECHANISM', 'needs KAFKA_SASL_USERNAME and KAFKA_SASL_PASSWORD');
    } else {
      sasl = { mechanism, username, password };
    }
  }
  return brokers ? { brokers, clientId, replicationFactor, ssl, sasl, maxRequestBytes } : undefined;
}

function readElasticsearch(r: SettingsReader): Config['search']['elasticsearch'] {
  const url = r.httpUrl('ELASTICSEARCH_URL');
  const username = r.optionalString('ELASTICSEARCH_USERNAME');
  const password = r.optionalString('ELASTICSEARCH_PASSWORD');
  const apiKey = r.optionalString('ELASTICSEARCH_API_KEY');
  if (username && !password) r.fail('ELASTICSEARCH_USERNAME', 'needs ELASTICSEARCH_PASSWORD too');
  return url ? { url, username, password, apiKey } : undefined;
}

function readEmails(r: SettingsReader, name: string): string[] {
  const emails = r.list(name, []).map((email) => email.toLowerCase());
  const bad = emails.filter((email) => !/^[^\s@,;<>]+@[^\s@,;<>]+\.[^\s@,;<>]+$/.test(email));
  if (bad.length > 0) r.fail(name, `not an email address: ${bad.join(', ')} (a comma-separated list, e.g. ops@example.com,ceo@example.com)`);
  return [...new Set(emails)];
}

function readTimezone(r: SettingsReader, name: string, fallback: string): string {
  const zone = r.string(name, fallback);
  try {
    new Intl.DateTimeFormat('en', { timeZone: zone });
  } catch {
    r.fail(name, `"${zone}" is not an IANA time zone (e.g. UTC, Europe/Berlin, America/New_York)`);
  }
  return zone;
}

const ADMIN_TLS_SETTINGS = ['ADMIN_TLS_CERT', 'ADMIN_TLS_KEY', 'ADMIN_TLS_CA'] as const;

/**
 * Client-certificate TLS for the admin service: all three files or none. A partial set is a typo
 * waiting to bite: HTTPS without the CA would admit any client.
 */
function readAdminTls(r: SettingsReader): Config['admin']['tls'] {
  const paths = ADMIN_TLS_SETTINGS.map((name) => [name, r.optionalPath(name)] as const);
  const given = paths.filter(([, path]) => path !== undefined);
  if (given.length === 0) return undefined;
  if (given.length < paths.length) {
    for (const [name] of paths.filter(([, path]) => path === undefined)) {
      r.fail(name, `missing while ${given.map(([set]) => set).join(' and ')} ${given.length === 1 ? 'is' : 'are'} set: ${ADMIN_TLS_SETTINGS.join(', ')} go together (all three or none)`);
    }
    return undefined;
  }
  for (const [name, path] of paths) if (!existsSync(path!)) r.fail(name, `no such file: ${path}`);
  const [certPath, keyPath, caPath] = paths.map(([, path]) => path!) as [string, string, string];
  return { certPath, keyPath, caPath };
}

/** Every setting the platform reads, so the README and `steveslist config` can list them. */
export function readConfig(env: NodeJS.ProcessEnv, options: LoadConfigOptions = {}): { config: Config; names: string[] } {
  const cwd = options.cwd ?? process.cwd();
  const source = options.dotEnv === false ? env : withDotEnv(env, join(cwd, '.env'));
  const r = new SettingsReader(source, cwd);

  const dataDir = r.path('DATA_DIR', '.data');
  const config: Config = {
    dataDir,
    mysql: {
      url: r.mysqlUrl('MYSQL_URL'),
      dataDir: r.optionalPath('MYSQL_DATA_DIR') ?? join(dataDir, 'mysql'),
      port: r.optionalPort('MYSQL_PORT'),
    },
    http: {
      host: r.string('HOST', '127.0.0.1'),
      port: r.port('PORT', 3000),
      rateLimitPerMinute: r.integer('RATE_LIMIT_PER_MINUTE', 600, 1, 1_000_000),
      authRateLimitPerMinute: r.integer('AUTH_RATE_LIMIT_PER_MINUTE', 30, 1, 1_000_000),
      trustedProxies: readTrustedProxies(r),
    },
    admin: {
      host: r.string('ADMIN_HOST', '127.0.0.1'),
      port: r.port('ADMIN_PORT', 3001),
      tls: readAdminTls(r),
      lockout: { maxFailures: r.integer('ADMIN_LOGIN_MAX_FAILURES', 5, 1, 1000), minutes: r.integer('ADMIN_LOCKOUT_MINUTES', 15, 1, 10_080) },
    },
    log: {
      level: r.oneOf('LOG_LEVEL', LOG_LEVELS, 'info'),
      format: r.oneOf<LogFormat>('LOG_FORMAT', ['pretty', 'json'], options.tty ? 'pretty' : 'json'),
    },
    topicPrefix: r.string('TOPIC_PREFIX', 'steveslist'),
    startupWaitMs: r.integer('STARTUP_WAIT_SECONDS', 60, 0, 3600) * 1000,
    deadLetterHealthWindowMs: r.integer('HEALTH_DEAD_LETTER_WINDOW_SECONDS', 300, 0, 86_400) * 1000,
    bus: {
      dir: r.optionalPath('BUS_DIR') ?? join(dataDir, 'bus'),
      partitions: r.integer('BUS_PARTITIONS', 4, 1, 1024),
      fsync: r.oneOf('BUS_FSYNC', ['always', 'interval', 'never'] as const, 'always'),
      fsyncIntervalMs: r.integer('BUS_FSYNC_INTERVAL_MS', 100, 1, 60_000),
      segmentBytes: r.integer('BUS_SEGMENT_MB', 64, 1, 4096) * 1024 * 1024,
      retentionBytes: r.integer('BUS_RETENTION_MB', 1024, 1, 10_000_000) * 1024 * 1024,
      retentionMs: r.integer('BUS_RETENTION_HOURS', 168, 1, 100_000) * 3_600_000,
      recentBytes: r.integer('BUS_MEMORY_MB', 64, 0, 65_536) * 1024 * 1024,
      kafka: readKafka(r),
    },
    search: {
      dir: r.optionalPath('SEARCH_DIR') ?? join(dataDir, 'search'),
      alias: r.string('SEARCH_INDEX', 'listings'),
      elasticsearch: readElasticsearch(r),
      synonyms: readSearchSynonyms(r),
    },
    warehouse: {
      dir: r.optionalPath('WAREHOUSE_DIR') ?? join(dataDir, 'warehouse'),
      url: r.httpUrl('CLICKHOUSE_URL'),
      username: r.optionalString('CLICKHOUSE_USER'),
      password: r.optionalString('CLICKHOUSE_PASSWORD'),
      http: {
        host: r.string('WAREHOUSE_HTTP_HOST', '127.0.0.1'),
        port: r.port('WAREHOUSE_HTTP_PORT', 8123),
        portChosen: r.isSet('WAREHOUSE_HTTP_PORT'),
      },
      martRefreshSeconds: r.integer('MART_REFRESH_SECONDS', 30, 1, 86_400),
    },
    webhooks: { allowPrivate: r.boolean('WEBHOOKS_ALLOW_PRIVATE', false) },
    scheduler: { timezone: readTimezone(r, 'SCHEDULER_TIMEZONE', 'UTC') },
    backup: { dir: r.optionalPath('BACKUP_DIR') ?? join(dataDir, 'backups') },
    reports: { recipients: readEmails(r, 'REPORT_RECIPIENTS'), dashboardRebuildMinutes: r.integer('DASHBOARD_REBUILD_MINUTES', 5, 0, 60) },
    mail: {
      smtpUrl: r.smtpUrl('SMTP_URL'),
      from: r.string('MAIL_FROM', 'Steveslist <no-reply@steveslist.local>'),
      mailboxDir: r.optionalPath('MAILBOX_DIR') ?? join(dataDir, 'mailbox'),
      localPort: r.port('SMTP_LOCAL_PORT', 0),
    },
    cdc: {
      dir: r.optionalPath('CDC_DIR') ?? join(dataDir, 'cdc'),
      serverId: r.integer('CDC_SERVER_ID', 54_001, 1, 4_294_967_295),
      includeTables: r.list('CDC_INCLUDE_TABLES', []),
      excludeTables: r.list('CDC_EXCLUDE_TABLES', DEFAULT_EXCLUDED_TABLES),
      excludeColumns: r.list('CDC_EXCLUDE_COLUMNS', DEFAULT_EXCLUDED_COLUMNS),
      snapshotChunkRows: r.integer('CDC_SNAPSHOT_CHUNK_ROWS', 5000, 1, 1_000_000),
      onMissingBinlog: r.oneOf('CDC_ON_MISSING_BINLOG', ['fail', 'resnapshot'] as const, 'fail'),
      signalTable: r.string('CDC_SIGNAL_TABLE', 'cdc_signals'),
      sourceName: r.string('CDC_SOURCE_NAME', r.string('TOPIC_PREFIX', 'steveslist')),
      sources: r.namedMysqlUrls('CDC_SOURCES'),
      engine: r.oneOf('CDC_ENGINE', ['builtin', 'debezium'] as const, 'builtin'),
      kafkaConnectUrl: r.httpUrl('KAFKA_CONNECT_URL'),
      rowsDecoder: r.oneOf('CDC_DECODER', ['builtin', 'zongji'] as const, 'builtin'),
    },
    payments: readPayments(r),
    checks: readChecks(r),
    sms: readSms(r),
  };
  if (!/^[A-Za-z0-9_$]{1,64}$/.test(config.cdc.signalTable)) r.fail('CDC_SIGNAL_TABLE', `expected a table name (letters, digits, _ and $), got "${config.cdc.signalTable}"`);
  if (config.cdc.engine === 'debezium') {
    if (!config.bus.kafka) r.fail('CDC_ENGINE', 'debezium writes to Kafka: set KAFKA_BROKERS too');
    if (!config.cdc.kafkaConnectUrl) r.fail('CDC_ENGINE', 'debezium runs on Kafka Connect: set KAFKA_CONNECT_URL too (e.g. http://127.0.0.1:18083)');
  }
  r.finish();
  return { config, names: r.names };
}

/** Reads and validates the configuration; throws a ConfigError listing every problem. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env, options: LoadConfigOptions = {}): Config {
  return readConfig(env, options).config;
}
