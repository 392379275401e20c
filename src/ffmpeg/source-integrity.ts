import type { TruncationFacts } from '../domain/damage.js';
import { matroskaDeclaredEnd, looksLikeMatroska } from './matroska.inspect.js';
import { looksLikeIsoBmff, readTopLevelBoxes, trackExtents, type ReadAt } from './mp4-index.inspect.js';

/** An index larger than this is not read (a multi-hour movie's `moov` is a few MB). */
const MAX_INDEX_BYTES = 64 * 1024 * 1024;

/**
 * Whether the file's data ends before its container says it does, from the container's own
 * structure (MP4/MOV: box sizes and the sample index; Matroska/WebM: the Segment size).
 * Null when the file is whole as far as its structure tells, or its container declares no
 * size (MPEG-TS, raw streams …: for those only the real ffmpeg run can tell).
 */
export async function inspectTruncation(read: ReadAt, fileSize: number, head: Buffer): Promise<TruncationFacts | null> {
  if (looksLikeMatroska(head)) {
    const end = matroskaDeclaredEnd(head);
    return end !== null && end > fileSize ? { container: 'matroska', fileBytes: fileSize, declaredBytes: end, indexMissing: false, tracks: [] } : null;
  }
  if (!looksLikeIsoBmff(head)) return null;
  const layout = await readTopLevelBoxes(read, fileSize);
  const moov = layout.boxes.find((b) => b.type === 'moov');
  const facts = (declaredBytes: number, indexMissing: boolean, tracks: TruncationFacts['tracks'] = []): TruncationFacts | null =>
    declaredBytes > fileSize ? { container: 'mp4', fileBytes: fileSize, declaredBytes, indexMissing, tracks } : null;
  if (!moov || moov.size === null || moov.start + moov.size > fileSize) return facts(layout.declaredEnd, true);
  if (moov.size > MAX_INDEX_BYTES) return facts(layout.declaredEnd, false);
  let extents: ReturnType<typeof trackExtents> = [];
  try {
    extents = trackExtents(await read(moov.start, moov.size), fileSize);
  } catch {
    // An index we cannot follow: ffprobe decides whether the file is usable.
  }
  const media = extents.filter((t) => (t.handler === 'vide' || t.handler === 'soun') && t.samples > 0);
  // Fragmented files keep no samples in `moov`: their box sizes are all there is to go by.
  if (!media.length) return facts(layout.declaredEnd, false);
  const tracks = media.map((t) => ({
    kind: t.handler === 'vide' ? ('video' as const) : ('audio' as const),
    seconds: round3(t.seconds),
    completeSeconds: round3(t.completeSeconds),
    samples: t.samples,
    completeSamples: t.completeSamples,
  }));
  return facts(Math.max(...media.map((t) => t.dataEnd)), false, tracks);
}

const round3 = (x: number) => Math.round(x * 1000) / 1000;
