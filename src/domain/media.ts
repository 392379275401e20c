/**
 * ffprobe's `field_order`: `progressive`, or interlaced with the field coded and the field
 * displayed first (`tt`, `bb`, `tb`, `bt`), or `unknown` when the stream does not say.
 */
export type FieldOrder = 'progressive' | 'tt' | 'bb' | 'tb' | 'bt' | 'unknown';

/** What a short `idet` pass measured, when the probe could not tell whether a video is interlaced. */
export interface InterlaceScan {
  /** Frames idet's multi-frame detection classified as each. */
  tff: number;
  bff: number;
  progressive: number;
  undetermined: number;
  interlaced: boolean;
  /** The field shown first, when interlaced. */
  parity: 'tff' | 'bff' | null;
}

/** What the probe learned about an input: the `input.metadata` of a job. */
export interface MediaMetadata {
  kind: 'video' | 'audio' | 'image';
  container: string;
  duration: number | null;
  width: number | null;
  height: number | null;
  /** Clockwise quarter turns (0, 90, 180, 270) that make the stored picture upright. */
  rotation: number;
  /**
   * After that rotation, mirror left-right (EXIF orientations 2, 4, 5, 7; a mirroring display
   * matrix). The probe always sets it; metadata stored by earlier versions lacks it (= false).
   */
  mirrored?: boolean;
  /** Average frame rate (frames over duration). */
  fps: number | null;
  /**
   * The highest rate the video runs at: differs from `fps` for variable-frame-rate sources
   * (a 30 fps part and a 10 fps part average 20). Outputs that need a constant rate use it.
   */
  peakFps: number | null;
  videoCodec: string | null;
  audioCodec: string | null;
  bitrate: number | null;
  hasAudio: boolean;
  hasVideo: boolean;
  pixelFormat: string | null;
  sampleAspectRatio: string | null;
  frameCount: number | null;
  /** The video and audio streams' own durations, when the container states them. */
  videoDuration?: number;
  audioDuration?: number;
  /**
   * Only for a source whose data ends early, processed with `onDamage: "warn"`: the duration
   * its header declares. `duration` (and the stream durations) are then what is really there.
   */
  declaredDuration?: number;
  /** null for audio and still images. */
  fieldOrder: FieldOrder | null;
  /** Present only when an `idet` pass ran (the field order was unknown and an output deinterlaces on `auto`). */
  interlaceScan?: InterlaceScan;
}

/** Width and height as a viewer sees them (rotation applied). */
export function displaySize(m: MediaMetadata): { width: number; height: number } | null {
  if (!m.width || !m.height) return null;
  const swap = Math.abs(m.rotation) % 180 === 90;
  return swap ? { width: m.height, height: m.width } : { width: m.width, height: m.height };
}
