// A restart's cost to the warehouse, run in a process of its own as a restart is: the folder
// opened, the marts looked at as the loader's start looks at them, and the refresh chDB gives
// every mart as it opens a folder (it keeps no refresh times across a restart), until every mart
// has refreshed since the open and none is running. With `asked`, each mart is also asked to
// refresh meanwhile, as the loader's start did until 2026-12-07. Prints one JSON line.
import { createWarehouseClient } from '../warehouse/client.js';
import { ensureMarts, MARTS, martTable } from '../warehouse/marts.js';

const [path, mode] = [process.argv[2]!, process.argv[3]];
const openedAt = Date.now();
const cpu = process.cpuUsage();
const client = createWarehouseClient({ path });
const failed = await ensureMarts(client, { refresh: false });
if (failed.length > 0) throw new Error(`marts failed: ${JSON.stringify(failed)}`);
if (mode === 'asked') for (const name of Object.keys(MARTS)) await client.command({ query: `SYSTEM REFRESH VIEW ${martTable(name)}` });
for (;;) {
  const states = await (await client.query({
    query: "SELECT status, toUnixTimestamp(last_success_time) AS success FROM system.view_refreshes WHERE database = 'marts'",
    format: 'JSONEachRow', clickhouse_settings: { output_format_json_quote_64bit_integers: 0 },
  })).json<{ status: string; success: number | null }>();
  // Refresh times are whole seconds: one that ended in the second of the open counts.
  if (states.length > 0 && states.every((s) => s.status !== 'Running' && (s.success ?? 0) >= Math.floor(openedAt / 1000))) break;
  await new Promise((r) => setTimeout(r, 100));
}
const used = process.cpuUsage(cpu);
process.stdout.write(`${JSON.stringify({ ms: Date.now() - openedAt, cpuMs: Math.round((used.user + used.system) / 1000), marts: Object.keys(MARTS).length })}\n`);
await client.close();
