import { createHmac, timingSafeEqual } from 'node:crypto';
import { forbidden } from '../domain/errors.js';

/**
 * Preview URLs of uploaded tones (NOT-4): a path an `<audio>` element plays with no header of its
 * own, so the proof is in the query: an HMAC-SHA256, with the api's preview key, over the tone, the
 * generation of its audio and an expiry. The same on the local stack as deployed (a Storage signed
 * URL would need a signing service account in production and is not checked by the local server).
 * A replaced tone's old URLs stop playing (their generation is gone); a URL lives PREVIEW_SECONDS.
 */
export const PREVIEW_SECONDS = 15 * 60;

export interface PreviewUrl {
  /** Relative to the api's URL. */
  url: string;
  expiresAt: string;
}

export interface PreviewProof {
  generation: string;
  expires: number;
  signature: string;
}

const signatureOf = (key: string, toneId: string, generation: string, expires: number) =>
  createHmac('sha256', key).update(`tone-preview\n${toneId}\n${generation}\n${expires}`, 'utf8').digest();

export function previewUrl(key: string, toneId: string, generation: string, now: Date): PreviewUrl {
  const expires = Math.floor(now.getTime() / 1000) + PREVIEW_SECONDS;
  const query = new URLSearchParams({
    generation,
    expires: String(expires),
    signature: signatureOf(key, toneId, generation, expires).toString('base64url'),
  });
  return {
    url: `/v1/notification-tones/${encodeURIComponent(toneId)}/audio?${query.toString()}`,
    expiresAt: new Date(expires * 1000).toISOString(),
  };
}

/** The 403 of a preview URL not signed with the key, or expired; nothing when it holds. */
export function checkPreview(key: string, toneId: string, proof: PreviewProof, now: Date): void {
  const given = Buffer.from(proof.signature, 'base64url');
  const expected = signatureOf(key, toneId, proof.generation, proof.expires);
  if (given.length !== expected.length || !timingSafeEqual(given, expected))
    throw forbidden('invalid_preview_signature', 'This preview URL is not valid.');
  if (proof.expires * 1000 <= now.getTime())
    throw forbidden('preview_expired', 'This preview URL has expired: list the tones for a new one.');
}
