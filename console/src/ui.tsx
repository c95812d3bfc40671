/** The console's shared pieces: loading state, errors, form fields, links, copy buttons. */
import type { ComponentChildren } from 'preact';
import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import { describeError } from './logic/format.js';
import { navigate } from './router.js';
import { adminPath } from './session.js';

/** A value loaded from the API, again whenever `deps` change; `reload` asks again. */
export function useLoad<T>(
  load: () => Promise<T>,
  deps: unknown[],
): { data: T | undefined; error: unknown; loading: boolean; reload: () => void; set: (value: T) => void } {
  const [state, setState] = useState<{ data: T | undefined; error: unknown; loading: boolean }>({
    data: undefined,
    error: undefined,
    loading: true,
  });
  const [tick, setTick] = useState(0);
  useEffect(() => {
    let live = true;
    setState((s) => ({ ...s, loading: true }));
    load().then(
      (data) => live && setState({ data, error: undefined, loading: false }),
      (error: unknown) => live && setState({ data: undefined, error, loading: false }),
    );
    return () => {
      live = false;
    };
  }, [...deps, tick]);
  const reload = useCallback(() => setTick((t) => t + 1), []);
  const set = useCallback((data: T) => setState({ data, error: undefined, loading: false }), []);
  return { ...state, reload, set };
}

/** Runs an action of a button or form: `busy` while it runs, its error kept to be shown. */
export function useAction(): {
  busy: boolean;
  error: unknown;
  run: (action: () => Promise<unknown>) => Promise<boolean>;
  clear: () => void;
} {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(undefined);
  const run = useCallback(async (action: () => Promise<unknown>) => {
    setBusy(true);
    setError(undefined);
    try {
      await action();
      return true;
    } catch (caught) {
      setError(caught);
      return false;
    } finally {
      setBusy(false);
    }
  }, []);
  return { busy, error, run, clear: () => setError(undefined) };
}

/** An error of the API, shown as such (a refused action is explained, never hidden). */
export function ErrorBox({ error }: { error: unknown }) {
  if (error === undefined || error === null) return null;
  return (
    <p class="error" role="alert">
      {describeError(error)}
    </p>
  );
}

export function Notice({ children }: { children: ComponentChildren }) {
  return (
    <p class="notice" role="status">
      {children}
    </p>
  );
}

/** The page whose heading last took the focus (a filter change re-renders a page without moving it). */
let focusedPage: string | undefined;

/** A page's heading: it takes the focus when a page opens, so keyboards and screen readers start there. */
export function PageTitle({ children }: { children: ComponentChildren }) {
  const ref = useRef<HTMLHeadingElement>(null);
  useEffect(() => {
    if (focusedPage === location.pathname) return;
    focusedPage = location.pathname;
    ref.current?.focus({ preventScroll: true });
  }, []);
  return (
    <h1 ref={ref} tabIndex={-1}>
      {children}
    </h1>
  );
}

/** A link to a page of the console, followed without a reload. */
export function Link({
  to,
  children,
  current,
}: {
  to: string;
  children: ComponentChildren;
  /** Marks the link of the page being shown. */
  current?: boolean;
}) {
  return (
    <a
      aria-current={current ? 'page' : undefined}
      href={adminPath(to)}
      onClick={(event) => {
        if (event.defaultPrevented || event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey) return;
        event.preventDefault();
        navigate(to);
      }}
    >
      {children}
    </a>
  );
}

let fieldIds = 0;

/** A labelled form control. */
export function Field({
  label,
  hint,
  children,
}: {
  label: string;
  hint?: string;
  children: (id: string, describedBy: string | undefined) => ComponentChildren;
}) {
  const [id] = useState(() => `field-${++fieldIds}`);
  const hintId = hint ? `${id}-hint` : undefined;
  return (
    <div class="field">
      <label for={id}>{label}</label>
      {children(id, hintId)}
      {hint && (
        <small id={hintId} class="hint">
          {hint}
        </small>
      )}
    </div>
  );
}

