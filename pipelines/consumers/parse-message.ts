import { PoisonMessage } from '../../core/errors.js';
import type { BusMessage } from '../bus/port.js';

/** A message's JSON body; one that does not parse can never be handled, so it is poison. */
export function parseMessage<T>(message: BusMessage, what: string): T {
  try {
    return JSON.parse(message.value!.toString('utf8')) as T;
  } catch (error) {
    throw new PoisonMessage(`not ${what} (${message.topic}/${message.partition}@${message.offset}): ${(error as Error).message}`);
  }
}
