import { z } from 'zod';
import { authenticate, type PeopleDeps } from '../../app/authenticate.js';
import { authorizeOrThrow } from '../../app/supervision/deps.js';
import type { Actor } from '../../domain/access/permissions.js';
import { MAX_CURSOR_LENGTH } from '../../domain/supervision/cursors.js';
import type { RouteContext } from '../router.js';

/** The person behind a request's ID token, or a 401. */
export type Authenticate = (ctx: RouteContext) => Promise<Actor>;

export const byIdToken =
  (people: () => PeopleDeps): Authenticate =>
  (ctx) =>
    authenticate(people(), ctx.req.header('authorization'));

/** Settings routes: the permission is checked before the body is read, so a refusal reveals nothing of it. */
export async function settingsEditor(authenticated: Authenticate, ctx: RouteContext): Promise<Actor> {
  const actor = await authenticated(ctx);
  authorizeOrThrow(actor, { type: 'settings.edit' });
  return actor;
}

export const PageSize = z.coerce.number().int().min(1).max(100).default(25);
export const Cursor = z.string().min(1).max(MAX_CURSOR_LENGTH).optional();

/** The object without its undefined members: optional filters are left out rather than set to undefined. */
export const defined = <T extends Record<string, unknown>>(o: T) =>
  Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as {
    [K in keyof T]: Exclude<T[K], undefined>;
  };