export function TextField({
  label,
  value,
  onInput,
  type = 'text',
  hint,
  disabled,
  autoComplete,
  required,
  name,
}: {
  label: string;
  value: string;
  onInput: (value: string) => void;
  type?: 'text' | 'email' | 'url' | 'password' | 'number';
  hint?: string;
  disabled?: boolean;
  autoComplete?: string;
  required?: boolean;
  name?: string;
}) {
  return (
    <Field label={label} hint={hint}>
      {(id, describedBy) => (
        <input
          id={id}
          name={name}
          // Preact's types narrow attributes by input type; all of these take the same ones here.
          type={type as 'text'}
          value={value}
          disabled={disabled}
          required={required}
          autoComplete={autoComplete}
          aria-describedby={describedBy}
          onInput={(event) => onInput((event.target as HTMLInputElement).value)}
        />
      )}
    </Field>
  );
}

export function SelectField<T extends string>({
  label,
  value,
  options,
  onChange,
  disabled,
}: {
  label: string;
  value: T;
  options: [T, string][];
  onChange: (value: T) => void;
  disabled?: boolean;
}) {
  return (
    <Field label={label}>
      {(id) => (
        <select
          id={id}
          value={value}
          disabled={disabled}
          onChange={(event) => onChange((event.target as HTMLSelectElement).value as T)}
        >
          {options.map(([v, text]) => (
            <option key={v} value={v}>
              {text}
            </option>
          ))}
        </select>
      )}
    </Field>
  );
}

export function CheckField({
  label,
  checked,
  onChange,
  disabled,
}: {
  label: string;
  checked: boolean;
  onChange: (checked: boolean) => void;
  disabled?: boolean;
}) {
  return (
    <label class="check">
      <input
        type="checkbox"
        checked={checked}
        disabled={disabled}
        onChange={(event) => onChange((event.target as HTMLInputElement).checked)}
      />
      {label}
    </label>
  );
}

/**
 * A secret shown once (a new API key or webhook secret), with a button that copies it. The
 * announcement says that it is there; the secret itself is not read out.
 */
export function OnceSecret({ label, value }: { label: string; value: string }) {
  const [copied, setCopied] = useState(false);
  return (
    <div class="secret">
      <p role="status">
        <strong>{label}</strong> It is shown only now: copy it and keep it somewhere safe.
      </p>
      <code data-testid="secret">{value}</code>
      <button
        type="button"
        onClick={() =>
          void navigator.clipboard?.writeText(value).then(
            () => setCopied(true),
            () => setCopied(false),
          )
        }
      >
        {copied ? 'Copied' : 'Copy'}
      </button>
    </div>
  );
}

/**
 * A button for an action that cannot be undone: the first press asks ("Confirm: Delete"),
 * the second does it; leaving the button (Escape, or the focus going elsewhere) cancels.
 */
export function ConfirmButton({
  label,
  onConfirm,
  disabled,
  small,
  accessibleName,
}: {
  label: string;
  onConfirm: () => void;
  disabled?: boolean;
  small?: boolean;
  /** A longer name for screen readers ("Delete key ci"). */
  accessibleName?: string;
}) {
  const [asking, setAsking] = useState(false);
  return (
    <button
      type="button"
      class={small ? 'danger small' : 'danger'}
      disabled={disabled}
      aria-label={accessibleName ? (asking ? `Confirm: ${accessibleName}` : accessibleName) : undefined}
      onBlur={() => setAsking(false)}
      onKeyDown={(event) => event.key === 'Escape' && setAsking(false)}
      onClick={() => {
        if (!asking) return setAsking(true);
        setAsking(false);
        onConfirm();
      }}
    >
      {asking ? `Confirm: ${label}` : label}
    </button>
  );
}

export function Loading() {
  return (
    <p class="muted" aria-live="polite">
      Loading…
    </p>
  );
}
