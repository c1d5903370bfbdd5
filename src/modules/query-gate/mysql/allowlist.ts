/**
 * What a MySQL/MariaDB query may call (fail closed: anything not listed is refused). Names are
 * compared in lower case. Nothing here reads files, settings, variables, other sessions or the
 * server's identity, sleeps, takes locks or writes. Documented in docs/query-gate.md.
 *
 * Every name must be a built-in on MySQL and on MariaDB alike: a name one server lacks
 * (`REGEXP_LIKE` on MariaDB) resolves to a stored function of the default database instead.
 */
// biome-ignore format: a compact word list reads better than one name a line
export const MYSQL_FUNCTIONS: ReadonlySet<string> = new Set([
  // aggregates
  'count', 'sum', 'avg', 'min', 'max', 'group_concat', 'std', 'stddev', 'stddev_pop', 'stddev_samp',
  'variance', 'var_pop', 'var_samp', 'bit_and', 'bit_or', 'bit_xor', 'json_arrayagg', 'json_objectagg',
  // window functions
  'row_number', 'rank', 'dense_rank', 'percent_rank', 'cume_dist', 'ntile', 'lag', 'lead', 'first_value',
  'last_value', 'nth_value',
  // math
  'abs', 'ceil', 'ceiling', 'floor', 'round', 'truncate', 'sign', 'sqrt', 'power', 'pow', 'exp', 'ln', 'log',
  'log2', 'log10', 'mod', 'pi', 'degrees', 'radians', 'sin', 'cos', 'tan', 'asin', 'acos', 'atan', 'atan2',
  'cot', 'rand', 'conv', 'crc32',
  // strings
  'length', 'char_length', 'character_length', 'octet_length', 'bit_length', 'lower', 'lcase', 'upper',
  'ucase', 'trim', 'ltrim', 'rtrim', 'lpad', 'rpad', 'substr', 'substring', 'substring_index', 'mid',
  'left', 'right', 'locate', 'instr', 'position', 'replace', 'concat', 'concat_ws', 'reverse', 'repeat',
  'space', 'insert', 'field', 'find_in_set', 'elt', 'format', 'ascii', 'ord', 'char', 'hex', 'unhex', 'md5',
  'sha1', 'sha2', 'to_base64', 'from_base64', 'quote', 'strcmp', 'soundex', 'regexp_replace',
  'regexp_substr', 'regexp_instr', 'convert',
  // date and time
  'now', 'current_date', 'current_time', 'current_timestamp', 'curdate', 'curtime', 'localtime',
  'localtimestamp', 'utc_date', 'utc_time', 'utc_timestamp', 'date', 'time', 'timestamp', 'year', 'quarter',
  'month', 'monthname', 'week', 'weekday', 'weekofyear', 'yearweek', 'day', 'dayofmonth', 'dayofweek',
  'dayofyear', 'dayname', 'hour', 'minute', 'second', 'microsecond', 'last_day', 'date_add', 'date_sub',
  'adddate', 'subdate', 'addtime', 'subtime', 'datediff', 'timediff', 'timestampdiff', 'timestampadd',
  'date_format', 'time_format', 'str_to_date', 'from_days', 'to_days', 'from_unixtime', 'unix_timestamp',
  'makedate', 'maketime', 'sec_to_time', 'time_to_sec', 'period_add', 'period_diff', 'convert_tz',
  // conditional
  'if', 'ifnull', 'nullif', 'coalesce', 'greatest', 'least', 'isnull', 'interval',
  // json
  'json_extract', 'json_unquote', 'json_object', 'json_array', 'json_contains', 'json_contains_path',
  'json_keys', 'json_length', 'json_type', 'json_valid', 'json_value', 'json_search', 'json_quote',
  // syntax the parser reports as functions
  'exists', 'all', 'any', 'some', 'row', 'not',
]);

/** Names the parser reports for CAST/CONVERT targets; every one is a plain value type. */
// biome-ignore format: a compact word list reads better than one name a line
export const MYSQL_TYPES: ReadonlySet<string> = new Set([
  'signed', 'unsigned', 'signed integer', 'unsigned integer', 'char', 'varchar', 'nchar', 'binary', 'date',
  'datetime', 'time', 'timestamp', 'decimal', 'double', 'float', 'real', 'json', 'int', 'integer', 'bigint',
  'year', 'text',
]);

/** Bare words the parser keeps as `origin` nodes inside TRIM(…) and the like. */
export const MYSQL_KEYWORDS: ReadonlySet<string> = new Set([
  'both',
  'leading',
  'trailing',
  'from',
  'for',
  'distinct',
  'all',
  'using',
  'in',
  // window frames: `ROWS BETWEEN 1 PRECEDING AND CURRENT ROW`
  'rows',
  'range',
  'current row',
  'unbounded preceding',
  'unbounded following',
  // GROUP BY … WITH ROLLUP
  'with rollup',
  // TIMESTAMPDIFF / TIMESTAMPADD units
  'microsecond',
  'second',
  'minute',
  'hour',
  'day',
  'week',
  'month',
  'quarter',
  'year',
]);
