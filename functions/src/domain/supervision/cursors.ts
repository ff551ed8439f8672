import type { Cursor } from './session-listing.js';

/**
 * The `cursor` of a list page: opaque to clients, and read back only if it is one of ours, for this
 * list and these filters. A cursor holds a position (the last item's sort key and id), never a filter
 * or a scope: those come from the request and the caller every time, so a forged cursor can at most
 * start a page somewhere the caller could page to anyway. What is checked here is that the position
 * is well formed before it reaches a query (anything else would fail there, as a 500).
 */
export type ListName = 'sessions' | 'agents' | 'audit' | 'people';

type FilterValue = string | number | boolean | undefined;

const VERSION = 1;
/** Longest cursor text accepted: a sort key and a document id of the longest we accept, encoded. */
export const MAX_CURSOR_LENGTH = 8000;
const MAX_NAME_SORT = 1000;
const MAX_ID_BYTES = 1500;
const ISO_INSTANT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?Z$/;
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** A Firestore document id: at most 1,500 bytes, no slash, not `.`/`..`, not `__…__`. */
export function isDocumentId(id: string): boolean {
  return (
    id.length > 0 &&
    Buffer.byteLength(id, 'utf8') <= MAX_ID_BYTES &&
    !id.includes('/') &&
    id !== '.' &&
    id !== '..' &&
    !/^__.*__$/s.test(id) &&
    !LONE_SURROGATE.test(id)
  );
}

const isSortKey = (list: ListName, key: string) =>
  list === 'agents' || list === 'people'
    ? key.length <= MAX_NAME_SORT && !LONE_SURROGATE.test(key)
    : ISO_INSTANT.test(key) && Number.isFinite(Date.parse(key));

/** FNV-1a, 32 bits: tells one set of filters from another; not a secret, and needs none (see above). */
function fingerprint(list: ListName, filters: Readonly<Record<string, FilterValue>>): string {
  const canonical = JSON.stringify([
    list,
    Object.entries(filters)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)),
  ]);
  let hash = 0x811c9dc5;
  for (let i = 0; i < canonical.length; i++) {
    hash ^= canonical.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash.toString(36);
}

export function encodeListCursor(
  list: ListName,
  filters: Readonly<Record<string, FilterValue>>,
  position: Cursor,
): string {
  const payload = [VERSION, list, fingerprint(list, filters), position.sortKey, position.id];
  return Buffer.from(JSON.stringify(payload), 'utf8').toString('base64url');
}

/** The position in `text`, when it is a cursor this list gave for these filters; undefined otherwise. */
export function decodeListCursor(
  list: ListName,
  filters: Readonly<Record<string, FilterValue>>,
  text: string,
): Cursor | undefined {
  if (text.length > MAX_CURSOR_LENGTH || !/^[A-Za-z0-9_-]+$/.test(text)) return undefined;
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(text, 'base64url').toString('utf8'));
  } catch {
    return undefined;
  }
  if (!Array.isArray(value) || value.length !== 5) return undefined;
  const [version, name, print, sortKey, id] = value as unknown[];
  if (version !== VERSION || name !== list || print !== fingerprint(list, filters)) return undefined;
  if (typeof sortKey !== 'string' || typeof id !== 'string') return undefined;
  if (!isSortKey(list, sortKey) || !isDocumentId(id)) return undefined;
  return { sortKey, id };
}
