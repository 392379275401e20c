import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface MasterEntry {
  uri: string;
  attrs: Record<string, string>;
}

/** Parses a master playlist's variants (attribute values keep their quotes stripped). */
export function parseMaster(text: string): MasterEntry[] {
  const lines = text.split(/\r?\n/).map((l) => l.trim()).filter(Boolean);
  assert.equal(lines[0], '#EXTM3U');
  const out: MasterEntry[] = [];
  for (let i = 0; i < lines.length; i++) {
    if (!lines[i].startsWith('#EXT-X-STREAM-INF:')) continue;
    const attrs: Record<string, string> = {};
    for (const m of lines[i].slice(18).matchAll(/([A-Z-]+)=("[^"]*"|[^,]*)/g)) attrs[m[1]] = m[2].replace(/^"|"$/g, '');
    out.push({ uri: lines[i + 1], attrs });
  }
  return out;
}

export interface VttCue {
  start: number;
  end: number;
  target: string;
}

export function parseVtt(text: string): VttCue[] {
  assert.ok(text.startsWith('WEBVTT'), 'a WebVTT file');
  const time = (s: string) => {
    const [h, m, rest] = s.split(':');
    return Number(h) * 3600 + Number(m) * 60 + Number(rest);
  };
  const cues: VttCue[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const m = /^(\d\d:\d\d:\d\d\.\d{3}) --> (\d\d:\d\d:\d\d\.\d{3})$/.exec(lines[i]);
    if (m) cues.push({ start: time(m[1]), end: time(m[2]), target: lines[i + 1] });
  }
  return cues;
}

/** ffprobe of an fMP4 segment needs its init section in front; a TS segment stands alone. */
export async function probeSegment(dir: string, parts: Buffer[]): Promise<any> {
  const path = join(dir, `segment-${Math.random().toString(36).slice(2)}.bin`);
  await writeFile(path, Buffer.concat(parts));
  const { stdout } = await run('ffprobe', ['-v', 'error', '-show_streams', '-of', 'json', path]);
  return JSON.parse(stdout);
}

export async function imageSize(path: string): Promise<{ width: number; height: number }> {
  const { stdout } = await run('ffprobe', ['-v', 'error', '-show_entries', 'stream=width,height', '-of', 'json', path]);
  const s = JSON.parse(stdout).streams[0];
  return { width: s.width, height: s.height };
}
