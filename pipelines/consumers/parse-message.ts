import { PoisonMessage } from '../../core/errors.js';
import type { BusMessage } from '../bus/port.js';

/**
 * Bodies already parsed, by the bytes they were parsed from. The embedded bus hands every consumer
 * group of a process the same bytes for a record it still keeps in memory, so the groups reading
 * one change (search, warehouse, alerts) parse it once, not once each: that parse was a third of
 * the main thread during a burst. Bytes no longer referenced take their entry with them.
 */
const parsed = new WeakMap<Buffer, unknown>();

/** Shared between consumers, so frozen: a handler that changed it would change it for the others. */
function deepFreeze(value: unknown): void {
  if (value === null || typeof value !== 'object' || Object.isFrozen(value)) return;
  Object.freeze(value);
  for (const inner of Object.values(value)) deepFreeze(inner);
}

/** A message's JSON body, read-only; one that does not parse can never be handled, so it is poison. */
export function parseMessage<T>(message: BusMessage, what: string): T {
  const bytes = message.value!;
  const known = bytes ? parsed.get(bytes) : undefined;
  if (known !== undefined) return known as T;
  let body: unknown;
  try {
    body = JSON.parse(bytes.toString('utf8'));
  } catch (error) {
    throw new PoisonMessage(`not ${what} (${message.topic}/${message.partition}@${message.offset}): ${(error as Error).message}`);
  }
  deepFreeze(body);
  parsed.set(bytes, body);
  return body as T;
}
