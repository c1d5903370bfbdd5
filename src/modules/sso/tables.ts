import type { ColumnType, Generated } from 'kysely';

type Timestamp = ColumnType<Date, Date | string | undefined, Date | string>;
type Json<T> = ColumnType<T, string | undefined, string>;

export interface StoredAttributeMapping {
  readonly claim: string;
  readonly attribute: string;
}
export interface StoredGroupMapping {
  readonly idpGroup: string;
  readonly groupId: string;
}
export interface StoredRoleAssignment {
  readonly roleId: string;
  readonly scopes: string[];
}

/** The sso module's tables (migration 0009_sso); only its queries.ts names them. */
export interface SsoTables {
  sso_settings: {
    workspace_id: string;
    jit_enabled: Generated<boolean>;
    default_role_assignments: Json<StoredRoleAssignment[]>;
    default_group_ids: Generated<string[]>;
    role_claims: Generated<string[]>;
    role_prefix: Generated<string>;
    group_mappings: Json<StoredGroupMapping[]>;
    updated_at: Timestamp;
  };
  sso_issuers: {
    id: string;
    workspace_id: string;
    name: string;
    discovery_url: string;
    client_id: string;
    client_auth: 'client_secret_basic' | 'client_secret_post' | 'private_key_jwt';
    client_secret_sealed: string | null;
    private_key_sealed: string | null;
    scopes: string[];
    attribute_mappings: Json<StoredAttributeMapping[]>;
    created_at: Timestamp;
    updated_at: Timestamp;
  };
  sso_identities: {
    issuer_id: string;
    subject: string;
    user_id: string;
    email: string;
    created_at: Timestamp;
    last_login_at: Timestamp;
  };
  sso_login_attempts: {
    state_hash: Uint8Array;
    issuer_id: string;
    browser_hash: Uint8Array;
    nonce: string;
    code_verifier: string;
    return_to: string;
    created_at: Timestamp;
    expires_at: Timestamp;
    /** Who started it (clientAddressBucket); null for rows from before it was kept. */
    client_bucket: string | null;
  };
}

declare module '../../db/schema.ts' {
  interface Database extends SsoTables {}
}
