// The consumer roles: each starts its consumer group(s) on the bus and registers how to stop.
// Several processes running the same role share its consumer group (with Kafka).
import { parseMysqlUrl } from '../../marketplace/mysql/connection.js';
import type { Bus } from '../../pipelines/bus/port.js';
import { createCapturedTopics } from '../../pipelines/cdc/captured-topics.js';
import { captureFilter } from '../../pipelines/cdc/topics.js';
import { startInBackground } from '../../pipelines/consumers/start-in-background.js';
import { EMAIL_GROUP, EmailSender, startEmailEnqueuer } from '../../pipelines/sinks/email/email-worker.js';
import { startLocalMailbox } from '../../pipelines/sinks/email/local-mailbox.js';
import { openSms, SMS_GROUP, SMS_OFF_NOTICE, SmsWorker } from '../../pipelines/sinks/sms/index.js';
import { openSearch, SEARCH_GROUP, startSearchIndexer, type SearchService } from '../../pipelines/sinks/search/index.js';
import { openPercolator } from '../../pipelines/sinks/search-alerts/index.js';
import { SEARCH_ALERTS_GROUP, SearchAlertsWorker } from '../../pipelines/sinks/search-alerts/alert-worker.js';
import { LISTING_CHECKS_GROUP, ListingChecksWorker } from '../../pipelines/sinks/listing-checks/listing-checks-worker.js';
import { SPAM_CHECKS_GROUP, SpamChecksWorker } from '../../pipelines/sinks/spam-checks/spam-checks-worker.js';
import { startWebhookEnqueuer, WebhookDispatcher, WEBHOOKS_GROUP } from '../../pipelines/sinks/webhooks/webhook-worker.js';
import { MartKeeper, openWarehouseOwner, openWarehouseSession, startWarehouseLoader, WAREHOUSE_GROUP, type ClickHouseClient } from '../../warehouse/index.js';
import { serveWarehouse } from '../../warehouse/http/serve.js';
import { WarehouseMedianSource } from '../../warehouse/listing-price-medians.js';
import { confineAnalystQuery } from '../../warehouse/analyst-guard.js';
import { checkClickHouse, checkSmtp } from './reachability.js';
import type { RoleContext } from './role-context.js';
import { waitForService } from './wait-for-service.js';

export const WORKER_GROUPS = { search: SEARCH_GROUP, warehouse: WAREHOUSE_GROUP, webhooks: WEBHOOKS_GROUP, email: EMAIL_GROUP, 'search-alerts': SEARCH_ALERTS_GROUP,
  'listing-checks': LISTING_CHECKS_GROUP, 'spam-checks': SPAM_CHECKS_GROUP, sms: SMS_GROUP } as const;
export type WorkerRole = keyof typeof WORKER_GROUPS;

const database = (ctx: RoleContext) => parseMysqlUrl(ctx.db.source.url).database;
/** How a consumer group (or a sender) reports its failures, when something supervises this process. */
const health = (ctx: RoleContext, role: string, group?: string) => ctx.supervisor?.reporter(role, group);
const waitFor = <T>(ctx: Pick<RoleContext, 'config' | 'log'>, open: () => Promise<T>) => waitForService(open, { timeoutMs: ctx.config.startupWaitMs, log: ctx.log });

const topicsCreated = new WeakMap<Bus, Promise<void>>();

/**
 * On Kafka, creates every topic change capture will write before a consumer subscribes by pattern
 * (once per bus): a topic created later is picked up only by the group joining again.
 */
function createTopicsOnce(ctx: RoleContext): Promise<void> {
  if (ctx.bus.kind !== 'kafka') return Promise.resolve();
  let created = topicsCreated.get(ctx.bus);
  if (!created) {
    const filter = captureFilter(ctx.config, database(ctx));
    created = createCapturedTopics(ctx.bus, ctx.db.pool, { topicPrefix: ctx.config.topicPrefix, database: database(ctx), filter }).then(() => undefined);
    // A failure is the caller's to report; the next role to start tries again.
    created.catch(() => topicsCreated.delete(ctx.bus));
    topicsCreated.set(ctx.bus, created);
  }
  return created;
}

/** The search service the configuration names, waiting (bounded) for Elasticsearch to answer. */
export function openSearchService(ctx: Pick<RoleContext, 'config' | 'log'>): Promise<SearchService> {
  return waitFor(ctx, () => openSearch(ctx.config));
}

