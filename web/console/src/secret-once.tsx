import { useEffect, useRef, useState } from 'preact/hooks';

/**
 * A secret the API gives once (a new key, a webhook signing secret): shown in a read-only box
 * with *Copy*, and a warning that it cannot be shown again; *Done* forgets it.
 */
export function SecretOnce({ id, label, value, onDone }: { id: string; label: string; value: string; onDone: () => void }) {
  const [copied, setCopied] = useState('');
  const box = useRef<HTMLInputElement>(null);
  useEffect(() => box.current?.focus(), [value]);

  const copy = async () => {
    try {
      await navigator.clipboard.writeText(value);
      setCopied('Copied to the clipboard.');
    } catch {
      // No clipboard permission: select it, so Ctrl+C copies it.
      box.current?.select();
      setCopied(document.execCommand('copy') ? 'Copied to the clipboard.' : 'Selected: press Ctrl+C (⌘C) to copy it.');
    }
  };

  return (
    <div class="secret" data-secret={id}>
      <div class="field">
        <label for={id}>{label}</label>
        <input id={id} ref={box} readOnly value={value} aria-describedby={`${id}-warn`} onFocus={(e) => e.currentTarget.select()} />
      </div>
      <p id={`${id}-warn`} class="warn">
        Copy it now: it is shown this once. The API keeps only a hash (or a sealed copy) and will not show it again.
      </p>
      <div class="actions">
        <button type="button" onClick={copy}>
          Copy
        </button>
        <button type="button" onClick={onDone}>
          Done, hide it
        </button>
        <span role="status">{copied}</span>
      </div>
    </div>
  );
}
