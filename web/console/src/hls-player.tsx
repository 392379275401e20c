import { useEffect, useRef, useState } from 'preact/hooks';
import { parseStoryboard, tileAt, type Tile } from './storyboard.js';

const clock = (s: number) => {
  const t = Math.max(0, Math.floor(s));
  return `${Math.floor(t / 60)}:${String(t % 60).padStart(2, '0')}`;
};

/**
 * The hls output's package played with hls.js (its light build, bundled, loaded when a job page first needs
 * it), or natively where the browser plays HLS itself (Safari). Below the video, a seek bar
 * whose hover (or keyboard focus) shows the storyboard's tile for that time.
 */
export function HlsPlayer({ master, poster, storyboard, label }: { master: string; poster?: string; storyboard?: string; label: string }) {
  const video = useRef<HTMLVideoElement>(null);
  const bar = useRef<HTMLInputElement>(null);
  const [error, setError] = useState('');
  const [duration, setDuration] = useState(0);
  const [time, setTime] = useState(0);
  const [tiles, setTiles] = useState<Tile[]>([]);
  const [preview, setPreview] = useState<{ at: number; left: number } | null>(null);

  useEffect(() => {
    const v = video.current!;
    let destroy = () => {};
    let gone = false;
    if (v.canPlayType('application/vnd.apple.mpegurl')) v.src = master;
    else {
      import('hls.js/light')
        .then(({ default: Hls }) => {
          if (gone) return;
          if (!Hls.isSupported()) return setError('This browser cannot play HLS (no Media Source Extensions).');
          // No worker: hls.js would start it from a blob: URL, which the console's CSP does not allow for scripts.
          const hls = new Hls({ enableWorker: false });
          hls.on(Hls.Events.ERROR, (_e, data) => data.fatal && setError(`Playback failed: ${data.type} ${data.details}`));
          hls.loadSource(master);
          hls.attachMedia(v);
          destroy = () => hls.destroy();
        })
        .catch((err) => setError(`The player could not be loaded: ${err}`));
    }
    return () => {
      gone = true;
      destroy();
    };
  }, [master]);

  useEffect(() => {
    if (!storyboard) return;
    fetch(storyboard)
      .then((r) => (r.ok ? r.text() : Promise.reject(new Error(`${r.status}`))))
      .then((text) => setTiles(parseStoryboard(text, storyboard)))
      .catch(() => setTiles([]));
  }, [storyboard]);

  /** The time under the pointer at `clientX` on the seek bar, and where the preview goes. */
  const hover = (clientX: number) => {
    const r = bar.current!.getBoundingClientRect();
    const f = Math.min(1, Math.max(0, (clientX - r.left) / r.width));
    setPreview({ at: f * duration, left: f * r.width });
  };
  const tile = preview && duration > 0 ? tileAt(tiles, preview.at) : null;

  return (
    <div class="player">
      <video
        ref={video}
        controls
        playsInline
        preload="metadata"
        poster={poster}
        aria-label={label}
        onLoadedMetadata={(e) => setDuration(e.currentTarget.duration || 0)}
        onDurationChange={(e) => setDuration(Number.isFinite(e.currentTarget.duration) ? e.currentTarget.duration : 0)}
        onTimeUpdate={(e) => setTime(e.currentTarget.currentTime)}
      />
      <div class="seek">
        <input
          ref={bar}
          type="range"
          class="seek-bar"
          min={0}
          max={duration || 0}
          step="any"
          value={time}
          disabled={!duration}
          aria-label={`Seek ${label}`}
          aria-valuetext={`${clock(time)} of ${clock(duration)}`}
          onInput={(e) => {
            const t = Number(e.currentTarget.value);
            video.current!.currentTime = t;
            setTime(t);
            const r = bar.current!.getBoundingClientRect();
            if (duration) setPreview({ at: t, left: (t / duration) * r.width });
          }}
          onPointerMove={(e) => hover(e.clientX)}
          onPointerLeave={() => setPreview(null)}
          onBlur={() => setPreview(null)}
        />
        {tile && preview && (
          <div
            class="storyboard-preview"
            role="img"
            aria-label={`Preview at ${clock(preview.at)}`}
            data-time={preview.at.toFixed(2)}
            // Set through the CSSOM (the CSP allows no inline style attribute, but this is not one).
            style={{
              width: `${tile.w}px`,
              height: `${tile.h}px`,
              left: `${Math.max(0, preview.left - tile.w / 2)}px`,
              backgroundImage: `url("${tile.sprite}")`,
              backgroundPosition: `-${tile.x}px -${tile.y}px`,
            }}
          >
            <span>{clock(preview.at)}</span>
          </div>
        )}
        <span class="seek-time">
          {clock(time)} / {clock(duration)}
        </span>
      </div>
      {error && (
        <p class="error" role="alert">
          {error}
        </p>
      )}
    </div>
  );
}
