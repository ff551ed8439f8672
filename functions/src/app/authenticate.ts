import { resolveActor, type Actor } from '../domain/access/permissions.js';
import { forbidden, unauthenticated } from '../domain/errors.js';
import type { IdTokenVerifier, PeopleDirectory } from '../ports/people.js';

export interface PeopleDeps {
  idTokens: IdTokenVerifier;
  people: PeopleDirectory;
}

/** From `Authorization: Bearer <ID token>` to a person with their permissions, or a 401/403. */
export async function authenticate(deps: PeopleDeps, authorization: string | undefined): Promise<Actor> {
  const match = /^Bearer\s+([A-Za-z0-9_.-]+)$/.exec(authorization ?? '');
  if (!match) throw unauthenticated('missing_bearer_token');
  const identity = await deps.idTokens.verify(match[1]!);
  const person = await deps.people.getPerson(identity.uid);
  if (!person) throw forbidden('not_a_member', 'You are signed in, but not a member of this support center.');
  return resolveActor(person, await deps.people.roles(), identity.multiFactor);
}
