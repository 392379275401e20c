import { join } from 'node:path';
import type { OutputSpec } from '../domain/job-spec.js';
import type { MediaMetadata } from '../domain/media.js';
import type { AudioOutputSpec } from '../domain/outputs/audio.spec.js';
import type { ClipsOutputSpec } from '../domain/outputs/clips.spec.js';
import type { Mp4OutputSpec } from '../domain/outputs/mp4.spec.js';
import type { Capabilities } from '../domain/ffmpeg.js';
import { audioOutputArgs } from './audio.args.js';
import { accurateEncodeArgs, clipsDeinterlace, secondsArg } from './clips.args.js';
import { clipFileName, planClips, type PlannedClip } from './clips.plan.js';
import { headArgs, inputArgs } from './common.args.js';
import { chain } from './deinterlace.js';
import { planFrame, type FramePlan } from './geometry.js';
import { mp4OutputArgs } from './mp4.args.js';

/**
 * Fusion: outputs of one job that read the whole source the same way share one ffmpeg
 * run. The input is demuxed and decoded once; every output gets its own filters and
 * encoders on the decoded frames (ffmpeg feeds one decoder's frames to every filtergraph
 * that reads that stream), so each output's argv after `-i` is the same shape as in its own
 * run and its files land in its own folder.
 */
export type FusableSpec = ClipsOutputSpec | Mp4OutputSpec | AudioOutputSpec;

/** Encoders at once in one run: more would hold many x264 lookahead buffers in memory together. */
export const MAX_FUSED_OUTPUTS = 4;

/**
 * Cut times go to the segment muxer and to `-force_key_frames` 1 ms early: both then pick
 * the first frame at or after the requested time, and float rounding of the printed time
 * cannot move a cut to the frame after it.
 */
const CUT_LEAD = 0.001;

/**
 * Whether an output can join a fused run on this input: accurate clips without explicit
 * ranges (one clip or a contiguous series, cut from one timeline), MP4 renditions (unless
 * they ask for chunks) and audio tracks of a video with a known duration. An output whose request is refused
 * (past the end, too many clips, no audio) stays on its own run, which reports the error.
 */
export function isFusable(spec: OutputSpec, meta: MediaMetadata): spec is FusableSpec {
  if (meta.kind !== 'video' || meta.duration === null || !(meta.duration > 0)) return false;
  switch (spec.type) {
    case 'clips':
      if (spec.mode !== 'accurate' || spec.ranges !== undefined) return false;
      try {
        planClips(spec, meta.duration);
        return true;
      } catch {
        return false;
      }
    case 'mp4':
      // An mp4 that asks for chunks runs alone: its chunks are runs of their own (docs/hls.md#chunking).
      return typeof spec.chunking !== 'object';
    case 'audio':
      return meta.hasAudio;
    default:
      return false;
  }
}

/**
 * The runs of a job, in order: each is the output indices it produces. Fusable outputs
 * join the first open group with room (at most MAX_FUSED_OUTPUTS, and one clips output, the
 * largest encode, a group); every other output is a run of its own. A run starts at the
 * position of its first output; a group of one is an ordinary run.
 */
export function planRuns(specs: OutputSpec[], meta: MediaMetadata): number[][] {
  const runs: number[][] = [];
  const groups: number[][] = [];
  specs.forEach((spec, i) => {
    if (!isFusable(spec, meta)) {
      runs.push([i]);
      return;
    }
    const group = groups.find((g) => g.length < MAX_FUSED_OUTPUTS && !(spec.type === 'clips' && g.some((j) => specs[j].type === 'clips')));
    if (group) group.push(i);
    else {
      const fresh = [i];
      groups.push(fresh);
      runs.push(fresh);
    }
  });
  return runs;
}

export interface FusedMember {
  spec: FusableSpec;
  /** The member's own scratch folder; its files are written here. */
  dir: string;
}

export type FusedOutput =
  | { type: 'clips'; spec: ClipsOutputSpec; dir: string; clips: PlannedClip[]; frame: FramePlan }
  | { type: 'mp4'; spec: Mp4OutputSpec; path: string }
  | { type: 'audio'; spec: AudioOutputSpec; path: string };

