import type { DamageCounts } from '../domain/damage.js';

/** Demuxers finding the data ending before the container said it would. */
const TRUNCATION = [/\bpartial file\b/i, /\bFile ended prematurely\b/, /\bTruncating packet of size\b/, /\bmoov atom not found\b/];

/** One line per damaged frame: error concealment (h264, mpeg, …) and ffmpeg's own "corrupt decoded frame" (5.0+). */
const CONCEALED = /\bconcealing \d+ DC, \d+ AC, \d+ MV errors\b/;
const CORRUPT_FRAME = /\bcorrupt decoded frame\b/;
/** One line per packet the decoder refused (4.x/5.x, then 6.0+) or the demuxer flagged or could not read. */
const PACKET_ERRORS = [
  /^Error while decoding stream #/,
  /\bError submitting packet to decoder\b/,
  /\bDecoding error: /,
  /\bcorrupt input packet in stream\b/,
  /: Invalid data found when processing input$/,
];

/**
 * Counts damage signs in ffmpeg's log, one line at a time (the media runner hands every
 * stderr line to `onStderrLine`). A damaged frame may log several decoder lines; only the
 * one-per-frame and one-per-packet lines are counted, so the count is of frames and
 * packets, comparable across ffmpeg 4.x and 5.x (4.x has no "corrupt decoded frame").
 */
export class DamageTally {
  private truncation = 0;
  private concealed = 0;
  private corruptFrames = 0;
  private packetErrors = 0;
  private firstTruncation: string | null = null;
  private firstDecodeError: string | null = null;

  push(line: string): void {
    if (TRUNCATION.some((re) => re.test(line))) {
      this.truncation++;
      this.firstTruncation ??= cleanLine(line);
      return;
    }
    const concealed = CONCEALED.test(line);
    const corrupt = !concealed && CORRUPT_FRAME.test(line);
    const packet = !concealed && !corrupt && PACKET_ERRORS.some((re) => re.test(line));
    if (concealed) this.concealed++;
    if (corrupt) this.corruptFrames++;
    if (packet) this.packetErrors++;
    if (concealed || corrupt || packet) this.firstDecodeError ??= cleanLine(line);
  }

  counts(): DamageCounts {
    return {
      truncation: this.truncation,
      // ffmpeg 5.x logs both lines for the same frame; 4.x only the decoder's.
      decodeErrors: Math.max(this.concealed, this.corruptFrames) + this.packetErrors,
      firstTruncation: this.firstTruncation,
      firstDecodeError: this.firstDecodeError,
    };
  }
}

/** Several runs over the same source (one output's runs, or a run and its poster): the worst of each. */
export function worstDamage(all: DamageCounts[]): DamageCounts {
  const pick = (key: 'truncation' | 'decodeErrors') => all.reduce<DamageCounts | null>((best, c) => (!best || c[key] > best[key] ? c : best), null);
  const t = pick('truncation');
  const d = pick('decodeErrors');
  return {
    truncation: t?.truncation ?? 0,
    decodeErrors: d?.decodeErrors ?? 0,
    firstTruncation: all.find((c) => c.firstTruncation)?.firstTruncation ?? null,
    firstDecodeError: all.find((c) => c.firstDecodeError)?.firstDecodeError ?? null,
  };
}

/** A log line fit to quote to a user: no file paths, no memory addresses, not too long. */
export function cleanLine(line: string): string {
  return line
    .replace(/ @ 0x[0-9a-f]+\]/gi, ']')
    .replace(/(^|[\s'"(])\/[^\s:'"]+/g, '$1<input>')
    .trim()
    .slice(0, 160);
}
