import { readFile, stat } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { join } from 'node:path';
import { contentTypeFor } from '../domain/content-types.js';
import { DomainError } from '../domain/errors.js';
import type { StoredFile } from '../domain/job.js';
import { finalizeMediaPlaylist, parseMediaPlaylist, type MediaPlaylist } from '../ffmpeg/hls-master.js';
import type { BlobStore } from '../ports/blob-store.port.js';
import type { Clock } from '../ports/clock.port.js';

const SAFE_NAME = /^[a-z0-9][a-z0-9._-]{0,100}$/i;

export interface VariantState {
  name: string;
  playlist: MediaPlaylist | null;
  initSize: number;
  segmentSizes: Map<string, number>;
}

/**
 * Copies the package to storage while ffmpeg is still writing it. ffmpeg renames a media
 * playlist into place (`temp_file`) only after the segments it lists are complete, so the
 * playlist is the signal: upload every segment it names that we have not uploaded yet,
 * then the playlist itself. Players see a growing EVENT playlist, then the final VOD one.
 */
export class HlsPublisher {
  readonly files = new Map<string, StoredFile>();
  readonly variants: VariantState[];
  private readonly playlistText = new Map<string, string>();
  firstSegmentAt: number | null = null;
  private failure: unknown = null;
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> = Promise.resolve();

  constructor(
    private readonly blobs: BlobStore,
    private readonly outDir: string,
    private readonly keyFor: (name: string) => string,
    variantNames: string[],
    private readonly clock: Clock,
  ) {
    this.variants = variantNames.map((name) => ({ name, playlist: null, initSize: 0, segmentSizes: new Map() }));
  }

  /** Polls the output folder every `intervalMs` until `stop()`. */
  start(intervalMs: number, onPass: () => Promise<void>): void {
    const tick = () => {
      this.running = this.pass(false)
        .then(onPass)
        .catch((err) => {
          this.failure ??= err;
        })
        .finally(() => {
          if (this.timer) this.timer = setTimeout(tick, intervalMs);
        });
    };
    this.timer = setTimeout(tick, intervalMs);
  }

  async stop(): Promise<void> {
    const t = this.timer;
    this.timer = null;
    if (t) clearTimeout(t);
    await this.running;
    if (this.failure) throw this.failure;
  }

  /** Every variant has at least one segment in storage: a player can start. */
  get playable(): boolean {
    return this.variants.every((v) => v.segmentSizes.size > 0);
  }

  async pass(final: boolean): Promise<void> {
    for (const v of this.variants) await this.publishVariant(v, final);
  }

  private async publishVariant(v: VariantState, final: boolean): Promise<void> {
    const path = join(this.outDir, v.name, 'index.m3u8');
    let text: string;
    try {
      text = await readFile(path, 'utf8');
    } catch (caught) {
      const err = caught as NodeJS.ErrnoException;
      if (err.code === 'ENOENT' && !final) return;
      throw err.code === 'ENOENT' ? new DomainError('ffmpeg_failed', `ffmpeg wrote no playlist for rendition ${v.name}`) : err;
    }
    const playlist = parseMediaPlaylist(text);
    if (playlist.initUri && v.initSize === 0) v.initSize = await this.upload(`${v.name}/${checkName(playlist.initUri)}`);
    for (const seg of playlist.segments) {
      if (v.segmentSizes.has(seg.uri)) continue;
      v.segmentSizes.set(seg.uri, await this.upload(`${v.name}/${checkName(seg.uri)}`));
      this.firstSegmentAt ??= this.clock.now();
    }
    v.playlist = playlist;
    const body = final ? finalizeMediaPlaylist(text) : text;
    await this.uploadText(`${v.name}/index.m3u8`, body);
  }

  private async upload(name: string): Promise<number> {
    const { size } = await this.blobs.putFile(this.keyFor(name), join(this.outDir, name));
    this.files.set(name, { name, key: this.keyFor(name), size, contentType: contentTypeFor(name) });
    return size;
  }

  /** Uploads a text file (playlists, VTT) when its content changed. */
  async uploadText(name: string, body: string): Promise<void> {
    if (this.playlistText.get(name) === body) return;
    const { size } = await this.blobs.put(this.keyFor(name), Readable.from([Buffer.from(body, 'utf8')]));
    this.playlistText.set(name, body);
    this.files.set(name, { name, key: this.keyFor(name), size, contentType: contentTypeFor(name) });
  }

  async uploadLocal(name: string): Promise<boolean> {
    const s = await stat(join(this.outDir, name)).catch(() => null);
    if (!s || s.size === 0) return false;
    await this.upload(name);
    return true;
  }

  segmentStats(v: VariantState): Array<{ duration: number; size: number }> {
    return (v.playlist?.segments ?? []).map((s) => ({ duration: s.duration, size: v.segmentSizes.get(s.uri) ?? 0 }));
  }
}

function checkName(uri: string): string {
  if (!SAFE_NAME.test(uri)) throw new DomainError('ffmpeg_failed', `unexpected file name in an HLS playlist: ${JSON.stringify(uri).slice(0, 80)}`);
  return uri;
}
