// The bus port and the adapter the configuration asks for: Kafka when KAFKA_BROKERS is set,
// otherwise the embedded log on disk.
import type { Config } from '../../core/config/index.js';
import type { Logger } from '../../core/log.js';
import { EmbeddedBus } from './embedded/index.js';
import type { Bus } from './port.js';

export type * from './port.js';
export { partitionFor } from './partitioner.js';

export async function openBus(config: Config, log: Logger): Promise<Bus> {
  const { bus } = config;
  if (bus.kafka) {
    // Loaded only for Kafka: kafkajs costs a start on the embedded bus ~80 ms of CPU, which a restart pays.
    const { KafkaBus } = await import('./kafka.js');
    return KafkaBus.connect({
      brokers: bus.kafka.brokers,
      clientId: bus.kafka.clientId,
      defaultPartitions: bus.partitions,
      replicationFactor: bus.kafka.replicationFactor,
      ssl: bus.kafka.ssl,
      sasl: bus.kafka.sasl,
      groupPrefix: `${config.topicPrefix}.`,
      maxRequestBytes: bus.kafka.maxRequestBytes,
      log: log.child({ bus: 'kafka' }),
    });
  }
  return EmbeddedBus.open({
    dir: bus.dir,
    defaultPartitions: bus.partitions,
    segmentBytes: bus.segmentBytes,
    fsync: bus.fsync,
    fsyncIntervalMs: bus.fsyncIntervalMs,
    retentionBytes: bus.retentionBytes,
    retentionMs: bus.retentionMs,
    recentBytes: bus.recentBytes,
    log: log.child({ bus: 'embedded' }),
  });
}
