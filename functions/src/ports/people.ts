import type { Person, RoleDefinition } from '../domain/access/permissions.js';

export interface PeopleDirectory {
  getPerson(uid: string): Promise<Person | undefined>;
  /** Built-in and custom roles by id. */
  roles(): Promise<ReadonlyMap<string, RoleDefinition>>;
}

/** Who presented an ID token: verified by the identity platform, before any role is looked up. */
export interface VerifiedIdentity {
  uid: string;
  multiFactor: boolean;
}

export interface IdTokenVerifier {
  /** Throws `unauthenticated` when the token is missing, expired, forged or for another project. */
  verify(idToken: string): Promise<VerifiedIdentity>;
}
