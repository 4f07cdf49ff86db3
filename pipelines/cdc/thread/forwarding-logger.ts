// The logger change capture's thread writes to: each line goes to the main thread and out through
// the process's own logger, so its format, level and redaction of secrets are the process's.
import type { Logger } from '../../../core/log.js';
import { crossError } from '../../../core/threads/crossing-errors.js';
import type { FromThread } from './thread-protocol.js';

type Level = Extract<FromThread, { type: 'log' }>['level'];

export function forwardingLogger(post: (message: FromThread) => void, bindings: Record<string, unknown> = {}): Logger {
  const line = (level: Level) => (first: unknown, second?: unknown) => {
    const fields: Record<string, unknown> = {};
    let message = '';
    if (typeof first === 'string') message = first;
    else {
      // Errors lose their own fields when cloned: sent as what isRetriable and the log read.
      for (const [name, value] of Object.entries((first ?? {}) as Record<string, unknown>)) fields[name] = value instanceof Error ? crossError(value) : value;
      if (typeof second === 'string') message = second;
    }
    try {
      post({ type: 'log', level, bindings, fields, message });
    } catch {
      // A field that cannot cross (a function, a socket): the line still goes, without its fields.
      post({ type: 'log', level, bindings, fields: { fields: 'not serializable' }, message });
    }
  };
  const logger = {
    level: 'info',
    trace: () => undefined,
    debug: line('debug'),
    info: line('info'),
    warn: line('warn'),
    error: line('error'),
    fatal: line('error'),
    child: (more: Record<string, unknown>) => forwardingLogger(post, { ...bindings, ...more }),
    isLevelEnabled: () => true,
  };
  return logger as unknown as Logger;
}
