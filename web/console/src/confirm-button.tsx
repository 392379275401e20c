import { useEffect, useRef, useState } from 'preact/hooks';

/**
 * A destructive action asked twice, inline (no window.confirm): the first press shows the
 * question with *Yes* and *No*, focus on *No*; *Yes* runs it.
 */
export function ConfirmButton({ label, name, question, onConfirm }: { label: string; name: string; question: string; onConfirm: () => void | Promise<void> }) {
  const [asking, setAsking] = useState(false);
  const no = useRef<HTMLButtonElement>(null);
  useEffect(() => {
    if (asking) no.current?.focus();
  }, [asking]);

  if (!asking) {
    return (
      <button type="button" class="danger" aria-label={`${label} ${name}`} onClick={() => setAsking(true)}>
        {label}
      </button>
    );
  }
  return (
    <span class="confirm" role="group" aria-label={`Confirm: ${label} ${name}`}>
      <span>{question}</span>
      <button
        type="button"
        class="danger"
        onClick={async () => {
          setAsking(false);
          await onConfirm();
        }}
      >
        Yes, {label.toLowerCase()}
      </button>
      <button type="button" ref={no} onClick={() => setAsking(false)}>
        No
      </button>
    </span>
  );
}
