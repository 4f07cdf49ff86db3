// Errors as people should read them. The API's messages already name the field and the reason.
import { ConnectionError, RateLimitError } from '../../../client/index.js';

export function messageOf(error: unknown): string {
  if (error instanceof ConnectionError) return 'Could not reach Steveslist. Check your connection and try again.';
  if (error instanceof RateLimitError) return `Too many requests. Try again in ${error.retryAfterSeconds ?? 60} seconds.`;
  if (error instanceof Error) return error.message;
  return String(error);
}

/** Beside its field the label already names it: "price_amount: must be >= 0" reads "must be >= 0". */
export function withoutFieldPrefix(message: string, field: string): string {
  return message.startsWith(`${field}: `) ? message.slice(field.length + 2) : message;
}
