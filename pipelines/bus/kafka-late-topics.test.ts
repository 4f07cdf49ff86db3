// On Kafka, kafkajs resolves a subscription's patterns when the consumer joins its group. The
// platform creates every topic change capture will write before its consumers subscribe, so the
// first event of a table or an aggregate is consumed by the group as it is, with no rejoin; a
// topic nobody knew at start-up is still found and consumed. Needs KAFKA_BROKERS.
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import type { Admin } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../../core/log.js';
import { createListing } from '../../marketplace/domain/listings.js';
import { placeOrder } from '../../marketplace/domain/orders.js';
import { createUser } from '../../marketplace/domain/users.js';
import { replicaId } from '../../test/fixtures/cdc.js';
import { createTestDatabase, type TestDatabase } from '../../test/fixtures/database.js';
import { until } from '../../test/fixtures/eventually.js';
import { tempDir } from '../../test/fixtures/temp-dir.js';
import { createCapturedTopics } from '../cdc/captured-topics.js';
import type { DomainEventMessage } from '../cdc/outbox-router.js';
import { CdcReader } from '../cdc/reader.js';
import { FileStateStore } from '../cdc/reader-state.js';
import { eventsTopic, eventsTopicPattern, TableFilter, tableTopic } from '../cdc/topics.js';
import { KafkaBus } from './kafka.js';
import type { Subscription } from './port.js';

const brokers = process.env.KAFKA_BROKERS?.split(',');
const run = randomBytes(4).toString('hex');

describe.skipIf(!brokers)('Kafka: topics that appear after the consumers started', () => {
  const dir = tempDir();
  let db: TestDatabase;
  let bus: KafkaBus;
  let admin: Admin;
  const subscriptions: Subscription[] = [];
  let reader: CdcReader | undefined;

  beforeAll(async () => {
    db = await createTestDatabase('late');
    // The default topic refresh and group settings: what the platform runs with.
    bus = await KafkaBus.connect({ brokers: brokers!, clientId: 'late-topics-test', defaultPartitions: 3, replicationFactor: 1, groupPrefix: `late-${run}.` });
    admin = bus.kafka.admin();
    await admin.connect();
  });

  afterAll(async () => {
    await reader?.stop();
    for (const subscription of subscriptions) await subscription.stop();
    await admin?.disconnect();
    await bus?.close();
    await db?.close();
    dir.remove();
  });

  /** The group's members as the broker sees them: a consumer that joined again has a new member id. */
  const members = async (group: string) => (await admin.describeGroups([bus.groupId(group)])).groups[0]!.members.map((m) => m.memberId).sort();

  it('delivers the first order.placed to a consumer of the events pattern without the group joining again', async () => {
    const prefix = `late${run}`;
    const filter = new TableFilter({ database: db.name, include: [], exclude: ['schema_migrations'], excludeColumns: [] });
    const topics = await createCapturedTopics(bus, db.pool, { topicPrefix: prefix, database: db.name, filter });
    expect(topics).toEqual(expect.arrayContaining([
      tableTopic(prefix, db.name, 'listings'), tableTopic(prefix, db.name, 'orders'), tableTopic(prefix, db.name, 'users'),
      eventsTopic(prefix, 'user'), eventsTopic(prefix, 'listing'), eventsTopic(prefix, 'order'), eventsTopic(prefix, 'message'), eventsTopic(prefix, 'complaint'),
    ]));
    // The outbox leaves as domain events; an excluded table has no topic.
    expect(topics).not.toContain(tableTopic(prefix, db.name, 'outbox'));
    expect(topics).not.toContain(tableTopic(prefix, db.name, 'schema_migrations'));
    expect(await bus.listTopics()).toEqual(expect.arrayContaining(topics));

    const events: DomainEventMessage[] = [];
    subscriptions.push(await bus.subscribe({ group: 'webhooks', topics: [eventsTopicPattern(prefix)] }, async (batch) => {
      events.push(...batch.messages.map((m) => JSON.parse(m.value!.toString()) as DomainEventMessage));
    }));
    const joined = await members('webhooks');
    expect(joined).toHaveLength(1);

    reader = CdcReader.start({
      url: db.url, bus, store: new FileStateStore(join(dir.path, 'cdc')), topicPrefix: prefix, filter,
      replicaServerId: replicaId(), snapshotChunkRows: 1000, onMissingBinlog: 'fail', log: silentLogger(), progress: () => ({ update() {}, finish() {} }),
    });
    await until(() => reader!.stats().phase, (phase) => phase === 'streaming' || phase === 'failed', 60_000);
    expect(reader.stats().phase).toBe('streaming');

    const seller = await createUser(db.pool, { email: 'late-seller@example.com', name: 'Late Seller', passwordHash: 'x' });
    const buyer = await createUser(db.pool, { email: 'late-buyer@example.com', name: 'Late Buyer', passwordHash: 'x' });
    const listing = await createListing(db.pool, { sellerId: seller.id, name: 'Late lamp', description: 'x', category: 'home-garden', country: 'GB', city: 'Leeds', priceAmount: 900, priceCurrency: 'gbp' });
    await placeOrder(db.pool, listing, buyer.id);

    // The latency itself is a bench figure (bench/topology.ts); here, that it arrives, and how.
    // Each aggregate's first event, each on a topic of its own.
    const first = ['user.signed_up', 'listing.created', 'order.placed'];
    const types = await until(() => events.map((e) => e.type), (seen) => first.every((t) => seen.includes(t)), 10_000);
    expect(types).toEqual(expect.arrayContaining(first));
    expect(types.filter((t) => t === 'order.placed')).toHaveLength(1);
    expect(await members('webhooks')).toEqual(joined);
  });

  it('consumes a topic nobody knew at start-up, losing and repeating nothing on the topics it already had', async () => {
    const prefix = `fresh${run}`;
    const known = `${prefix}.known`;
    await bus.ensureTopic(known);
    const seen: string[] = [];
    subscriptions.push(await bus.subscribe({ group: 'fresh', topics: [new RegExp(`^${prefix}\\.`)] }, async (batch) => {
      seen.push(...batch.messages.map((m) => m.value!.toString()));
    }));
    await bus.publish(known, [{ key: 'a', value: 'known-1' }]);
    await until(() => seen.length, (n) => n >= 1, 10_000);

    // Publishing creates the topic, as change capture does for a table that did not exist.
    await bus.publish(`${prefix}.new`, [{ key: 'b', value: 'new-1' }]);
    await bus.publish(known, [{ key: 'a', value: 'known-2' }]);
    await until(() => seen.length, (n) => n >= 3, 10_000);
    // Anything handled twice would have arrived by now too.
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect([...seen].sort()).toEqual(['known-1', 'known-2', 'new-1']);
  });
});
