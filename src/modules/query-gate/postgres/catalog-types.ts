/**
 * Names of the `pg_catalog` types that attribute notation can reach: when no function `f` takes
 * `x`, PostgreSQL reads `(expr).f` (and `x.f` for a scalar `x`, such as the alias of
 * `unnest(…)` in FROM) as the cast of `x` to the type named `f`, skipping the cast allow-list:
 * `(t.name).regrole` looks the role up in the catalog. These are every type of `pg_catalog`
 * (array types `_int4…` and the catalogs' row types included), taken with `CATALOG_TYPES_SQL`
 * from PostgreSQL 15 and PGlite 0.5 (PostgreSQL 18); `catalog-types.test.ts` checks the list still covers the
 * servers the tests run on. Types of other schemas are out of reach because the executor runs
 * every query with `search_path = pg_catalog, pg_temp`, and no query can create a temporary
 * table (docs/query-gate.md, "PostgreSQL: the structural invariant").
 */
export const CATALOG_TYPES_SQL = `select distinct typname as name from pg_catalog.pg_type
  where typnamespace = 'pg_catalog'::regnamespace`;

const NAMES = `
  _aclitem _bit _bool _box _bpchar _bytea _char _cid _cidr _circle _cstring _date _datemultirange
  _daterange _float4 _float8 _gtsvector _inet _int2 _int2vector _int4 _int4multirange _int4range _int8
  _int8multirange _int8range _interval _json _jsonb _jsonpath _line _lseg _macaddr _macaddr8 _money
  _name _numeric _nummultirange _numrange _oid _oidvector _path _pg_aggregate _pg_aios _pg_am _pg_amop
  _pg_amproc _pg_attrdef _pg_attribute _pg_auth_members _pg_authid _pg_available_extension_versions
  _pg_available_extensions _pg_backend_memory_contexts _pg_cast _pg_class _pg_collation _pg_config
  _pg_constraint _pg_conversion _pg_cursors _pg_database _pg_db_role_setting _pg_default_acl _pg_depend
  _pg_description _pg_enum _pg_event_trigger _pg_extension _pg_file_settings _pg_foreign_data_wrapper
  _pg_foreign_server _pg_foreign_table _pg_group _pg_hba_file_rules _pg_ident_file_mappings _pg_index
  _pg_indexes _pg_inherits _pg_init_privs _pg_language _pg_largeobject _pg_largeobject_metadata
  _pg_locks _pg_lsn _pg_matviews _pg_namespace _pg_opclass _pg_operator _pg_opfamily _pg_parameter_acl
  _pg_partitioned_table _pg_policies _pg_policy _pg_prepared_statements _pg_prepared_xacts _pg_proc
  _pg_publication _pg_publication_namespace _pg_publication_rel _pg_publication_tables _pg_range
  _pg_replication_origin _pg_replication_origin_status _pg_replication_slots _pg_rewrite _pg_roles
  _pg_rules _pg_seclabel _pg_seclabels _pg_sequence _pg_sequences _pg_settings _pg_shadow _pg_shdepend
  _pg_shdescription _pg_shmem_allocations _pg_shmem_allocations_numa _pg_shseclabel _pg_snapshot
  _pg_stat_activity _pg_stat_all_indexes _pg_stat_all_tables _pg_stat_archiver _pg_stat_bgwriter
  _pg_stat_checkpointer _pg_stat_database _pg_stat_database_conflicts _pg_stat_gssapi _pg_stat_io
  _pg_stat_progress_analyze _pg_stat_progress_basebackup _pg_stat_progress_cluster
  _pg_stat_progress_copy _pg_stat_progress_create_index _pg_stat_progress_vacuum
  _pg_stat_recovery_prefetch _pg_stat_replication _pg_stat_replication_slots _pg_stat_slru _pg_stat_ssl
  _pg_stat_subscription _pg_stat_subscription_stats _pg_stat_sys_indexes _pg_stat_sys_tables
  _pg_stat_user_functions _pg_stat_user_indexes _pg_stat_user_tables _pg_stat_wal _pg_stat_wal_receiver
  _pg_stat_xact_all_tables _pg_stat_xact_sys_tables _pg_stat_xact_user_functions
  _pg_stat_xact_user_tables _pg_statio_all_indexes _pg_statio_all_sequences _pg_statio_all_tables
  _pg_statio_sys_indexes _pg_statio_sys_sequences _pg_statio_sys_tables _pg_statio_user_indexes
  _pg_statio_user_sequences _pg_statio_user_tables _pg_statistic _pg_statistic_ext
  _pg_statistic_ext_data _pg_stats _pg_stats_ext _pg_stats_ext_exprs _pg_subscription
  _pg_subscription_rel _pg_tables _pg_tablespace _pg_timezone_abbrevs _pg_timezone_names _pg_transform
  _pg_trigger _pg_ts_config _pg_ts_config_map _pg_ts_dict _pg_ts_parser _pg_ts_template _pg_type
  _pg_user _pg_user_mapping _pg_user_mappings _pg_views _pg_wait_events _point _polygon _record
  _refcursor _regclass _regcollation _regconfig _regdictionary _regnamespace _regoper _regoperator
  _regproc _regprocedure _regrole _regtype _text _tid _time _timestamp _timestamptz _timetz
  _tsmultirange _tsquery _tsrange _tstzmultirange _tstzrange _tsvector _txid_snapshot _uuid _varbit
  _varchar _xid _xid8 _xml aclitem any anyarray anycompatible anycompatiblearray
  anycompatiblemultirange anycompatiblenonarray anycompatiblerange anyelement anyenum anymultirange
  anynonarray anyrange bit bool box bpchar bytea char cid cidr circle cstring date datemultirange
  daterange event_trigger fdw_handler float4 float8 gtsvector index_am_handler inet int2 int2vector
  int4 int4multirange int4range int8 int8multirange int8range internal interval json jsonb jsonpath
  language_handler line lseg macaddr macaddr8 money name numeric nummultirange numrange oid oidvector
  path pg_aggregate pg_aios pg_am pg_amop pg_amproc pg_attrdef pg_attribute pg_auth_members pg_authid
  pg_available_extension_versions pg_available_extensions pg_backend_memory_contexts
  pg_brin_bloom_summary pg_brin_minmax_multi_summary pg_cast pg_class pg_collation pg_config
  pg_constraint pg_conversion pg_cursors pg_database pg_db_role_setting pg_ddl_command pg_default_acl
  pg_depend pg_dependencies pg_description pg_enum pg_event_trigger pg_extension pg_file_settings
  pg_foreign_data_wrapper pg_foreign_server pg_foreign_table pg_group pg_hba_file_rules
  pg_ident_file_mappings pg_index pg_indexes pg_inherits pg_init_privs pg_language pg_largeobject
  pg_largeobject_metadata pg_locks pg_lsn pg_matviews pg_mcv_list pg_namespace pg_ndistinct
  pg_node_tree pg_opclass pg_operator pg_opfamily pg_parameter_acl pg_partitioned_table pg_policies
  pg_policy pg_prepared_statements pg_prepared_xacts pg_proc pg_publication pg_publication_namespace
  pg_publication_rel pg_publication_tables pg_range pg_replication_origin pg_replication_origin_status
  pg_replication_slots pg_rewrite pg_roles pg_rules pg_seclabel pg_seclabels pg_sequence pg_sequences
  pg_settings pg_shadow pg_shdepend pg_shdescription pg_shmem_allocations pg_shmem_allocations_numa
  pg_shseclabel pg_snapshot pg_stat_activity pg_stat_all_indexes pg_stat_all_tables pg_stat_archiver
  pg_stat_bgwriter pg_stat_checkpointer pg_stat_database pg_stat_database_conflicts pg_stat_gssapi
  pg_stat_io pg_stat_progress_analyze pg_stat_progress_basebackup pg_stat_progress_cluster
  pg_stat_progress_copy pg_stat_progress_create_index pg_stat_progress_vacuum pg_stat_recovery_prefetch
  pg_stat_replication pg_stat_replication_slots pg_stat_slru pg_stat_ssl pg_stat_subscription
  pg_stat_subscription_stats pg_stat_sys_indexes pg_stat_sys_tables pg_stat_user_functions
  pg_stat_user_indexes pg_stat_user_tables pg_stat_wal pg_stat_wal_receiver pg_stat_xact_all_tables
  pg_stat_xact_sys_tables pg_stat_xact_user_functions pg_stat_xact_user_tables pg_statio_all_indexes
  pg_statio_all_sequences pg_statio_all_tables pg_statio_sys_indexes pg_statio_sys_sequences
  pg_statio_sys_tables pg_statio_user_indexes pg_statio_user_sequences pg_statio_user_tables
  pg_statistic pg_statistic_ext pg_statistic_ext_data pg_stats pg_stats_ext pg_stats_ext_exprs
  pg_subscription pg_subscription_rel pg_tables pg_tablespace pg_timezone_abbrevs pg_timezone_names
  pg_transform pg_trigger pg_ts_config pg_ts_config_map pg_ts_dict pg_ts_parser pg_ts_template pg_type
  pg_user pg_user_mapping pg_user_mappings pg_views pg_wait_events point polygon record refcursor
  regclass regcollation regconfig regdictionary regnamespace regoper regoperator regproc regprocedure
  regrole regtype table_am_handler text tid time timestamp timestamptz timetz trigger tsm_handler
  tsmultirange tsquery tsrange tstzmultirange tstzrange tsvector txid_snapshot unknown uuid varbit
  varchar void xid xid8 xml
`;

export const CATALOG_TYPES: ReadonlySet<string> = new Set(NAMES.split(/\s+/).filter(Boolean));
