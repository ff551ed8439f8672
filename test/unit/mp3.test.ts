import { describe, expect, it } from 'vitest';
import {
  checkMpegAudio,
  MAX_TONE_BYTES,
  MAX_TONE_DURATION_MS,
  type AudioCheck,
} from '../../functions/src/domain/notifications/mp3.js';
import { cbr, frame, frameLength, id3v1, id3v2, vbr, wav } from '../support/mp3.js';

const accepted = (check: AudioCheck) => {
  if (!check.ok) throw new Error(`refused: ${check.reason}: ${check.message}`);
  return check.audio;
};
const refusal = (check: AudioCheck) => (check.ok ? 'accepted' : check.reason);

describe('an uploaded tone is checked by its content (NOT-4)', () => {
  it('when a file is constant-bitrate MPEG-1 Layer III frames, then it is accepted and its duration is counted from the frames', () => {
    // 128 kbps at 44.1 kHz: 417 bytes and 1152 samples a frame.
    expect(frameLength()).toBe(417);
    const audio = accepted(checkMpegAudio(cbr(100)));
    expect(audio).toEqual({
      durationMs: Math.round((100 * 1152 * 1000) / 44100),
      frames: 100,
      sampleRate: 44100,
      version: 'MPEG-1',
      vbrHeader: null,
    });
  });

  it('when frames carry padding bytes, then each frame is measured with its own padding', () => {
    const padded = Buffer.concat([frame(), frame({ padding: true }), frame(), frame({ padding: true })]);
    expect(accepted(checkMpegAudio(padded)).frames).toBe(4);
  });

  it('when the file is MPEG-2 or MPEG-2.5 (576 samples a frame), then it is accepted with their sample rates', () => {
    const mpeg2 = accepted(
      checkMpegAudio(cbr(40, { version: 'MPEG-2', bitrateIndex: 8, sampleRateIndex: 0 })),
    );
    expect(mpeg2).toMatchObject({ version: 'MPEG-2', sampleRate: 22050, frames: 40 });
    expect(mpeg2.durationMs).toBe(Math.round((40 * 576 * 1000) / 22050));
    const mpeg25 = accepted(
      checkMpegAudio(cbr(10, { version: 'MPEG-2.5', bitrateIndex: 4, sampleRateIndex: 2, mono: true })),
    );
    expect(mpeg25).toMatchObject({ version: 'MPEG-2.5', sampleRate: 8000, durationMs: 720 });
  });

  it('when the file is variable-bitrate with a Xing frame, then the Xing frame is not counted as audio and every bitrate is followed', () => {
    const audio = accepted(checkMpegAudio(vbr([1, 5, 9, 14, 9, 5, 1])));
    expect(audio).toMatchObject({ frames: 7, vbrHeader: 'xing' });
    expect(audio.durationMs).toBe(Math.round((7 * 1152 * 1000) / 44100));
    expect(accepted(checkMpegAudio(vbr([9, 9], 2, 'Info'))).vbrHeader).toBe('info');
  });

  it('when a Xing frame declares fewer frames than the file has, then the duration is the frames present, so a long file cannot pass for a short one', () => {
    const long = vbr(
      Array.from({ length: 1200 }, () => 9),
      10,
    );
    expect(long.length).toBeLessThan(MAX_TONE_BYTES);
    expect(refusal(checkMpegAudio(long))).toBe('too_long');
  });

  it('when an ID3v2 tag comes first, then it is skipped by its size, and padding zeros after it too', () => {
    expect(accepted(checkMpegAudio(Buffer.concat([id3v2(300), cbr(5)]))).frames).toBe(5);
    expect(accepted(checkMpegAudio(Buffer.concat([id3v2(20), Buffer.alloc(50), cbr(5)]))).frames).toBe(5);
  });

  it('when an ID3v1 tag ends the file, or an APEv2 tag and then an ID3v1 tag, then it is accepted', () => {
    expect(accepted(checkMpegAudio(Buffer.concat([cbr(5), id3v1()]))).frames).toBe(5);
    const ape = Buffer.alloc(32 + 10);
    ape.write('TITLE=x', 0, 'latin1');
    ape.write('APETAGEX', 10, 'latin1');
    ape.writeUInt32LE(2000, 18);
    ape.writeUInt32LE(42, 22);
    expect(accepted(checkMpegAudio(Buffer.concat([cbr(5), ape.subarray(0, 42)]))).frames).toBe(5);
    expect(accepted(checkMpegAudio(Buffer.concat([cbr(5), ape.subarray(0, 42), id3v1()]))).frames).toBe(5);
  });

  it('when a WAV file is renamed .mp3, then it is refused as not MPEG audio, saying it is a WAV file', () => {
    const check = checkMpegAudio(wav());
    expect(check).toMatchObject({ ok: false, reason: 'not_mpeg_audio' });
    expect(check.ok || check.message).toBe('The file is not MPEG audio (.mp3): it is a WAV file.');
  });

  it('when the file is a PNG, text, or a Layer I/II or free-format stream, then it is refused as not MPEG audio', () => {
    const png = Buffer.concat([Buffer.from('\x89PNG\r\n\x1a\n', 'latin1'), Buffer.alloc(100)]);
    expect(checkMpegAudio(png)).toMatchObject({
      reason: 'not_mpeg_audio',
      message: expect.stringContaining('PNG'),
    });
    expect(checkMpegAudio(Buffer.from('hello, this is a tone'))).toMatchObject({
      reason: 'not_mpeg_audio',
      message: expect.stringContaining('text'),
    });
    const layerII = cbr(5);
    layerII[1] = 0xfd;
    expect(refusal(checkMpegAudio(layerII))).toBe('not_mpeg_audio');
    const freeFormat = cbr(5);
    freeFormat[2] = freeFormat[2]! & 0x0f;
    expect(refusal(checkMpegAudio(freeFormat))).toBe('not_mpeg_audio');
    const reservedRate = cbr(5);
    reservedRate[2] = reservedRate[2]! | 0x0c;
    expect(refusal(checkMpegAudio(reservedRate))).toBe('not_mpeg_audio');
  });

  it('when the last frame is cut short, then it is refused as truncated, and so is a file cut inside a header or its ID3 tag', () => {
    const whole = cbr(10);
    expect(checkMpegAudio(whole.subarray(0, whole.length - 100))).toMatchObject({
      reason: 'truncated',
      offset: 9 * 417,
    });
    expect(refusal(checkMpegAudio(whole.subarray(0, 9 * 417 + 2)))).toBe('truncated');
    expect(refusal(checkMpegAudio(id3v2(500).subarray(0, 200)))).toBe('truncated');
  });

  it('when bytes that are not a frame follow the frames, or a frame changes sample rate, then it is refused as corrupt', () => {
    expect(checkMpegAudio(Buffer.concat([cbr(5), Buffer.from('junk after the audio')]))).toMatchObject({
      reason: 'corrupt',
      offset: 5 * 417,
    });
    expect(refusal(checkMpegAudio(Buffer.concat([cbr(5), cbr(5, { sampleRateIndex: 1 })])))).toBe('corrupt');
  });

  it('when the file is empty, or only an ID3 tag, then it is refused for it', () => {
    expect(refusal(checkMpegAudio(Buffer.alloc(0)))).toBe('empty');
    expect(refusal(checkMpegAudio(id3v2()))).toBe('no_audio_frames');
  });

  it('when the audio lasts more than 30 s, then it is refused as too long; when the file is over 1,000,000 bytes, as too big', () => {
    const thirtySeconds = Math.floor((MAX_TONE_DURATION_MS / 1000) * (44100 / 1152));
    expect(accepted(checkMpegAudio(cbr(thirtySeconds))).durationMs).toBeLessThanOrEqual(MAX_TONE_DURATION_MS);
    expect(checkMpegAudio(cbr(thirtySeconds + 1))).toMatchObject({
      reason: 'too_long',
      message: 'The audio lasts 30.0 s; at most 30 s are accepted.',
    });
    // 320 kbps: 1044 bytes a frame, so 1,000,000 bytes come before 30 s.
    const big = cbr(958, { bitrateIndex: 14 });
    expect(big.length).toBeGreaterThan(MAX_TONE_BYTES);
    expect(refusal(checkMpegAudio(big))).toBe('too_big');
    expect(refusal(checkMpegAudio(big.subarray(0, 957 * 1044)))).toBe('accepted');
  });
});
