import { describe, expect, it } from 'vitest';
import { characterCount, checkAgentMessage, initialsOf } from '../../functions/src/domain/chat/views.js';

describe("an agent's message (LCH-5)", () => {
  it('when it is counted, then each character a person sees counts once, however many code units it takes', () => {
    expect(characterCount('e\u0301')).toBe(1);
    expect(characterCount('👍🏽')).toBe(1);
    expect(characterCount('🇵🇱')).toBe(1);
    expect(characterCount('👩‍👩‍👧‍👦')).toBe(1);
    expect(characterCount('abc')).toBe(3);
  });

  it('when it has 1000 such characters it is sent; 1001 are refused, saying how many', () => {
    expect(checkAgentMessage('👩‍👩‍👧‍👦'.repeat(1000))).toBeNull();
    expect(checkAgentMessage('a'.repeat(1001))).toEqual({ problem: 'too_long', characters: 1001 });
  });

  it('when it holds < or >, then it is refused naming the character; when empty or blank, refused', () => {
    expect(checkAgentMessage('Dear <name>')).toEqual({ problem: 'reserved_character', character: '<' });
    expect(checkAgentMessage('a -> b')).toEqual({ problem: 'reserved_character', character: '>' });
    expect(checkAgentMessage('  ')).toEqual({ problem: 'empty' });
  });
});

describe("a customer's initials (LCH-3)", () => {
  it('are the first letters of the first and last words; a name without letters (a masked number) shows #', () => {
    expect(initialsOf('Melissa Jones')).toBe('MJ');
    expect(initialsOf('ada')).toBe('A');
    expect(initialsOf('Jean-Luc de la Tour')).toBe('JT');
    expect(initialsOf('*********7542')).toBe('#');
  });
});
