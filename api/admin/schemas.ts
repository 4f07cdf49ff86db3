// JSON schemas the admin routes share.
import { badRequest } from '../errors.js';

export const idParams = {
  type: 'object',
  required: ['id'],
  additionalProperties: false,
  properties: { id: { type: 'integer', minimum: 1, maximum: Number.MAX_SAFE_INTEGER } },
} as const;

/** Why the admin acts: required for every change, kept in the audit trail. */
export const reason = { type: 'string', minLength: 1, maxLength: 1000 } as const;

export const reasonBody = {
  type: 'object',
  required: ['reason'],
  additionalProperties: false,
  properties: { reason },
} as const;

export interface ReasonBody {
  reason: string;
}

/** The reason, trimmed; blank is refused like missing. */
export function reasonOf(body: ReasonBody): string {
  const text = body.reason.trim();
  if (text === '') throw badRequest('reason', 'must say why (it is kept in the audit trail)');
  return text;
}
