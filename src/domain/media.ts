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
  fps: number | null;
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
}

/** Width and height as a viewer sees them (rotation applied). */
export function displaySize(m: MediaMetadata): { width: number; height: number } | null {
  if (!m.width || !m.height) return null;
  const swap = Math.abs(m.rotation) % 180 === 90;
  return swap ? { width: m.height, height: m.width } : { width: m.width, height: m.height };
}
