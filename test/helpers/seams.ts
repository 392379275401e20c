import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const run = promisify(execFile);

/**
 * ffprobe checks that a stitched output has no seam: what the chunking tests
 * (test/integration/hls-chunked.test.ts, mp4-chunked.test.ts) ask of every join.
 */

export interface StreamPackets {
  codecType: 'video' | 'audio';
  /** Ticks per second of the stream's time base. */
  timescale: number;
  packets: Array<{ pts: number; dts: number; duration: number; key: boolean }>;
}

async function probe(path: string, args: string[]): Promise<any> {
  const { stdout } = await run('ffprobe', ['-v', 'error', ...args, '-of', 'json', path], { maxBuffer: 256 * 1024 * 1024 });
  return JSON.parse(stdout);
}

/** Every packet of the file's first video and first audio stream (`ffprobe -show_packets`). */
export async function streamPackets(path: string): Promise<{ video: StreamPackets | null; audio: StreamPackets | null }> {
  const raw = await probe(path, ['-show_entries', 'stream=index,codec_type,time_base:packet=stream_index,pts,dts,duration,flags']);
  const pick = (type: 'video' | 'audio'): StreamPackets | null => {
    const s = (raw.streams as any[]).find((x) => x.codec_type === type);
    if (!s) return null;
    const [num, den] = String(s.time_base).split('/').map(Number);
    const packets = (raw.packets as any[])
      .filter((p) => p.stream_index === s.index)
      .map((p) => ({ pts: Number(p.pts), dts: Number(p.dts), duration: Number(p.duration), key: String(p.flags).startsWith('K') }));
    return { codecType: type, timescale: den / num, packets };
  };
  return { video: pick('video'), audio: pick('audio') };
}

/** Frames a decoder really gets from the first stream of a type (`-count_frames`). */
export async function decodedFrames(path: string, type: 'v' | 'a'): Promise<number> {
  const raw = await probe(path, ['-count_frames', '-select_streams', `${type}:0`, '-show_entries', 'stream=nb_read_frames']);
  return Number(raw.streams[0].nb_read_frames);
}

/** The stream's duration, or the file's where the container keeps none per stream (Matroska). */
export async function streamDuration(path: string, type: 'v' | 'a'): Promise<number> {
  const raw = await probe(path, ['-select_streams', `${type}:0`, '-show_entries', 'stream=duration:format=duration']);
  const own = Number(raw.streams[0].duration);
  return Number.isFinite(own) ? own : Number(raw.format.duration);
}

export async function streamStart(path: string, type: 'v' | 'a'): Promise<number> {
  const raw = await probe(path, ['-select_streams', `${type}:0`, '-show_entries', 'stream=start_time']);
  return Number(raw.streams[0].start_time);
}

/**
 * No seam in the video: decode timestamps strictly increase, and the presentation
 * timestamps, in order, step by exactly one frame from the first to the last — a gap, an
 * overlap or a repeated frame at a join would break the step. Returns the frame step (ticks).
 */
export function assertVideoContinuous(s: StreamPackets, fps: number, what: string): number {
  const step = s.timescale / fps;
  for (let k = 1; k < s.packets.length; k++) assert.ok(s.packets[k].dts > s.packets[k - 1].dts, `${what}: dts ${s.packets[k].dts} after ${s.packets[k - 1].dts} (packet ${k})`);
  const pts = s.packets.map((p) => p.pts).sort((a, b) => a - b);
  for (let k = 1; k < pts.length; k++) {
    const d = pts[k] - pts[k - 1];
    assert.ok(Math.abs(d - step) <= 1, `${what}: presentation step ${d} ticks at frame ${k} (a frame is ${step})`);
  }
  return step;
}

/** No seam in the audio: packet timestamps strictly increase by exactly one packet (1024 samples of AAC at 48 kHz). */
export function assertAudioContinuous(s: StreamPackets, what: string, samplesPerPacket = 1024, sampleRate = 48_000): void {
  const step = (samplesPerPacket * s.timescale) / sampleRate;
  for (let k = 1; k < s.packets.length; k++) {
    const d = s.packets[k].pts - s.packets[k - 1].pts;
    assert.ok(Math.abs(d - step) <= 1, `${what}: audio packet ${k} starts ${d} ticks after the one before (a packet is ${step})`);
  }
}

/** Seconds from the first packet's start to the last one's end (containers' own duration fields vary with how segments are joined). */
export function packetSpan(s: StreamPackets, packetSeconds: number): number {
  const pts = s.packets.map((p) => p.pts);
  return (Math.max(...pts) - Math.min(...pts)) / s.timescale + packetSeconds;
}

/** The video keyframes' presentation times, in seconds from the first frame. */
export function keyframeTimes(s: StreamPackets): number[] {
  const first = Math.min(...s.packets.map((p) => p.pts));
  return s.packets.filter((p) => p.key).map((p) => (p.pts - first) / s.timescale).sort((a, b) => a - b);
}
