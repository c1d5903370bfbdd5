/**
 * What a Postgres query may call (fail closed: anything not listed is refused). Every function
 * here is a built-in of `pg_catalog` that reads only its arguments: no files, settings, other
 * databases, sessions, sequences, large objects, sleeps or catalog lookups. Documented in
 * docs/query-gate.md.
 */
// biome-ignore format: a compact word list reads better than one name a line
export const POSTGRES_FUNCTIONS: ReadonlySet<string> = new Set([
  // aggregates
  'count', 'sum', 'avg', 'min', 'max', 'bool_and', 'bool_or', 'every', 'string_agg', 'array_agg', 'stddev',
  'stddev_pop', 'stddev_samp', 'variance', 'var_pop', 'var_samp', 'corr', 'covar_pop', 'covar_samp',
  'regr_avgx', 'regr_avgy', 'regr_count', 'regr_intercept', 'regr_r2', 'regr_slope', 'regr_sxx',
  'regr_sxy', 'regr_syy', 'percentile_cont', 'percentile_disc', 'mode', 'bit_and', 'bit_or', 'bit_xor',
  'json_agg', 'jsonb_agg', 'json_object_agg', 'jsonb_object_agg', 'any_value', 'grouping',
  // window functions
  'row_number', 'rank', 'dense_rank', 'percent_rank', 'cume_dist', 'ntile', 'lag', 'lead', 'first_value',
  'last_value', 'nth_value',
  // math
  'abs', 'ceil', 'ceiling', 'floor', 'round', 'trunc', 'sign', 'sqrt', 'cbrt', 'power', 'pow', 'exp', 'ln',
  'log', 'log10', 'mod', 'div', 'pi', 'degrees', 'radians', 'sin', 'cos', 'tan', 'asin', 'acos', 'atan',
  'atan2', 'sinh', 'cosh', 'tanh', 'width_bucket', 'gcd', 'lcm', 'scale', 'factorial', 'random',
 
  // strings
  'length', 'char_length', 'character_length', 'octet_length', 'bit_length', 'lower', 'upper', 'initcap',
  'btrim', 'ltrim', 'rtrim', 'lpad', 'rpad', 'substr', 'substring', 'position', 'strpos', 'overlay',
  'replace', 'translate', 'concat', 'concat_ws', 'left', 'right', 'reverse', 'repeat', 'split_part',
  'starts_with', 'format', 'ascii', 'chr', 'md5', 'sha224', 'sha256', 'sha384', 'sha512', 'encode',
  'decode', 'to_hex', 'regexp_replace', 'regexp_match', 'regexp_matches', 'regexp_split_to_array',
  'regexp_split_to_table', 'regexp_like', 'regexp_count', 'regexp_instr', 'regexp_substr',
  'string_to_array', 'string_to_table', 'array_to_string', 'quote_ident', 'quote_literal',
  'quote_nullable', 'like_escape', 'similar_to_escape', 'normalize', 'is_normalized', 'unistr', 'to_char',
  'to_number', 'to_date', 'to_timestamp',
  // date and time
  'now', 'clock_timestamp', 'statement_timestamp', 'transaction_timestamp', 'date_trunc', 'date_part',
  'extract', 'date_bin', 'age', 'make_date', 'make_time', 'make_timestamp', 'make_timestamptz',
  'make_interval', 'justify_days', 'justify_hours', 'justify_interval', 'isfinite', 'timezone', 'date_add',
  'date_subtract', 'overlaps',
  // conditional and comparison
  'num_nulls', 'num_nonnulls',
  // arrays
  'array_length', 'array_lower', 'array_upper', 'array_ndims', 'array_dims', 'cardinality',
  'array_position', 'array_positions', 'array_append', 'array_prepend', 'array_cat', 'array_remove',
  'array_replace', 'array_fill', 'trim_array', 'unnest', 'generate_series', 'generate_subscripts',
  // json
  'to_json', 'to_jsonb', 'row_to_json', 'array_to_json', 'json_build_object', 'jsonb_build_object',
  'json_build_array', 'jsonb_build_array', 'json_object', 'jsonb_object', 'json_extract_path',
  'jsonb_extract_path', 'json_extract_path_text', 'jsonb_extract_path_text', 'json_array_elements',
  'jsonb_array_elements', 'json_array_elements_text', 'jsonb_array_elements_text', 'json_each',
  'jsonb_each', 'json_each_text', 'jsonb_each_text', 'json_object_keys', 'jsonb_object_keys',
  'json_array_length', 'jsonb_array_length', 'json_typeof', 'jsonb_typeof', 'json_strip_nulls',
  'jsonb_strip_nulls', 'jsonb_set', 'jsonb_insert', 'jsonb_pretty', 'json_to_record', 'jsonb_to_record',
  'json_to_recordset', 'jsonb_to_recordset', 'jsonb_path_exists', 'jsonb_path_match', 'jsonb_path_query',
  'jsonb_path_query_array', 'jsonb_path_query_first',
  // full-text search
  'to_tsvector', 'to_tsquery', 'plainto_tsquery', 'phraseto_tsquery', 'websearch_to_tsquery', 'ts_rank',
  'ts_rank_cd', 'ts_headline', 'setweight',
  // misc
  'gen_random_uuid', 'nullif', 'coalesce', 'greatest', 'least',
]);

/**
 * Types a query may cast to (`x::T`, `CAST(x AS T)`, `T 'literal'`), with or without array
 * bounds. Input functions of these types parse their argument only; `reg*` types (catalog
 * lookups), `xml`, `pg_lsn`, `txid_snapshot` and the like are refused. Types of the domain's own
 * schemas (enums, domains) are allowed when written schema-qualified.
 */
// biome-ignore format: a compact word list reads better than one name a line
export const POSTGRES_TYPES: ReadonlySet<string> = new Set([
  'bool', 'boolean', 'int2', 'int4', 'int8', 'smallint', 'int', 'integer', 'bigint', 'float4', 'float8',
  'real', 'double precision', 'numeric', 'decimal', 'text', 'varchar', 'bpchar', 'char', 'character',
  'character varying', 'date', 'time', 'timetz', 'timestamp', 'timestamptz', 'interval', 'json', 'jsonb',
  'jsonpath', 'uuid', 'bytea', 'bit', 'varbit', 'money', 'inet', 'cidr', 'macaddr', 'tsvector', 'tsquery',
  'point', 'int4range', 'int8range', 'numrange', 'daterange', 'tsrange', 'tstzrange', 'name',
]);

/**
 * `SQLValueFunction`s a query may use: the clock only. CURRENT_USER, SESSION_USER, USER,
 * CURRENT_ROLE, CURRENT_CATALOG and CURRENT_SCHEMA describe the server, not the data.
 */
// biome-ignore format: a compact word list reads better than one name a line
export const POSTGRES_VALUE_FUNCTIONS: ReadonlySet<string> = new Set([
  'SVFOP_CURRENT_DATE', 'SVFOP_CURRENT_TIME', 'SVFOP_CURRENT_TIME_N', 'SVFOP_CURRENT_TIMESTAMP',
  'SVFOP_CURRENT_TIMESTAMP_N', 'SVFOP_LOCALTIME', 'SVFOP_LOCALTIME_N', 'SVFOP_LOCALTIMESTAMP',
  'SVFOP_LOCALTIMESTAMP_N',
]);
