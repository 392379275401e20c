import { useEffect, useState } from 'preact/hooks';
import { readStoredZip } from './zip.js';

/** The gallery shows at most this many frames (a frames.zip may hold thousands). */
const SHOWN = 200;
/** A frames.zip larger than this is not read in the browser: its link downloads it. */
const MAX_BYTES = 64 * 1024 * 1024;

interface Frame {
  file: string;
  index: number;
  time: number;
  src: string;
}

const TYPES: Record<string, string> = { jpg: 'image/jpeg', png: 'image/png', webp: 'image/webp' };

/**
 * The frames output's frames.zip, read in the browser: its manifest.json's frames, each
 * with its time in the source, shown from blob: URLs (the CSP's img-src allows them).
 */
export function FramesGallery({ url, size, label }: { url: string; size?: number; label: string }) {
  const [frames, setFrames] = useState<Frame[]>([]);
  const [total, setTotal] = useState(0);
  const [message, setMessage] = useState('Reading the frames…');

  useEffect(() => {
    if ((size ?? 0) > MAX_BYTES) return setMessage(`The frames archive is ${Math.round(size! / 1024 / 1024)} MiB: download it to see the frames.`);
    const made: string[] = [];
    let gone = false;
    fetch(url)
      .then((r) => (r.ok ? r.arrayBuffer() : Promise.reject(new Error(`${r.status} ${r.statusText}`))))
      .then((buffer) => {
        if (gone) return;
        const entries = new Map(readStoredZip(buffer).map((e) => [e.name, e.data]));
        const manifest = JSON.parse(new TextDecoder().decode(entries.get('manifest.json') ?? new Uint8Array()));
        const listed: Array<{ file: string; index: number; time: number }> = manifest.frames ?? [];
        const shown = listed.slice(0, SHOWN).map((f) => {
          const data = entries.get(f.file);
          const ext = f.file.split('.').pop() ?? '';
          const src = data ? URL.createObjectURL(new Blob([data as BlobPart], { type: TYPES[ext] ?? 'application/octet-stream' })) : '';
          if (src) made.push(src);
          return { ...f, src };
        });
        setTotal(listed.length);
        setFrames(shown);
        setMessage('');
      })
      .catch((err) => !gone && setMessage(`The frames could not be read: ${err instanceof Error ? err.message : err}`));
    return () => {
      gone = true;
      made.forEach((u) => URL.revokeObjectURL(u));
    };
  }, [url]);

  return (
    <div class="gallery-wrap">
      {message && <p role="status">{message}</p>}
      {total > frames.length && (
        <p>
          The first {frames.length} of {total} frames.
        </p>
      )}
      <ul class="gallery" aria-label={label} data-total={total}>
        {frames.map((f) => (
          <li class="frame" key={f.file}>
            <figure>
              <img src={f.src} alt={`Frame ${f.index + 1} at ${f.time.toFixed(3)} s`} loading="lazy" />
              <figcaption>
                #{f.index + 1} · {f.time.toFixed(3)} s
              </figcaption>
            </figure>
          </li>
        ))}
      </ul>
    </div>
  );
}
