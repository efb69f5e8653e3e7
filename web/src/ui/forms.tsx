import { useId, type InputHTMLAttributes, type ReactNode } from 'react';
import { useI18n } from '../i18n/i18n.js';

/** A labelled input with its hint and error tied to it for assistive technology. */
export function Field(
  props: { label: string; hint?: ReactNode; error?: string | null; id?: string } & InputHTMLAttributes<HTMLInputElement>,
) {
  const generated = useId();
  const { label, hint, error, id = generated, 'aria-describedby': extraDescribedBy, ...input } = props;
  const hintId = `${id}-hint`;
  const errorId = `${id}-error`;
  const describedBy = [hint === undefined ? null : hintId, extraDescribedBy, error === undefined || error === null ? null : errorId]
    .filter(Boolean)
    .join(' ');
  return (
    <div className={error === undefined || error === null ? 'field' : 'field field--invalid'}>
      <label htmlFor={id}>{label}</label>
      {hint === undefined ? null : (
        <div className="field__hint" id={hintId}>
          {hint}
        </div>
      )}
      <input
        id={id}
        aria-invalid={error === undefined || error === null ? undefined : true}
        aria-describedby={describedBy || undefined}
        {...input}
      />
      {error === undefined || error === null ? null : (
        <p className="field__error" id={errorId}>
          {error}
        </p>
      )}
    </div>
  );
}

type TextInputProps = { onValue: (value: string) => void } & Omit<InputHTMLAttributes<HTMLInputElement>, 'type' | 'onChange'>;

/** The email of a sign-in or reset form, filled from the browser's saved username. */
export function EmailField(props: TextInputProps) {
  const { t } = useI18n();
  const { onValue, ...input } = props;
  return (
    <Field label={t('field.email')} type="email" autoComplete="username" required {...input} onChange={(e) => onValue(e.target.value)} />
  );
}

/** The current password of a sign-in form, filled from the browser's saved password. */
export function CurrentPasswordField(props: TextInputProps) {
  const { t } = useI18n();
  const { onValue, ...input } = props;
  return (
    <Field
      label={t('field.password')}
      type="password"
      autoComplete="current-password"
      required
      {...input}
      onChange={(e) => onValue(e.target.value)}
    />
  );
}

/** A form-level error, read out as soon as it appears. */
export function ErrorMessage(props: { message: string | null | undefined }) {
  if (props.message === null || props.message === undefined || props.message === '') return null;
  return (
    <div className="notice notice--error" role="alert">
      {props.message}
    </div>
  );
}

export function SubmitButton(props: {
  busy: boolean;
  children: ReactNode;
  variant?: 'primary' | 'secondary' | 'danger';
  disabled?: boolean;
}) {
  const { t } = useI18n();
  return (
    <button
      type="submit"
      className={`button button--${props.variant ?? 'primary'}`}
      disabled={props.busy || props.disabled === true}
      aria-busy={props.busy}
    >
      {props.busy ? t('common.working') : props.children}
    </button>
  );
}

/** A horizontal bar with its numbers spoken: `done` of `total`. */
export function ProgressBar(props: { label: string; done: number; total: number; tone?: 'accent' | 'ok' }) {
  const percent = props.total === 0 ? 100 : Math.min(100, Math.floor((props.done / props.total) * 100));
  return (
    <div
      className={`progress progress--${props.tone ?? 'accent'}`}
      role="progressbar"
      aria-label={props.label}
      aria-valuemin={0}
      aria-valuemax={100}
      aria-valuenow={percent}
      aria-valuetext={`${percent}%`}
    >
      <div className="progress__fill" style={{ width: `${percent}%` }} />
    </div>
  );
}
