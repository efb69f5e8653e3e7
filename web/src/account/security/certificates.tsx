import { useCallback, useEffect, useState, type FormEvent } from 'react';
import { api, isApiError } from '../../api.js';
import { useI18n } from '../../i18n/i18n.js';
import type { MessageKey } from '../../i18n/en.js';
import { useAnnounce } from '../../ui/announcer.js';
import { ErrorMessage, SubmitButton } from '../../ui/forms.js';
import { useRequests } from '../../ui/requests.js';
import type { Certificate } from './security-types.js';

const DAY_MS = 86_400_000;

/** The account's certificates with their expiry: upload a new one, activate it, revoke the old. */
export function CertificatesSection(props: { csrf: string | null; version: number; onChanged: () => void }) {
  const { t, date } = useI18n();
  const announce = useAnnounce();
  const [certificates, setCertificates] = useState<Certificate[] | null>(null);
  const { error, setError, attempt } = useRequests();
  const load = useCallback(
    () =>
      attempt(async () => {
        setCertificates((await api<{ certificates: Certificate[] }>('/api/v2/certificates.json?per_page=100')).certificates);
      }),
    [attempt],
  );
  useEffect(() => {
    void load();
  }, [load, props.version]);

  const change = async (certificate: Certificate, verb: 'activate' | 'revoke') => {
    setError(null);
    await attempt(async () => {
      await api(`/api/v2/certificates/${certificate.id}/${verb}.json`, { method: 'PUT', csrfToken: props.csrf });
      announce(t(verb === 'activate' ? 'certs.activated' : 'certs.revokedOne', { hosts: certificate.hostnames.join(', ') }));
      await load();
      props.onChanged();
    });
  };

  return (
    <section className="section" aria-labelledby="certificates">
      <h2 id="certificates" tabIndex={-1}>
        {t('certs.title')}
      </h2>
      <ErrorMessage message={error} />
      {certificates === null || certificates.length === 0 ? (
        <p className="muted">{certificates === null ? t('common.loading') : t('certs.none')}</p>
      ) : (
        <ul className="cards" data-testid="certificates">
          {certificates.map((certificate) => {
            const daysLeft = Math.floor((Date.parse(certificate.not_after) - Date.now()) / DAY_MS);
            return (
              <li key={certificate.id} className="card">
                <div className="card__body">
                  <p className="card__title">
                    {certificate.hostnames.join(', ')}{' '}
                    <span className={`badge badge--${certificate.state}`}>{t(`certState.${certificate.state}` as MessageKey)}</span>
                  </p>
                  <p className={daysLeft < 30 && certificate.state !== 'revoked' ? 'warning-text' : 'muted'}>
                    {daysLeft < 0
                      ? t('certs.expired', { date: date(certificate.not_after) })
                      : t('certs.expires', { date: date(certificate.not_after), days: daysLeft })}
                  </p>
                  <p className="muted mono">
                    {t('certs.uploaded', { date: date(certificate.uploaded_at) })} · SHA-256 {certificate.fingerprint_sha256.slice(0, 23)}…
                  </p>
                </div>
                <div className="button-row">
                  {certificate.state === 'pending' ? (
                    <button type="button" className="button button--primary" onClick={() => void change(certificate, 'activate')}>
                      {t('certs.activate')}
                    </button>
                  ) : null}
                  {certificate.state !== 'revoked' && certificate.state !== 'expired' ? (
                    <button type="button" className="button button--secondary" onClick={() => void change(certificate, 'revoke')}>
                      {t('certs.revoke')}
                    </button>
                  ) : null}
                </div>
              </li>
            );
          })}
        </ul>
      )}
      <UploadCertificate csrf={props.csrf} onUploaded={() => void load()} />
    </section>
  );
}

function UploadCertificate(props: { csrf: string | null; onUploaded: () => void }) {
  const { t } = useI18n();
  const announce = useAnnounce();
  const [certificatePem, setCertificatePem] = useState('');
  const [privateKeyPem, setPrivateKeyPem] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const submit = async (event: FormEvent) => {
    event.preventDefault();
    if (certificatePem.trim() === '' || privateKeyPem.trim() === '') {
      setError(t('certs.uploadMissing'));
      return;
    }
    setBusy(true);
    setError(null);
    try {
      await api('/api/v2/certificates.json', {
        method: 'POST',
        body: { certificate: { certificate_pem: certificatePem, private_key_pem: privateKeyPem } },
        csrfToken: props.csrf,
      });
      setCertificatePem('');
      setPrivateKeyPem('');
      announce(t('certs.uploadedPending'));
      props.onUploaded();
    } catch (caught) {
      const rule = isApiError(caught) ? (caught.details?.rule as string | undefined) : undefined;
      setError(isApiError(caught) ? `${caught.message}${rule === undefined ? '' : ` (${rule})`}` : t('common.failed'));
    } finally {
      setBusy(false);
    }
  };
  return (
    <form className="upload" onSubmit={(event) => void submit(event)} noValidate>
      <h3>{t('certs.upload')}</h3>
      <p className="muted">{t('certs.uploadLead')}</p>
      <ErrorMessage message={error} />
      <PemField
        id="certificate-pem"
        label={t('certs.certificatePem')}
        fileLabel={t('certs.certificateFile')}
        accept=".pem,.crt,.cer"
        placeholder="-----BEGIN CERTIFICATE-----"
        value={certificatePem}
        onValue={setCertificatePem}
      />
      <PemField
        id="private-key-pem"
        label={t('certs.privateKeyPem')}
        fileLabel={t('certs.privateKeyFile')}
        accept=".pem,.key"
        placeholder="-----BEGIN PRIVATE KEY-----"
        value={privateKeyPem}
        onValue={setPrivateKeyPem}
      />
      <SubmitButton busy={busy}>{t('certs.uploadSubmit')}</SubmitButton>
    </form>
  );
}

/** A PEM block, pasted or read from a file (`{id}-file`). */
function PemField(props: {
  id: string;
  label: string;
  fileLabel: string;
  accept: string;
  placeholder: string;
  value: string;
  onValue: (text: string) => void;
}) {
  const readFile = async (files: FileList | null) => {
    const file = files?.[0];
    if (file !== undefined) props.onValue(await file.text());
  };
  return (
    <div className="field">
      <label htmlFor={props.id}>{props.label}</label>
      <input
        id={`${props.id}-file`}
        type="file"
        accept={props.accept}
        aria-label={props.fileLabel}
        onChange={(e) => void readFile(e.target.files)}
      />
      <textarea
        id={props.id}
        rows={4}
        spellCheck={false}
        value={props.value}
        onChange={(e) => props.onValue(e.target.value)}
        placeholder={props.placeholder}
      />
    </div>
  );
}