export async function startSearchWorker(ctx: RoleContext): Promise<SearchService> {
  const search = await openSearchService(ctx);
  ctx.closers.push(() => search.close());
  const indexer = startSearchIndexer({ bus: ctx.bus, search, pool: ctx.db.pool, database: database(ctx), topicPrefix: ctx.config.topicPrefix, log: ctx.log, health: health(ctx, SEARCH_GROUP, SEARCH_GROUP) });
  await indexer.start();
  ctx.closers.push(() => indexer.stop());
  return search;
}

/** Starts the loader (and, on one machine, serves the warehouse); returns a client for the process's other roles, apart from the loader's. */
export async function startWarehouseWorker(ctx: RoleContext): Promise<ClickHouseClient> {
  // A command that opened the folder while the platform was down may still hold it for a moment.
  const warehouse = await waitFor(ctx, async () => openWarehouseOwner(ctx.config));
  ctx.closers.push(() => warehouse.close());
  const url = ctx.config.warehouse.url;
  if (url) await waitFor(ctx, () => checkClickHouse(warehouse, url));
  else {
    // This process owns the chDB folder: analysts, dashboards and local commands reach it here.
    const served = await serveWarehouse(ctx.config, confineAnalystQuery, ctx.log);
    ctx.closers.push(() => served.close());
  }
  await createTopicsOnce(ctx);
  // The loader's sweep of every table's schema runs beside its inserts, on a session of its own;
  // closed after the loader stops (closers run last first), which waits for the sweep.
  const schemaSession = openWarehouseSession(ctx.config);
  ctx.closers.push(() => schemaSession.close());
  const loader = startWarehouseLoader({
    bus: ctx.bus, client: warehouse, schemaClient: schemaSession, pool: ctx.db.pool, database: database(ctx), topicPrefix: ctx.config.topicPrefix, log: ctx.log,
    filter: captureFilter(ctx.config, database(ctx)),
    health: health(ctx, WAREHOUSE_GROUP, WAREHOUSE_GROUP),
  });
  await loader.start();
  ctx.closers.push(() => loader.stop());
  // The marts refresh themselves (ClickHouse's refreshable views, run by this process on one
  // machine); the keeper holds them to MART_REFRESH_SECONDS and records each refresh and failure.
  const martSession = openWarehouseSession(ctx.config);
  ctx.closers.push(() => martSession.close());
  const keeper = new MartKeeper({ client: martSession, refreshSeconds: ctx.config.warehouse.martRefreshSeconds, log: ctx.log.child({ role: 'marts' }), health: health(ctx, 'marts') });
  keeper.start();
  ctx.closers.push(() => keeper.stop());
  // Staff's queries and the report jobs of this process get a session of their own: a long query
  // on the loader's session held every insert behind it.
  const readers = openWarehouseSession(ctx.config);
  ctx.closers.push(() => readers.close());
  return readers;
}

export async function startWebhooksWorker(ctx: RoleContext): Promise<void> {
  const options = { bus: ctx.bus, pool: ctx.db.pool, topicPrefix: ctx.config.topicPrefix, log: ctx.log, allowPrivate: ctx.config.webhooks.allowPrivate };
  await createTopicsOnce(ctx);
  const enqueuer = startWebhookEnqueuer({ ...options, health: health(ctx, WEBHOOKS_GROUP, WEBHOOKS_GROUP) });
  await enqueuer.start();
  ctx.closers.push(() => enqueuer.stop());
  const dispatcher = new WebhookDispatcher({ ...options, health: health(ctx, 'webhook-dispatcher') });
  dispatcher.start();
  ctx.closers.push(() => dispatcher.stop());
}

/** Returns the local mailbox's folder when there is no SMTP_URL and it runs one. */
export async function startEmailWorker(ctx: RoleContext): Promise<string | undefined> {
  let smtpUrl = ctx.config.mail.smtpUrl;
  let mailboxDir: string | undefined;
  if (!smtpUrl) {
    const mailbox = await startLocalMailbox(ctx.config.mail.mailboxDir, { port: ctx.config.mail.localPort });
    ctx.closers.push(() => mailbox.close());
    smtpUrl = mailbox.url;
    mailboxDir = ctx.config.mail.mailboxDir;
    ctx.log.info({ smtp: mailbox.url, mailbox: mailboxDir }, 'local mailbox: every email the platform sends lands there');
  } else {
    const relay = smtpUrl;
    await waitFor(ctx, () => checkSmtp(relay));
  }
  const options = { bus: ctx.bus, pool: ctx.db.pool, topicPrefix: ctx.config.topicPrefix, log: ctx.log, smtpUrl, from: ctx.config.mail.from };
  await createTopicsOnce(ctx);
  const enqueuer = startEmailEnqueuer({ ...options, health: health(ctx, EMAIL_GROUP, EMAIL_GROUP) });
  await enqueuer.start();
  ctx.closers.push(() => enqueuer.stop());
  const sender = new EmailSender({ ...options, health: health(ctx, 'email-sender') });
  sender.start();
  ctx.closers.push(() => sender.stop());
  return mailboxDir;
}

