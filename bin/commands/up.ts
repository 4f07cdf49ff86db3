import { buildAdminServer } from '../../api/admin/server.js';
import { loadAdminTls } from '../../api/admin/tls.js';
import { buildPublicServer, listen } from '../../api/public/server.js';
import { openBus } from '../../pipelines/bus/index.js';
import { startCdc } from '../../pipelines/cdc/index.js';
import { openSearch, SEARCH_GROUP, startSearchIndexer } from '../../pipelines/sinks/search/index.js';
import { parseMysqlUrl } from '../../marketplace/mysql/connection.js';
import { openWarehouse, startWarehouseLoader, WAREHOUSE_GROUP } from '../../warehouse/index.js';
import { startWebhookEnqueuer, WebhookDispatcher, WEBHOOKS_GROUP } from '../../pipelines/sinks/webhooks/webhook-worker.js';
import { EMAIL_GROUP, EmailSender, startEmailEnqueuer } from '../../pipelines/sinks/email/email-worker.js';
import { startLocalMailbox } from '../../pipelines/sinks/email/local-mailbox.js';
import { Scheduler } from '../../pipelines/scheduler/index.js';
import { jobsFor } from './platform-jobs.js';
import type { Command } from '../cli.js';
import { runUntilSignal } from '../shutdown.js';
import { openDatabase } from './open-database.js';

/**
 * Everything on one machine in one process: the private MariaDB (or MYSQL_URL), migrations,
 * change capture into the bus, and the public server. Later roles join here.
 */
export const upCommand: Command = {
  summary: 'run the whole platform in this process (private MariaDB unless MYSQL_URL is set)',
  usage: 'steveslist up',
  longRunning: true,
  async run(context) {
    const { config, log } = context;
    const db = await openDatabase(context);
    const closers: (() => Promise<void>)[] = [db.close];
    const shutdown = async () => {
      // Last opened, first closed; each closer runs once even if shutdown is called twice.
      while (closers.length > 0) await closers.pop()!().catch((error: unknown) => log.error({ err: error }, 'shutdown step failed'));
    };
    try {
      const bus = await openBus(config, log);
      closers.push(() => bus.close());
      // Started first and so stopped after the sinks: what they write while stopping (email
      // statuses, delivery rows) is still captured.
      const cdc = startCdc(config, bus, db.source.url, log);
      closers.push(() => cdc.stop());
      const search = await openSearch(config);
      closers.push(() => search.close());
      const indexer = startSearchIndexer({ bus, search, pool: db.pool, database: parseMysqlUrl(db.source.url).database, topicPrefix: config.topicPrefix, log });
      await indexer.start();
      closers.push(() => indexer.stop());
      const warehouse = openWarehouse(config);
      closers.push(() => warehouse.close());
      const loader = startWarehouseLoader({ bus, client: warehouse, pool: db.pool, database: parseMysqlUrl(db.source.url).database, topicPrefix: config.topicPrefix, log });
      await loader.start();
      closers.push(() => loader.stop());
      const webhookOptions = { bus, pool: db.pool, topicPrefix: config.topicPrefix, log, allowPrivate: config.webhooks.allowPrivate };
      const enqueuer = startWebhookEnqueuer(webhookOptions);
      await enqueuer.start();
      closers.push(() => enqueuer.stop());
      const dispatcher = new WebhookDispatcher(webhookOptions);
      dispatcher.start();
      closers.push(() => dispatcher.stop());
      let smtpUrl = config.mail.smtpUrl;
      if (!smtpUrl) {
        const mailbox = await startLocalMailbox(config.mail.mailboxDir, { port: config.mail.localPort });
        closers.push(() => mailbox.close());
        smtpUrl = mailbox.url;
        log.info({ smtp: mailbox.url, mailbox: config.mail.mailboxDir }, 'local mailbox: every email the platform sends lands there');
      }
      const mailOptions = { bus, pool: db.pool, topicPrefix: config.topicPrefix, log, smtpUrl, from: config.mail.from };
      const emailEnqueuer = startEmailEnqueuer(mailOptions);
      await emailEnqueuer.start();
      closers.push(() => emailEnqueuer.stop());
      const emailSender = new EmailSender(mailOptions);
      emailSender.start();
      closers.push(() => emailSender.stop());
      const scheduler = new Scheduler({ pool: db.pool, jobs: jobsFor(config, db, warehouse), log });
      scheduler.start();
      closers.push(() => scheduler.stop());
      const app = await buildPublicServer({
        pool: db.pool, log, search, webhooksAllowPrivate: config.webhooks.allowPrivate,
        rateLimit: { perMinute: config.http.rateLimitPerMinute, authPerMinute: config.http.authRateLimitPerMinute },
      });
      closers.push(() => app.close());
      const address = await listen(app, config.http.host, config.http.port);
      const admin = await buildAdminServer({
        pool: db.pool, log, warehouse, scheduler, mailboxDir: config.mail.smtpUrl ? undefined : config.mail.mailboxDir,
        pipeline: { bus, cdc, topicPrefix: config.topicPrefix, groups: [SEARCH_GROUP, WAREHOUSE_GROUP, WEBHOOKS_GROUP, EMAIL_GROUP] },
        tls: config.admin.tls && loadAdminTls(config.admin.tls),
      });
      closers.push(() => admin.close());
      const adminAddress = await listen(admin, config.admin.host, config.admin.port, 'ADMIN_PORT');
      // Listening for signals before saying so: whoever waits for the line may signal at once.
      const stopped = runUntilSignal(log, shutdown, cdc.done);
      log.info({ health: `${address}/health`, admin: adminAddress, bus: bus.kind, search: search.kind }, 'steveslist is up; Ctrl-C stops it');
      return await stopped;
    } catch (error) {
      await shutdown();
      throw error;
    }
  },
};
