import { z } from 'zod';

/**
 * Reserved data properties and the profile flags they become (RDP-1, RDP-2, RDP-4). The platform
 * sends what it knows of the end user as metadata: from the SDK (at session start or later), from the
 * Apps API, from SIP headers, or from a virtual agent that verified them. Three keys are reserved;
 * each becomes a flag the agent sees, with where it came from. The last writer in the platform's
 * event order wins, and every change is kept with its source, time and old and new values.
 */
/** `smart_action`: the consumer verified their identity on their device when the agent asked (SMA-1). */
export const PROFILE_SOURCES = ['sdk', 'api', 'sip', 'virtual_agent', 'smart_action'] as const;
export const ProfileSource = z.enum(PROFILE_SOURCES);
export type ProfileSource = z.infer<typeof ProfileSource>;

export interface ProfileFlag {
  value: boolean;
  source: ProfileSource;
  /** The platform's sequence of the event that set it: the order that decides between writers. */
  sequence: number;
  at: string;
}

export const PROFILE_FLAG_NAMES = ['verifiedCustomer', 'badActor', 'repeatCustomer'] as const;
export type ProfileFlagName = (typeof PROFILE_FLAG_NAMES)[number];

export interface SessionProfile {
  verifiedCustomer?: ProfileFlag;
  badActor?: ProfileFlag;
  repeatCustomer?: ProfileFlag;
}

/** The reserved metadata keys, and the flag each one sets. */
export const RESERVED_PROPERTIES: ReadonlyMap<string, ProfileFlagName> = new Map([
  ['reserved_verified_customer', 'verifiedCustomer'],
  ['reserved_bad_actor', 'badActor'],
  ['reserved_repeat_customer', 'repeatCustomer'],
]);

const RESERVED_PREFIX = 'reserved_';

/** One change of a flag, as the session's history keeps it. */
export interface ProfileChange {
  flag: ProfileFlagName;
  /** The value before; null when the flag had never been set. */
  from: boolean | null;
  to: boolean;
  source: ProfileSource;
  /** Who set it, where the platform says (a virtual agent's or an app's id). */
  by: string | null;
  sequence: number;
  eventId: string;
  at: string;
}

/**
 * A session keeps this many changes (the newest); its events keep them all. Only a change of value or
 * source counts, so three flags reach it only by being flipped back and forth on purpose.
 */
export const MAX_PROFILE_CHANGES_KEPT = 200;

const MAX_METADATA_KEYS = 50;
const MAX_METADATA_TEXT = 1000;

/**
 * Keys become Firestore field names: letters, digits, `_` and `-`, starting with a letter or digit
 * (never `__…__`, which Firestore reserves), bounded.
 */
const KEY_RULE = 'keys must be 1-64 letters, digits, _ or - (starting with a letter or digit)';
// The schemas in z.lazy are built on their first parse, not when a function starts: most functions
// never parse them, or not before their first answer.
const MetadataKey = z.lazy(() => z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/, KEY_RULE));
const MetadataValue = z.lazy(() =>
  z.union([
    z.boolean(),
    z.number().min(-Number.MAX_SAFE_INTEGER).max(Number.MAX_SAFE_INTEGER),
    z
      .string()
      .max(MAX_METADATA_TEXT)
      .regex(/^\P{Cs}*$/u, 'must be text (no lone surrogate)'),
  ]),
);

export type MetadataValue = z.infer<typeof MetadataValue>;

const VALUE_RULE = `values must be true, false, a number of at most 2^53 - 1 either way, or a text of at most ${MAX_METADATA_TEXT} characters (no lone surrogate)`;
const RESERVED_KEY_RULE = `only ${[...RESERVED_PROPERTIES.keys()].join(', ')} may start with ${RESERVED_PREFIX}`;
const RESERVED_VALUE_RULE = 'reserved properties must be true or false';

/** The rule a key and its value break, if any. */
function brokenMetadataRule(key: string, value: unknown): string | undefined {
  if (!MetadataKey.safeParse(key).success) return KEY_RULE;
  if (!MetadataValue.safeParse(value).success) return VALUE_RULE;
  if (!key.startsWith(RESERVED_PREFIX)) return undefined;
  if (!RESERVED_PROPERTIES.has(key)) return RESERVED_KEY_RULE;
  return typeof value === 'boolean' ? undefined : RESERVED_VALUE_RULE;
}

/**
 * Metadata as the platform sends it: at most 50 keys; the reserved ones (and only the three known ones
 * may start with `reserved_`) are true or false. A caller's keys may be personal data (an e-mail
 * address as a key), so a problem names the rule broken and how many keys break it, never a key; the
 * count is checked first, so a flood of keys is one problem, not one per key. The record after the
 * check is what the published schema shows, and it never fails once the check has passed.
 */
