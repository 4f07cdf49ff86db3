// Suspending and reinstating marketplace users. A suspended user's credentials stop working at
// once (the public API answers 403 for any account that is not active).
import { ConflictError } from '../../core/errors.js';
import { appendToOutbox } from '../domain/outbox.js';
import { withTransaction } from '../domain/transaction.js';
import type { Pool, PoolConnection } from '../mysql/connection.js';
import { recordAudit, type AuditAction } from './audit.js';
import { lockUser, type UserStatus } from './lock-user.js';

interface Transition {
  from: UserStatus;
  to: UserStatus;
  action: AuditAction;
  event: string;
}

const SUSPEND: Transition = { from: 'active', to: 'suspended', action: 'user.suspend', event: 'user.suspended' };
const REINSTATE: Transition = { from: 'suspended', to: 'active', action: 'user.reinstate', event: 'user.reinstated' };

export interface UserStatusChange {
  id: number;
  status: UserStatus;
  previous_status: UserStatus;
}

async function changeStatusWith(connection: PoolConnection, admin: string, userId: number, reason: string, transition: Transition): Promise<UserStatusChange> {
  const user = await lockUser(connection, userId);
  if (user.status !== transition.from) {
    throw new ConflictError(`user ${userId} is ${user.status}; only ${transition.from} users can be made ${transition.to}`);
  }
  await connection.query('UPDATE users SET status = ? WHERE id = ?', [transition.to, userId]);
  await appendToOutbox(connection, [{
    aggregateType: 'user', aggregateId: userId, type: transition.event,
    payload: { id: userId, user_id: userId, status: transition.to, previous_status: user.status, reason },
  }]);
  await recordAudit(connection, { admin, action: transition.action, targetType: 'user', targetId: userId, reason, details: { previous_status: user.status } });
  return { id: userId, status: transition.to, previous_status: user.status };
}

function changeStatus(pool: Pool, admin: string, userId: number, reason: string, transition: Transition): Promise<UserStatusChange> {
  return withTransaction(pool, (connection) => changeStatusWith(connection, admin, userId, reason, transition));
}

/** suspendUser inside the caller's transaction (the spam checks record their decision with it). */
export function suspendUserWith(connection: PoolConnection, admin: string, userId: number, reason: string): Promise<UserStatusChange> {
  return changeStatusWith(connection, admin, userId, reason, SUSPEND);
}

export function suspendUser(pool: Pool, admin: string, userId: number, reason: string): Promise<UserStatusChange> {
  return changeStatus(pool, admin, userId, reason, SUSPEND);
}

export function reinstateUser(pool: Pool, admin: string, userId: number, reason: string): Promise<UserStatusChange> {
  return changeStatus(pool, admin, userId, reason, REINSTATE);
}
