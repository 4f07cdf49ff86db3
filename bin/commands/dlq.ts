import { UsageError } from '../../core/errors.js';
import { openBus } from '../../pipelines/bus/index.js';
import { listDeadLetters, replayDeadLetters } from '../../pipelines/consumers/dead-letter-tools.js';
import { parseOptions, wholeNumber } from '../args.js';
import type { Command } from '../cli.js';

const DEFAULT_MAX = 100;

export const dlqCommand: Command = {
  summary: "list a consumer group's dead letters, or replay them to their topics",
  usage: 'steveslist dlq list <group> [--max N] | steveslist dlq replay <group>',
  options: [{ flag: '--max N', help: 'list: at most N dead letters', default: DEFAULT_MAX }],
  examples: ['npx steveslist dlq list warehouse-loader --max 20', 'npx steveslist dlq replay warehouse-loader'],
  async run(context) {
    const { values, positionals } = parseOptions(context.args, { max: { type: 'string' } });
    const [action, group] = positionals;
    if ((action !== 'list' && action !== 'replay') || !group) throw new UsageError(`usage: ${dlqCommand.usage}`);
    const bus = await openBus(context.config, context.log);
    try {
      if (action === 'replay') {
        const count = await replayDeadLetters(bus, context.config.topicPrefix, group);
        process.stdout.write(`replayed ${count} dead letter(s) of ${group}\n`);
        return;
      }
      const letters = await listDeadLetters(bus, context.config.topicPrefix, group, wholeNumber('--max', values.max, DEFAULT_MAX, 1));
      for (const m of letters) {
        const h = m.headers;
        process.stdout.write(`${h['dlq.failed_at']}  ${h['dlq.topic']}/${h['dlq.partition']}@${h['dlq.offset']}  key=${m.key}  ${h['dlq.error.code']}: ${h['dlq.error']}\n`);
      }
      process.stdout.write(`${letters.length} dead letter(s) for ${group}\n`);
    } finally {
      await bus.close();
    }
  },
};
