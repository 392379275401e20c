import { FramesGallery } from './gallery.js';
import { HlsPlayer } from './hls-player.js';
import type { JobFile, JobOutput } from './types.js';

const kib = (n?: number) => (n == null ? '' : n >= 1024 * 1024 ? `${(n / 1024 / 1024).toFixed(1)} MiB` : `${(n / 1024).toFixed(1)} KiB`);

/** A download button for each file (a signed link: no key needed). */
export function FileList({ files, label }: { files: JobFile[]; label: string }) {
  return (
    <ul class="files">
      {files.map((f) => (
        <li key={f.name}>
          <span class="file-name">{f.name}</span> <small>{kib(f.size)}</small>{' '}
          {f.url ? (
            <a class="button" href={f.url} download={f.name.split('/').pop()} aria-label={`Download ${f.name} (${label})`}>
              Download
            </a>
          ) : (
            <small>(removed)</small>
          )}
        </li>
      ))}
    </ul>
  );
}

/** What an output made, shown as what it is: a player, a gallery, images; then its files. */
export function OutputView({ output, index }: { output: JobOutput; index: number }) {
  const files = (output.files ?? []).filter((f) => f.url);
  const named = (name: string) => files.find((f) => f.name === name);
  const label = `output ${index + 1}, ${output.type}`;
  const result = output.result ?? {};
  let media = null;
  if (output.type === 'hls' && named(String(result.master ?? 'master.m3u8'))) {
    const sb = result.storyboard as { vtt?: string } | undefined;
    media = <HlsPlayer master={named(String(result.master ?? 'master.m3u8'))!.url} poster={named(String(result.poster ?? 'poster.jpg'))?.url} storyboard={sb?.vtt ? named(sb.vtt)?.url : undefined} label={`HLS video (${label})`} />;
  } else if (output.type === 'frames' && named('frames.zip')) {
    media = <FramesGallery url={named('frames.zip')!.url} size={named('frames.zip')!.size} label={`Frames (${label})`} />;
  } else {
    const clips = new Map(((result.clips as Array<{ file: string; start: number; end: number }>) ?? []).map((c) => [c.file, c]));
    media = (
      <div class="media-grid">
        {files.map((f) => {
          const type = f.contentType ?? '';
          const clip = clips.get(f.name);
          const caption = clip ? `${f.name}: ${clip.start}–${clip.end} s` : f.name;
          if (type.startsWith('video/'))
            return (
              <figure key={f.name}>
                <video controls preload="metadata" src={f.url} aria-label={`${caption} (${label})`} />
                <figcaption>{caption}</figcaption>
              </figure>
            );
          if (type.startsWith('audio/'))
            return (
              <figure key={f.name}>
                <audio controls preload="metadata" src={f.url} aria-label={`${caption} (${label})`} />
                <figcaption>{caption}</figcaption>
              </figure>
            );
          if (type.startsWith('image/'))
            return (
              <figure key={f.name}>
                <img src={f.url} alt={`${f.name} (${label})`} loading="lazy" />
                <figcaption>{f.name}</figcaption>
              </figure>
            );
          return null;
        })}
      </div>
    );
  }
  const all = output.files ?? [];
  return (
    <section class="card output-view" data-output-type={output.type} aria-labelledby={`out-${index}-h`}>
      <h2 id={`out-${index}-h`}>
        Output {index + 1}: {output.type} <span class={`status ${output.status ?? ''}`}>{output.status}</span>
      </h2>
      {media}
      {all.length > 0 && (
        <details open={all.length <= 8}>
          <summary>Files ({all.length})</summary>
          <FileList files={all} label={label} />
        </details>
      )}
    </section>
  );
}
