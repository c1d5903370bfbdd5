import type { ListedUser } from './listing.ts';
import type { UserRow } from './queries/users.ts';

/**
 * What the User type's resolvers receive: a stored row (its related rows come from the request's
 * loaders), or a user of a listing, whose timestamps are already the API's text and whose related
 * rows are attached (src/modules/users/listing.ts).
 */
export type UserModel = StoredUser | ListedUser;

type StoredUser = UserRow & {
  readonly attributes?: undefined;
  readonly roleAssignments?: undefined;
  readonly groupIds?: undefined;
};