export const Metadata = z
  .transform((input: unknown, ctx) => {
    if (typeof input !== 'object' || input === null || Array.isArray(input)) {
      ctx.issues.push({ code: 'invalid_type', expected: 'record', input, message: 'must be an object' });
      return z.NEVER;
    }
    const entries = Object.entries(input);
    if (entries.length > MAX_METADATA_KEYS) {
      ctx.issues.push({ code: 'custom', input, message: `at most ${MAX_METADATA_KEYS} keys` });
      return z.NEVER;
    }
    const keysBreaking = new Map<string, number>();
    for (const [key, value] of entries) {
      const rule = brokenMetadataRule(key, value);
      if (rule !== undefined) keysBreaking.set(rule, (keysBreaking.get(rule) ?? 0) + 1);
    }
    for (const [rule, count] of keysBreaking)
      ctx.issues.push({
        code: 'custom',
        input,
        message: `${rule} (${count === 1 ? 'one key does not' : `${count} keys do not`})`,
      });
    return input;
  })
  .pipe(z.record(MetadataKey, MetadataValue));
export type Metadata = Record<string, MetadataValue>;

/** The reserved properties among `metadata`, as the flags they set. */
function reservedFlagsOf(metadata: Metadata): [ProfileFlagName, boolean][] {
  return [...RESERVED_PROPERTIES].flatMap(([key, flag]) => {
    const value = Object.hasOwn(metadata, key) ? metadata[key] : undefined;
    return typeof value === 'boolean' ? [[flag, value] as [ProfileFlagName, boolean]] : [];
  });
}

/** The keys of `metadata` that are not reserved: what the session keeps as the SDK's metadata. */
function otherMetadataOf(metadata: Metadata): Metadata {
  return Object.fromEntries(Object.entries(metadata).filter(([key]) => !key.startsWith(RESERVED_PREFIX)));
}

export interface ProfileWrite {
  source: ProfileSource;
  by: string | null;
  metadata: Metadata;
  sequence: number;
  eventId: string;
  at: string;
}

export interface ProfileState {
  profile: SessionProfile;
  metadata: Metadata;
  profileHistory: ProfileChange[];
}

/**
 * Applies one write at the end of the fold order: each reserved property sets its flag (a write that
 * changes neither value nor source leaves the flag and the history as they were); the SDK's other keys,
 * when it sent any, replace the metadata kept.
 */
export function applyProfileWrite(state: ProfileState, write: ProfileWrite): ProfileState {
  const profile: SessionProfile = { ...state.profile };
  const changes: ProfileChange[] = [];
  for (const [flag, value] of reservedFlagsOf(write.metadata)) {
    const before = profile[flag];
    if (before && before.value === value && before.source === write.source) continue;
    profile[flag] = { value, source: write.source, sequence: write.sequence, at: write.at };
    changes.push({
      flag,
      from: before ? before.value : null,
      to: value,
      source: write.source,
      by: write.by,
      sequence: write.sequence,
      eventId: write.eventId,
      at: write.at,
    });
  }
  const others = write.source === 'sdk' ? otherMetadataOf(write.metadata) : {};
  return {
    profile,
    metadata: Object.keys(others).length > 0 ? others : state.metadata,
    profileHistory:
      changes.length > 0
        ? [...state.profileHistory, ...changes].slice(-MAX_PROFILE_CHANGES_KEPT)
        : state.profileHistory,
  };
}

/** What an agent or a supervisor sees of the profile (RDP-2): one entry per flag shown. */
export const SHOWN_FLAGS = ['verified', 'unverified', 'bad_actor', 'repeat_customer'] as const;
export type ShownFlag = (typeof SHOWN_FLAGS)[number];

export interface ShownProfileFlag {
  flag: ShownFlag;
  label: string;
  source: ProfileSource;
  sourceLabel: string;
  since: string;
}

const SOURCE_LABELS: Readonly<Record<ProfileSource, string>> = {
  sdk: 'SDK',
  api: 'Apps API',
  sip: 'SIP header',
  virtual_agent: 'Virtual agent',
  smart_action: 'Identity verification',
};

/**
 * Verified or unverified whenever the platform said either; bad actor and repeat customer only when
 * true (false is the absence of the flag).
 */
export function shownProfileFlags(profile: SessionProfile): ShownProfileFlag[] {
  const shown = (flag: ShownFlag, label: string, from: ProfileFlag): ShownProfileFlag => ({
    flag,
    label,
    source: from.source,
    sourceLabel: SOURCE_LABELS[from.source],
    since: from.at,
  });
  const { verifiedCustomer, badActor, repeatCustomer } = profile;
  return [
    ...(verifiedCustomer
      ? [
          verifiedCustomer.value
            ? shown('verified', 'Verified customer', verifiedCustomer)
            : shown('unverified', 'Unverified customer', verifiedCustomer),
        ]
      : []),
    ...(badActor?.value ? [shown('bad_actor', 'Bad actor', badActor)] : []),
    ...(repeatCustomer?.value ? [shown('repeat_customer', 'Repeat customer', repeatCustomer)] : []),
  ];
}

/** The reserved properties as the Apps API reads them back: null for one never sent. */
export function reservedPropertiesOf(profile: SessionProfile) {
  return {
    reserved_verified_customer: profile.verifiedCustomer?.value ?? null,
    reserved_bad_actor: profile.badActor?.value ?? null,
    reserved_repeat_customer: profile.repeatCustomer?.value ?? null,
  };
}
