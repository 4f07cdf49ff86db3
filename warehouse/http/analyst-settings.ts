// Which settings an analyst's client may send with a query. ClickHouse's readonly=2 users may set
// anything but readonly; here an analyst may shape the output and tighten its own limits, and
// nothing else: a setting that widens what a query can reach or spend is refused by name.
import type { QueryLimits } from './warehouse-users.js';

const OUTPUT_SHAPING = /^(output_format_|format_|date_time_output_format$|session_timezone$|join_use_nulls$|log_comment$|max_block_size$|extremes$|aggregate_functions_null_for_empty$|use_client_time_zone$|enable_named_columns_in_function_tuple$)/;

/** output: what the client asked for its output; limits: the user's limits, tightened where the client asked. */
export type SettingsVerdict = { ok: true; output: Record<string, string>; limits: Record<string, string> } | { ok: false; setting: string; reason: string };

/** The settings to apply for an analyst's query: the client's, checked, with the user's limits on top. */
export function analystSettings(requested: Record<string, string>, limits: QueryLimits): SettingsVerdict {
  const settings: Record<string, string> = {};
  let maxRows = limits.maxResultRows;
  let maxSeconds = limits.maxExecutionSeconds;
  for (const [name, value] of Object.entries(requested)) {
    if (name === 'readonly') {
      // Clients that know they are read-only say so; analysts are read-only whatever they send.
      if (!['1', '2'].includes(value)) return { ok: false, setting: name, reason: 'analysts are read-only' };
    } else if (name === 'max_result_rows' || name === 'max_execution_time') {
      const n = Number(value);
      const limit = name === 'max_result_rows' ? limits.maxResultRows : limits.maxExecutionSeconds;
      if (!Number.isFinite(n) || n < 0) return { ok: false, setting: name, reason: `expected a number, got "${value}"` };
      if (n === 0 || n > limit) return { ok: false, setting: name, reason: `this user's limit is ${limit}` };
      if (name === 'max_result_rows') maxRows = n;
      else maxSeconds = n;
    } else if (name === 'result_overflow_mode') {
      // 'break' would cut a result silently; an analyst is told instead.
      if (value !== 'throw') return { ok: false, setting: name, reason: 'only throw is allowed' };
    } else if (OUTPUT_SHAPING.test(name)) {
      settings[name] = value;
    } else {
      return { ok: false, setting: name, reason: 'analysts may set output format settings and lower their own limits only' };
    }
  }
  return { ok: true, output: settings, limits: { max_result_rows: String(maxRows), result_overflow_mode: 'throw', max_execution_time: String(maxSeconds) } };
}
