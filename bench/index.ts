// `npm run bench`: throughput figures measured on this machine, printed as a table. Each bench
// runs against a private MariaDB started in a temp folder, like the tests.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { silentLogger } from '../core/log.js';
import { LocalMysqlServer } from '../marketplace/mysql/local-server.js';
import { analystBenches } from './analysts.js';
import { apiBenches } from './api.js';
import { backupBenches } from './backup.js';
import { busBenches } from './bus.js';
import { cdcBenches } from './cdc.js';
import { catchUpBenches } from './catch-up.js';
import { cdcStageBenches } from './cdc-stages.js';
import { dashboardBenches } from './dashboards.js';
import { debeziumBenches } from './debezium.js';
import { emailBenches } from './email.js';
import { gazetteerBenches } from './gazetteer.js';
import { listingCheckBenches } from './listing-checks.js';
import { topologyBenches } from './topology.js';
import { writeBenches } from './marketplace-writes.js';
import { restartBenches } from './restart.js';
import { searchBenches } from './search.js';
import { searchAlertBenches } from './search-alerts.js';
import { searchRelevanceBenches } from './search-relevance.js';
import { warehouseBenches } from './warehouse.js';
import { closeBenchWarehouse } from './warehouse-at-scale.js';
import { webhookBenches } from './webhooks.js';
import { printTable, type BenchResult } from './table.js';

const dir = mkdtempSync(join(tmpdir(), 'steveslist-bench-'));
const server = await LocalMysqlServer.open({ dataDir: join(dir, 'mysql'), log: silentLogger() });
const results: BenchResult[] = [];
try {
  const only = process.env.BENCH_ONLY;
  const benches = { writes: () => writeBenches(server), cdc: () => cdcBenches(server), 'cdc-stages': () => cdcStageBenches(server), bus: () => busBenches(), search: () => searchBenches(server), 'search-alerts': () => searchAlertBenches(server), 'listing-checks': () => listingCheckBenches(server), 'search-relevance': () => searchRelevanceBenches(), warehouse: () => warehouseBenches(server), analysts: () => analystBenches(server), webhooks: () => webhookBenches(server), email: () => emailBenches(server), gazetteer: () => gazetteerBenches(), api: () => apiBenches(server), backup: () => backupBenches(server), debezium: () => debeziumBenches(server), topology: () => topologyBenches(server), dashboards: () => dashboardBenches(server), restart: () => restartBenches(server), 'catch-up': () => catchUpBenches(server) };
  // Slow benches (minutes of an Evidence build) run only when named: BENCH_ONLY=dashboards.
  const onlyWhenNamed = new Set(['dashboards']);
  for (const [name, bench] of Object.entries(benches)) {
    if (only ? !only.split(',').includes(name) : onlyWhenNamed.has(name)) continue;
    for await (const result of bench()) {
      results.push(result);
      process.stderr.write(`  ${result.name}: ${Math.round(result.perSecond)} ${result.unit}/s\n`);
    }
  }
} finally {
  await closeBenchWarehouse();
  await server.stop();
  rmSync(dir, { recursive: true, force: true });
}
printTable(results);
