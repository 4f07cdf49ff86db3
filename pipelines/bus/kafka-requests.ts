// Splits one publish into produce requests Kafka accepts. kafkajs sends everything given to one
// `send` as one request with one record batch per partition, and the broker refuses a record batch
// over the topic's max.message.bytes (1 MB by default) with MESSAGE_TOO_LARGE: a change-capture
// batch of thousands of rows caught up after a burst failed that way on every retry, for ever.
// Java's producer splits by max.request.size (1 MiB by default); this does the same, by an
// estimate of each record's size that errs high.
import { DEFAULT_KAFKA_MAX_REQUEST_BYTES } from '../../core/config/index.js';
import type { OutgoingMessage } from './port.js';

/** A record batch's header (61 bytes) and the request's own framing, with room to spare. */
const REQUEST_OVERHEAD_BYTES = 1024;
/** A record's attributes, timestamp and offset deltas, lengths and header count: at most ~21 bytes of varints. */
const RECORD_OVERHEAD_BYTES = 32;

const byteLength = (value: Buffer | string | null | undefined) => (value == null ? 0 : typeof value === 'string' ? Buffer.byteLength(value) : value.length);

/** What a record takes in a record batch, rounded up. */
export function recordBytes(message: OutgoingMessage): number {
  let bytes = RECORD_OVERHEAD_BYTES + byteLength(message.key) + byteLength(message.value);
  for (const [name, value] of Object.entries(message.headers ?? {})) bytes += 8 + byteLength(name) + byteLength(value);
  return bytes;
}

/**
 * Consecutive runs of `messages`, in order, each within `maxRequestBytes` (the whole request, so
 * every partition's record batch in it is too). A record too big for any request goes alone: the
 * broker's refusal then names the one record, not a batch.
 */
export function splitIntoRequests(messages: readonly OutgoingMessage[], maxRequestBytes = DEFAULT_KAFKA_MAX_REQUEST_BYTES): OutgoingMessage[][] {
  const budget = Math.max(1, maxRequestBytes - REQUEST_OVERHEAD_BYTES);
  const requests: OutgoingMessage[][] = [];
  let current: OutgoingMessage[] = [];
  let bytes = 0;
  for (const message of messages) {
    const size = recordBytes(message);
    if (current.length > 0 && bytes + size > budget) {
      requests.push(current);
      current = [];
      bytes = 0;
    }
    current.push(message);
    bytes += size;
  }
  if (current.length > 0) requests.push(current);
  return requests;
}