export interface FusedPlan {
  args: string[];
  /** Per member, in order: where its files land and what was planned for it. */
  outputs: FusedOutput[];
  /** Seconds of source the run covers, for progress (`out_time` is the furthest output's). */
  span: number;
}

export function buildFusedArgs(members: FusedMember[], meta: MediaMetadata, caps: Pick<Capabilities, 'encoders'>, inputPath: string): FusedPlan {
  const outputs: FusedOutput[] = [];
  const tails: string[][] = [];
  let span = 0;
  for (const { spec, dir } of members) {
    if (spec.type === 'clips') {
      const { args, clips, frame } = clipSeriesOutput(spec, meta, caps, dir);
      outputs.push({ type: 'clips', spec, dir, clips, frame });
      tails.push(args);
      span = Math.max(span, clips[clips.length - 1].end - clips[0].start);
    } else if (spec.type === 'mp4') {
      const path = join(dir, 'video.mp4');
      outputs.push({ type: 'mp4', spec, path });
      tails.push(mp4OutputArgs(spec, meta, caps, path));
      span = Math.max(span, meta.duration ?? 0);
    } else {
      const path = join(dir, `audio.${spec.format}`);
      outputs.push({ type: 'audio', spec, path });
      tails.push(audioOutputArgs(spec, meta, caps, path));
      span = Math.max(span, meta.duration ?? 0);
    }
  }
  return { args: [...headArgs(), ...inputArgs(inputPath), ...tails.flat()], outputs, span };
}

/**
 * Accurate clips from the decoded source: `trim`/`atrim` cut the requested range (the
 * timeline is shifted by exactly the start, as input seeking does in a clip's own run),
 * and a series goes through the segment muxer with a forced keyframe at every cut, so
 * each clip starts on the requested frame, as its own keyframe.
 */
export function clipSeriesOutput(
  spec: ClipsOutputSpec,
  meta: MediaMetadata,
  caps: Pick<Capabilities, 'encoders'>,
  dir: string,
): { args: string[]; clips: PlannedClip[]; frame: FramePlan } {
  const duration = meta.duration!;
  const raw = planClips(spec, duration);
  const clips = raw.map((c, i) => ({ ...c, file: clipFileName(i, raw.length) }));
  const frame = planFrame(meta, spec);
  const from = clips[0].start;
  const to = clips[clips.length - 1].end;
  const bounds = [...(from > 0 ? [`start=${secondsArg(from)}`] : []), ...(to < duration ? [`end=${secondsArg(to)}`] : [])].join(':');
  const shift = from > 0 ? `-${secondsArg(from)}/TB` : '';
  // Deinterlace after the trim: frames outside the clips are not worth filtering.
  const vf = chain(bounds ? `trim=${bounds}` : null, shift ? `setpts=PTS${shift}` : null, clipsDeinterlace(spec, meta).filter, frame.vf);
  const af = [...(bounds ? [`atrim=${bounds}`] : []), ...(shift ? [`asetpts=PTS${shift}`] : [])].join(',');
  const encode = accurateEncodeArgs(spec, meta, caps, vf, af);
  if (clips.length === 1) return { args: [...encode, '-movflags', '+faststart', '-f', 'mp4', join(dir, clips[0].file)], clips, frame };
  const cuts = clips.slice(1).map((c) => secondsArg(Math.max(0, c.start - from - CUT_LEAD))).join(',');
  const digits = clips[0].file.length - 'clip-.mp4'.length;
  const args = [
    ...encode,
    '-force_key_frames', cuts,
    // Without it the first clip starts at the encoder's B-frame delay (0.067 s at 30 fps)
    // instead of 0: the segment muxer shifts its negative DTS; mp4's edit list handles them.
    '-avoid_negative_ts', 'disabled',
    '-f', 'segment', '-segment_times', cuts, '-segment_start_number', '1', '-reset_timestamps', '1',
    '-segment_format', 'mp4', '-segment_format_options', 'movflags=+faststart',
    join(dir, `clip-%0${digits}d.mp4`),
  ];
  return { args, clips, frame };
}
