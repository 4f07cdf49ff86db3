import type { Id } from '../types.js';

/** An id as one path segment: a caller's stray "1/../2" must not reach another route. */
export function segment(id: Id): string {
  return encodeURIComponent(String(id));
}
