import { useState, type FormEvent } from 'react';
import { api, isApiError } from '../api.js';
import { useI18n } from '../i18n/i18n.js';
import { ErrorMessage, Field, SubmitButton } from '../ui/forms.js';
import { PageHeading } from '../ui/layout.js';
import type { OpsContext, Staff } from './ops-types.js';

/** Staff sign-in: email, password and the authenticator app's current code. */
export function StaffSignIn(props: { onSignedIn: (context: OpsContext) => void }) {
  const { t } = useI18n();
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [totp, setTotp] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const answer = await api<{ csrf_token: string; staff: Staff }>('/ops/v1/session', {
        method: 'POST',
        body: { email, password, totp: totp.replace(/\s+/g, '') },
      });
      props.onSignedIn({ staff: answer.staff, csrf: answer.csrf_token });
    } catch (caught) {
      setTotp('');
      setError(
        isApiError(caught) && caught.status === 401 ? t('ops.signIn.refused') : isApiError(caught) ? caught.message : t('common.failed'),
      );
    } finally {
      setBusy(false);
    }
  };
  return (
    <section className="panel panel--narrow">
      <PageHeading lead={t('ops.signIn.lead')}>{t('ops.signIn.title')}</PageHeading>
      <form onSubmit={(event) => void submit(event)} noValidate>
        <ErrorMessage message={error} />
        <Field
          label={t('field.email')}
          type="email"
          autoComplete="username"
          required
          value={email}
          onChange={(e) => setEmail(e.target.value)}
        />
        <Field
          label={t('field.password')}
          type="password"
          autoComplete="current-password"
          required
          value={password}
          onChange={(e) => setPassword(e.target.value)}
        />
        <Field
          label={t('ops.signIn.code')}
          hint={t('ops.signIn.codeHint')}
          inputMode="numeric"
          autoComplete="one-time-code"
          pattern="[0-9]*"
          maxLength={8}
          required
          value={totp}
          onChange={(e) => setTotp(e.target.value)}
        />
        <SubmitButton busy={busy}>{t('signIn.submit')}</SubmitButton>
      </form>
    </section>
  );
}
