import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { agentListing } from '../../functions/src/domain/supervision/agent-listing.js';
import {
  MAX_SEARCH_TOKEN_BYTES,
  MAX_SEARCH_TOKENS,
  searchKey,
  sessionListing,
  words,
} from '../../functions/src/domain/supervision/session-listing.js';
import { emptySession, type Session } from '../../functions/src/domain/sessions/session.js';

/** Names a careless client or an attacker may send: long, many words, marks, emoji, odd code units. */
const hostileName = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 400 }),
  fc.string({ unit: 'grapheme-composite', maxLength: 200 }),
  fc
    .array(fc.constantFrom('ﷺ', 'ﷻ', '㍻', 'ﬄ', '\uD800', '\uDC00', 'e\u0301\u0301\u0301', '👩🏽‍🚀', ' ', 'x'), {
      maxLength: 200,
    })
    .map((parts) => parts.join('')),
  fc
    .array(fc.string({ unit: fc.constantFrom('a', 'b', 'é', 'ß', 'ǆ'), minLength: 1, maxLength: 40 }), {
      maxLength: 100,
    })
    .map((parts) => parts.join(' ')),
);
const teamId = fc.stringMatching(/^[A-Za-z0-9][A-Za-z0-9._:@-]{0,127}$/);
const manyTeams = fc.uniqueArray(teamId, { maxLength: 300 });

const session = (consumerName: string, agentName: string): Session => ({
  ...emptySession('S-1'),
  consumer: { id: 'c-42', name: consumerName, anonymous: false },
  agent: { id: 'agent-7', name: agentName },
});

const utf8 = (tokens: string[]) => tokens.reduce((n, t) => n + Buffer.byteLength(t, 'utf8') + 1, 0);
const hasLoneSurrogate = (text: string) => /[\uD800-\uDFFF]/u.test(text);

describe('search tokens are bounded whatever the names and teams', () => {
  it('when names and teams are hostile, then a session or a person carries at most the bounded tokens and bytes, all well-formed text', () => {
    fc.assert(
      fc.property(hostileName, hostileName, manyTeams, (consumerName, agentName, teams) => {
        const listings = [
          sessionListing(session(consumerName, agentName), teams).searchTokens,
          agentListing({ uid: 'u-1', name: agentName, roleIds: ['agent'], teamIds: teams }).searchTokens,
        ];
        for (const tokens of listings) {
          expect(tokens.length).toBeLessThanOrEqual(MAX_SEARCH_TOKENS);
          expect(utf8(tokens)).toBeLessThanOrEqual(MAX_SEARCH_TOKEN_BYTES);
          expect(tokens.filter(hasLoneSurrogate)).toEqual([]);
          expect(new Set(tokens).size).toBe(tokens.length);
        }
      }),
      { numRuns: 300 },
    );
  });

  it('when a session has up to ten teams, then its ids and the first word of each name are found from every team and from all', () => {
    const fewTeams = fc.uniqueArray(fc.stringMatching(/^[a-z][a-z0-9-]{0,31}$/), { maxLength: 10 });
    fc.assert(
      fc.property(hostileName, hostileName, fewTeams, (consumerName, agentName, teams) => {
        const tokens = new Set(sessionListing(session(consumerName, agentName), teams).searchTokens);
        const queries = ['c-42', 'agent-7', words(consumerName)[0], words(agentName)[0]];
        for (const query of queries) {
          const key = query === undefined ? undefined : searchKey(query);
          if (key === undefined) continue;
          for (const scope of ['*', ...teams]) expect(tokens, `${scope}|${key}`).toContain(`${scope}|${key}`);
        }
      }),
      { numRuns: 300 },
    );
  });

  it('a name is found by each of its first six words and their prefixes, a seventh word is not searchable', () => {
    const name = 'Ada Augusta King Countess of Lovelace Byron';
    const tokens = sessionListing(session(name, 'Grace Hopper'), ['team-a']).searchTokens;
    for (const query of ['ada', 'augusta', 'aug', 'countess', 'of', 'lovelace', 'love', 'grace', 'hop'])
      expect(tokens, query).toContain(`team-a|${searchKey(query)}`);
    expect(tokens).not.toContain('team-a|byron');
  });

  it('when a character expands under NFKD, then its words are found as they read after folding', () => {
    const tokens = sessionListing(session('ﬄuent ﷺ', 'x'), []).searchTokens;
    expect(tokens).toContain('*|ffluent');
    expect(tokens).toContain(`*|${searchKey('صلى')}`);
  });

  it('when a customer name is a mobile number, then it is found by the whole number and not by a prefix', () => {
    const tokens = sessionListing(session('+447966197542', 'Grace Hopper'), ['team-a']).searchTokens;
    for (const query of ['+447966197542', '447966197542'])
      expect(tokens, query).toContain(`team-a|${searchKey(query)}`);
    for (const query of ['44', '447', '4479661975', '44796619754'])
      expect(tokens, query).not.toContain(`team-a|${searchKey(query)}`);
    expect(tokens, 'an ordinary name still by prefix').toContain(`team-a|${searchKey('hop')}`);
  });

  it('when a name holds a number or an address among words, then only the masked words lose their prefixes', () => {
    const tokens = new Set(
      sessionListing(session('Melissa Jones +44 7966 197542 melissa@gmail.com', 'x'), []).searchTokens,
    );
    for (const query of ['mel', 'melissa', 'jon', 'jones', '7966', '197542', 'melissa@gmail.com'])
      expect(tokens, query).toContain(`*|${searchKey(query)}`);
    for (const query of ['79', '796', '19', '1975', '19754'])
      expect(tokens, query).not.toContain(`*|${searchKey(query)}`);
  });
});
