import { useEffect, useRef, useState } from 'preact/hooks';
import { Upload } from 'tus-js-client';
import { loadCredential } from './api.js';

type State = 'idle' | 'uploading' | 'paused' | 'done' | 'failed';

const mib = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(1)} MiB`;

/** Drag-and-drop or a file picker; the file goes over tus (docs/tus.md) to /v1/uploads/tus. */
export function Uploader({ onUploaded }: { onUploaded: (uploadId: string) => void }) {
  const [file, setFile] = useState<File | null>(null);
  const [state, setState] = useState<State>('idle');
  const [sent, setSent] = useState(0);
  const [speed, setSpeed] = useState(0);
  const [message, setMessage] = useState('');
  const [over, setOver] = useState(false);
  const upload = useRef<Upload | null>(null);
  const stateRef = useRef<State>('idle');
  stateRef.current = state;
  const resumeRef = useRef(() => {});
  // Back online after the retries ran out: go on by itself from the server's offset.
  useEffect(() => {
    const online = () => stateRef.current === 'failed' && upload.current?.url && resumeRef.current();
    window.addEventListener('online', online);
    return () => window.removeEventListener('online', online);
  }, []);
  const sample = useRef({ at: 0, bytes: 0 });

  const start = (f: File) => {
    upload.current?.abort();
    setFile(f);
    setSent(0);
    setSpeed(0);
    setMessage('');
    sample.current = { at: performance.now(), bytes: 0 };
    const u = new Upload(f, {
      endpoint: '/v1/uploads/tus',
      chunkSize: 4 * 1024 * 1024,
      retryDelays: [0, 1000, 3000, 5000],
      // tus-js-client gives up at once while the browser says it is offline (a cut link, Wi-Fi
      // gone): keep trying on the delays above instead, each attempt a HEAD for the server's
      // offset and a PATCH from there. A client error (4xx, but 409/423) is final.
      onShouldRetry: (err) => {
        const status = (err as { originalResponse?: { getStatus(): number } | null }).originalResponse?.getStatus() ?? 0;
        return status < 400 || status >= 500 || status === 409 || status === 423;
      },
      metadata: { filename: f.name, filetype: f.type || 'application/octet-stream' },
      // Pause and Resume use this Upload object; nothing is left in localStorage for later visits.
      storeFingerprintForResuming: false,
      // The current credential on every request (a user's token is renewed meanwhile).
      onBeforeRequest: (req) => {
        const c = loadCredential();
        if (c) req.setHeader('Authorization', `Bearer ${c.token}`);
      },
      onProgress: (bytes) => {
        setSent(bytes);
        const now = performance.now();
        const dt = (now - sample.current.at) / 1000;
        if (dt >= 0.5) {
          setSpeed((bytes - sample.current.bytes) / dt);
          sample.current = { at: now, bytes };
        }
      },
      onSuccess: () => {
        const id = new URL(u.url!, location.href).pathname.split('/').pop()!;
        setSent(f.size);
        setState('done');
        setMessage(`Uploaded as ${id}`);
        onUploaded(id);
      },
      onError: (err) => {
        setState('failed');
        const body = (err as { originalResponse?: { getBody(): string } }).originalResponse?.getBody();
        let text = err.message;
        try {
          const e = JSON.parse(body ?? '').error;
          if (e) text = `${e.message} (${e.code})`;
        } catch {
          /* not the API's JSON */
        }
        setMessage(text);
      },
    });
    upload.current = u;
    setState('uploading');
    u.start();
  };

  const pause = () => {
    upload.current?.abort();
    setState('paused');
    setSpeed(0);
  };
  const resume = () => {
    sample.current = { at: performance.now(), bytes: sent };
    setState('uploading');
    upload.current?.start();
  };
  resumeRef.current = resume;

  const pct = file ? Math.floor((sent / file.size) * 100) : 0;
  return (
    <section class="card" aria-labelledby="upload-h">
      <h2 id="upload-h">Upload</h2>
      <div
        class={`drop${over ? ' over' : ''}`}
        onDragOver={(e) => {
          e.preventDefault();
          setOver(true);
        }}
        onDragLeave={() => setOver(false)}
        onDrop={(e) => {
          e.preventDefault();
          setOver(false);
          const f = e.dataTransfer?.files[0];
          if (f) start(f);
        }}
      >
        <div class="field">
          <label for="file">Drop a video here, or choose a file</label>
          <input
            id="file"
            type="file"
            accept="video/*,audio/*,image/*"
            onChange={(e) => {
              const f = e.currentTarget.files?.[0];
              if (f) start(f);
            }}
          />
        </div>
      </div>
      {file && (
        <div class="upload-state">
          <span>{file.name}</span>
          <progress id="upload-progress" max={100} value={pct} aria-label={`Upload of ${file.name}`} />
          <span id="upload-pct">
            {pct} %
          </span>
          <span>
            {mib(sent)} of {mib(file.size)}
            {state === 'uploading' && speed > 0 && `, ${mib(speed)}/s`}
          </span>
          {state === 'uploading' && (
            <button type="button" onClick={pause}>
              Pause
            </button>
          )}
          {(state === 'paused' || state === 'failed') && (
            <button type="button" onClick={resume}>
              Resume
            </button>
          )}
        </div>
      )}
      {message && (
        <p id="upload-message" class={state === 'failed' ? 'error' : 'ok'} role="status">
          {message}
        </p>
      )}
    </section>
  );
}
