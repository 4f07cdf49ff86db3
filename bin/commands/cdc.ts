import { openBus } from '../../pipelines/bus/index.js';
import { startCdc } from '../../pipelines/cdc/index.js';
import type { Command } from '../cli.js';
import { runUntilSignal } from '../shutdown.js';
import { openDatabase } from './open-database.js';

export const cdcCommand: Command = {
  summary: 'run change capture alone: snapshot, then the binlog into the bus',
  usage: 'steveslist cdc',
  longRunning: true,
  async run(context) {
    const { config, log } = context;
    const db = await openDatabase(context, { connectionLimit: 1 });
    try {
      const bus = await openBus(config, log);
      const cdc = startCdc(config, bus, db.source.url, log);
      log.info({ bus: bus.kind }, 'change capture running; Ctrl-C stops it');
      return await runUntilSignal(log, async () => {
        await cdc.stop();
        await bus.close();
      }, cdc.done);
    } finally {
      await db.close();
    }
  },
};
