import { useState, type FormEvent } from 'react';
import { api } from '../api.js';
import { useI18n } from '../i18n/i18n.js';
import { CurrentPasswordField, EmailField, ErrorMessage, Field, SubmitButton } from '../ui/forms.js';
import { PageHeading } from '../ui/layout.js';
import { useRequests } from '../ui/requests.js';
import type { StaffSignInWire } from '../../../src/modules/staff/staff-session.schema.js';
import type { OpsContext } from './ops-types.js';

/** Staff sign-in: email, password and the authenticator app's current code. */
export function StaffSignIn(props: { onSignedIn: (context: OpsContext) => void }) {
  const { t } = useI18n();
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [totp, setTotp] = useState('');
  const { error, busy, act } = useRequests();
  const submit = async (event: FormEvent) => {
    event.preventDefault();
    await act(async () => {
      try {
        const answer = await api<StaffSignInWire>('/ops/v1/session', {
          method: 'POST',
          body: { email, password, totp: totp.replace(/\s+/g, '') },
        });
        props.onSignedIn({ staff: answer.staff, csrf: answer.csrf_token });
      } catch (caught) {
        // A code is good once: a refused one is cleared for the next.
        setTotp('');
        throw caught;
      }
    }, t('ops.signIn.refused'));
  };
  return (
    <section className="panel panel--narrow">
      <PageHeading lead={t('ops.signIn.lead')}>{t('ops.signIn.title')}</PageHeading>
      <form onSubmit={(event) => void submit(event)} noValidate>
        <ErrorMessage message={error} />
        <EmailField value={email} onValue={setEmail} />
        <CurrentPasswordField value={password} onValue={setPassword} />
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
