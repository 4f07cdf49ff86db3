// Dead-letter messages: the original key, value and headers, plus why and where it failed, so a
// person can inspect it and replay it to where it came from once the cause is fixed.
import { errorCode, isRetriable } from '../../core/errors.js';
import type { BusMessage, OutgoingMessage } from '../bus/port.js';

export const DLQ_HEADER_PREFIX = 'dlq.';

export function deadLetterTopic(prefix: string, group: string): string {
  return `${prefix}.dlq.${group}`;
}

export function toDeadLetter(message: BusMessage, group: string, error: unknown, attempts: number, now = new Date()): OutgoingMessage {
  const text = error instanceof Error ? error.message : String(error);
  return {
    key: message.key,
    value: message.value,
    headers: {
      ...message.headers,
      'dlq.error': text.slice(0, 2000),
      'dlq.error.code': errorCode(error),
      'dlq.retriable': String(isRetriable(error)),
      'dlq.attempts': String(attempts),
      'dlq.group': group,
      'dlq.topic': message.topic,
      'dlq.partition': String(message.partition),
      'dlq.offset': String(message.offset),
      'dlq.failed_at': now.toISOString(),
    },
  };
}

/** The message as it was before it failed, for replaying to its original topic. */
export function fromDeadLetter(message: BusMessage): { topic: string; message: OutgoingMessage } {
  const topic = message.headers['dlq.topic'];
  if (!topic) throw new Error(`message ${message.topic}/${message.partition}@${message.offset} is not a dead letter (no dlq.topic header)`);
  const headers = Object.fromEntries(Object.entries(message.headers).filter(([name]) => !name.startsWith(DLQ_HEADER_PREFIX)));
  return { topic, message: { key: message.key, value: message.value, headers } };
}
