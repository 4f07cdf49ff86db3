// Which settings an analyst's client may send with a query. ClickHouse's readonly=2 users may set
// anything but readonly; here an analyst may shape the output and tighten its own limits, and
// nothing else: a setting that widens what a query can reach or spend is refused by name.
import type { QueryLimits } from './warehouse-users.js';

/**
 * Settings that only shape output, named one by one: format settings as a family include file
 * paths (format_template_row, format_schema, output_format_schema) and URLs
 * (format_avro_schema_registry_url), which read, write and fetch on the server.
 */
const OUTPUT_SHAPING = new Set([
  'output_format_json_quote_64bit_integers', 'output_format_json_quote_64bit_floats', 'output_format_json_quote_denormals',
  'output_format_json_quote_decimals', 'output_format_json_escape_forward_slashes', 'output_format_json_named_tuples_as_objects',
  'output_format_json_array_of_rows', 'output_format_json_validate_utf8', 'output_format_write_statistics',
  'output_format_pretty_max_rows', 'output_format_pretty_max_column_pad_width', 'output_format_pretty_max_value_width',
  'output_format_pretty_color', 'output_format_pretty_grid_charset', 'output_format_pretty_row_numbers',
  'output_format_arrow_compression_method', 'output_format_arrow_string_as_string', 'output_format_arrow_low_cardinality_as_dictionary',
  'output_format_parquet_compression_method', 'output_format_parquet_string_as_string', 'output_format_parquet_row_group_size',
  'output_format_csv_crlf_end_of_line', 'output_format_tsv_crlf_end_of_line', 'output_format_decimal_trailing_zeros',
  'output_format_native_encode_types_in_binary_format', 'output_format_binary_encode_types_in_binary_format',
  'format_csv_delimiter', 'format_csv_null_representation', 'format_tsv_null_representation',
  'date_time_output_format', 'session_timezone', 'join_use_nulls', 'log_comment', 'extremes',
  'aggregate_functions_null_for_empty', 'use_client_time_zone',
]);


export type SettingsVerdict = { ok: true; output: Record<string, string>; limits: { maxRows: number; timeoutSeconds: number } } | { ok: false; setting: string; reason: string };

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
    } else if (OUTPUT_SHAPING.has(name)) {
      settings[name] = value;
    } else {
      return { ok: false, setting: name, reason: 'analysts may set output format settings and lower their own limits only' };
    }
  }
  return { ok: true, output: settings, limits: { maxRows, timeoutSeconds: maxSeconds } };
}
