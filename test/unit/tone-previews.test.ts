import { describe, expect, it } from 'vitest';
import { AppError } from '../../functions/src/domain/errors.js';
import { checkPreview, PREVIEW_SECONDS, previewUrl } from '../../functions/src/http/tone-previews.js';

/** Preview URLs of uploaded tones (NOT-4): signed for one tone's one audio, for a short while. */
const KEY = 'preview-key-0123456789abcdef0123456789';
const NOW = new Date('2026-12-03T10:00:00.000Z');

function proofOf(url: string) {
  const query = new URL(url, 'https://api.example').searchParams;
  return {
    generation: query.get('generation')!,
    expires: Number(query.get('expires')),
    signature: query.get('signature')!,
  };
}

const reasonOf = (check: () => void) => {
  try {
    check();
    return 'valid';
  } catch (error) {
    return ((error as AppError).details as { reason: string }).reason;
  }
};

describe('tone preview URLs (NOT-4)', () => {
  it('when a URL is made for a tone, then it plays that tone until it expires, and not after', () => {
    const { url, expiresAt } = previewUrl(KEY, 'tone-1', '1700', NOW);
    const proof = proofOf(url);

    expect(url.startsWith('/v1/notification-tones/tone-1/audio?generation=1700&expires=')).toBe(true);
    expect(expiresAt).toBe(new Date(NOW.getTime() + PREVIEW_SECONDS * 1000).toISOString());
    expect(reasonOf(() => checkPreview(KEY, 'tone-1', proof, NOW))).toBe('valid');
    expect(reasonOf(() => checkPreview(KEY, 'tone-1', proof, new Date(expiresAt)))).toBe('preview_expired');
  });

  it('when any part of the URL is changed, or another key checks it, then it is refused as not valid', () => {
    const proof = proofOf(previewUrl(KEY, 'tone-1', '1700', NOW).url);

    expect(reasonOf(() => checkPreview(KEY, 'tone-2', proof, NOW))).toBe('invalid_preview_signature');
    expect(reasonOf(() => checkPreview(KEY, 'tone-1', { ...proof, generation: '1701' }, NOW))).toBe(
      'invalid_preview_signature',
    );
    expect(
      reasonOf(() => checkPreview(KEY, 'tone-1', { ...proof, expires: proof.expires + 3600 }, NOW)),
    ).toBe('invalid_preview_signature');
    expect(reasonOf(() => checkPreview(`${KEY}x`, 'tone-1', proof, NOW))).toBe('invalid_preview_signature');
    expect(reasonOf(() => checkPreview(KEY, 'tone-1', { ...proof, signature: 'A'.repeat(43) }, NOW))).toBe(
      'invalid_preview_signature',
    );
  });
});
