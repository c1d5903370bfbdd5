import type { ColumnType } from 'kysely';

type Timestamp = ColumnType<Date, Date | string | undefined, Date | string>;
type NullableTimestamp = ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;

/** The web-sessions module's tables (migration 0009_sso); only its queries.ts names them. */
export interface WebSessionTables {
  web_sessions: {
    id: string;
    token_hash: Uint8Array;
    user_id: string;
    workspace_id: string;
    via: string;
    created_at: Timestamp;
    last_seen_at: Timestamp;
    idle_expires_at: Timestamp;
    absolute_expires_at: Timestamp;
    revoked_at: NullableTimestamp;
  };
  sign_in_links: {
    token_hash: Uint8Array;
    user_id: string;
    workspace_id: string;
    created_at: Timestamp;
    expires_at: Timestamp;
    used_at: NullableTimestamp;
  };
  sign_in_link_requests: {
    bucket: string;
    window_start: Timestamp;
    requests: number;
  };
}

declare module '../../db/schema.ts' {
  interface Database extends WebSessionTables {}
}
