import { useState, type FormEvent } from 'react';
import { api } from '../api.js';
import { useI18n } from '../i18n/i18n.js';
import { followLink } from '../router.js';
import { EmailField, ErrorMessage, SubmitButton } from '../ui/forms.js';
import { PageHeading } from '../ui/layout.js';
import { useRequests } from '../ui/requests.js';
import type { SignInOptions } from './account-types.js';
import { NewPasswordForm } from './new-password.js';

/** Asks for a reset link, or, opened from the link (`?token=`), sets the new password. */
export function PasswordResetPage(props: { options: SignInOptions; token: string | null }) {
  const { t } = useI18n();
  const [email, setEmail] = useState('');
  const { error, busy, act } = useRequests();
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
    await act(async () => {
      await api('/access/password_reset', { method: 'POST', body: { email } });
      setSent(true);
    });
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
          <EmailField value={email} onValue={setEmail} />
          <SubmitButton busy={busy}>{t('reset.submit')}</SubmitButton>
        </form>
      )}
      {backToSignIn}
    </section>
  );
}
