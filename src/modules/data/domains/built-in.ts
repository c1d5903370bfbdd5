/** The id of the domain every workspace has, so role scopes written before real domains keep working. */
export const BUILT_IN_DOMAIN_ID = 'default';
