import { useState, type FormEvent } from 'react';
import { api, isApiError } from '../api.js';
import { useI18n } from '../i18n/i18n.js';
import { followLink } from '../router.js';
import { ErrorMessage, Field, SubmitButton } from '../ui/forms.js';
import { PageHeading } from '../ui/layout.js';
import type { SignInOptions } from './account-types.js';
import { NewPasswordForm } from './new-password.js';

/** Asks for a reset link, or, opened from the link (`?token=`), sets the new password. */
export function PasswordResetPage(props: { options: SignInOptions; token: string | null }) {
  const { t } = useI18n();
  const [email, setEmail] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [sent, setSent] = useState(false);
  const [changed, setChanged] = useState(false);
  const [expired, setExpired] = useState(false);

  const backToSignIn = (
    <p className="aside">
      <a href="/access/sign_in" onClick={followLink}>
        {t('reset.backToSignIn')}
      </a>
    </p>
  );

  if (props.token !== null) {
    return (
      <section className="panel panel--narrow">
        <PageHeading lead={changed ? undefined : t('reset.newLead')}>{changed ? t('reset.changedTitle') : t('reset.newTitle')}</PageHeading>
        {changed ? (
          <div className="notice notice--ok" role="status">
            {t('reset.changed')}
          </div>
        ) : expired ? (
          <ErrorMessage message={t('reset.expired')} />
        ) : (
          <NewPasswordForm
            email=""
            policy={props.options.password_policy}
            submitLabel={t('reset.setPassword')}
            onSubmit={async (password) => {
              await api('/access/password_reset/complete', { method: 'POST', body: { token: props.token, password } });
              setChanged(true);
            }}
            onExpired={() => setExpired(true)}
          />
        )}
        {backToSignIn}
      </section>
    );
  }

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      await api('/access/password_reset', { method: 'POST', body: { email } });
      setSent(true);
    } catch (caught) {
      setError(isApiError(caught) ? caught.message : t('common.failed'));
    } finally {
      setBusy(false);
    }
  };
  return (
    <section className="panel panel--narrow">
      <PageHeading lead={t('reset.lead')}>{t('reset.title')}</PageHeading>
      {sent ? (
        <div className="notice notice--ok" role="status">
          {t('reset.sent')}
        </div>
      ) : (
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
          <SubmitButton busy={busy}>{t('reset.submit')}</SubmitButton>
        </form>
      )}
      {backToSignIn}
    </section>
  );
}