/** Saved-search alerts: matches new listings against the saved searches and queues emails and webhook events. */
export async function startSearchAlertsWorker(ctx: RoleContext): Promise<void> {
  const percolator = await waitFor(ctx, () => openPercolator(ctx.config, ctx.log));
  ctx.closers.push(() => percolator.close());
  await createTopicsOnce(ctx);
  const reporter = health(ctx, SEARCH_ALERTS_GROUP, SEARCH_ALERTS_GROUP);
  const worker = new SearchAlertsWorker({
    bus: ctx.bus, pool: ctx.db.pool, percolator, database: database(ctx), topicPrefix: ctx.config.topicPrefix, log: ctx.log,
    health: reporter, digestHealth: health(ctx, 'search-alert-digests'),
  });
  const starting = startInBackground(() => worker.start(), { health: reporter, log: ctx.log.child({ role: SEARCH_ALERTS_GROUP }), what: 'filling the percolator with the saved searches' });
  ctx.closers.push(async () => {
    await starting.stop();
    await worker.stop();
  });
}

/**
 * Listing checks: holds or flags new and edited listings that trip a rule, for moderators to clear
 * or remove. The price medians come from `warehouse` (the client of the process that runs the
 * warehouse role), else from CLICKHOUSE_URL's server when set, else from MySQL alone.
 */
export async function startListingChecksWorker(ctx: RoleContext, warehouse?: ClickHouseClient): Promise<void> {
  await createTopicsOnce(ctx);
  let client = warehouse;
  if (!client && ctx.config.warehouse.url) {
    // Opened without waiting for the server: MySQL answers until it does.
    const session = openWarehouseSession(ctx.config);
    ctx.closers.push(() => session.close());
    client = session;
  }
  const reporter = health(ctx, LISTING_CHECKS_GROUP, LISTING_CHECKS_GROUP);
  const worker = new ListingChecksWorker({
    bus: ctx.bus, pool: ctx.db.pool, topicPrefix: ctx.config.topicPrefix, log: ctx.log, config: ctx.config.checks.listings,
    health: reporter, mediansHealth: health(ctx, 'listing-check-medians'),
    warehouseMedians: client && new WarehouseMedianSource(client),
  });
  const starting = startInBackground(() => worker.start(), { health: reporter, log: ctx.log.child({ role: LISTING_CHECKS_GROUP }), what: 'reading the price medians' });
  ctx.closers.push(async () => {
    await starting.stop();
    await worker.stop();
  });
}

/** Spam checks: flags, rate-limits or suspends accounts whose sign-ups or messages trip a rule. */
export async function startSpamChecksWorker(ctx: RoleContext): Promise<void> {
  await createTopicsOnce(ctx);
  const worker = new SpamChecksWorker({
    bus: ctx.bus, pool: ctx.db.pool, topicPrefix: ctx.config.topicPrefix, log: ctx.log, config: ctx.config.checks.spam,
    health: health(ctx, SPAM_CHECKS_GROUP, SPAM_CHECKS_GROUP),
  });
  await worker.start();
  ctx.closers.push(() => worker.stop());
}

/** SMS notifications through Twilio; without its settings the role says SMS is off and starts nothing. */
export async function startSmsWorker(ctx: RoleContext): Promise<void> {
  const sms = openSms(ctx.config.sms);
  if (!sms) {
    ctx.log.info(SMS_OFF_NOTICE);
    return;
  }
  if (!ctx.config.sms.statusCallbackUrl) ctx.log.warn('SMS_STATUS_CALLBACK_URL is not set: SMS are sent, but Twilio reports no delivery statuses');
  await createTopicsOnce(ctx);
  const worker = new SmsWorker({
    bus: ctx.bus, pool: ctx.db.pool, sms, topicPrefix: ctx.config.topicPrefix, log: ctx.log, statusCallbackUrl: ctx.config.sms.statusCallbackUrl,
    health: health(ctx, SMS_GROUP, SMS_GROUP),
  });
  await worker.start();
  ctx.closers.push(() => worker.stop());
}
