import { useEffect, useId, useState, type FormEvent } from 'react';
import { isApiError } from '../api.js';
import { useI18n } from '../i18n/i18n.js';
import type { MessageKey } from '../i18n/en.js';
import { ErrorMessage, Field, SubmitButton } from '../ui/forms.js';
import { failureMessage } from '../ui/requests.js';
import type { SignInOptions } from './account-types.js';
import { loadStrengthChecker, type StrengthChecker } from './strength.js';

type Rule = 'min_length' | 'max_length' | 'blocklisted' | 'contains_email' | 'reused';
type RuleState = 'pass' | 'fail' | 'pending';

const STRENGTH_KEYS: MessageKey[] = ['strength.0', 'strength.1', 'strength.2', 'strength.3', 'strength.4'];

/** The server's rules, checked as the person types; `reused` needs the stored hashes, so only the server answers it. */
function checkRules(
  password: string,
  email: string,
  policy: SignInOptions['password_policy'],
  checker: StrengthChecker | null,
  refusedReuse: string | null,
) {
  const length = [...password].length;
  const at = email.lastIndexOf('@');
  const local = (at < 0 ? email : email.slice(0, at)).toLowerCase();
  const states: Record<Rule, RuleState> = {
    min_length: length >= policy.min_length ? 'pass' : 'fail',
    max_length: length <= policy.max_length ? 'pass' : 'fail',
    blocklisted: checker === null ? 'pending' : password !== '' && !checker.blocklisted(password) ? 'pass' : 'fail',
    contains_email: local.length >= policy.email_local_part_min_length && password.toLowerCase().includes(local) ? 'fail' : 'pass',
    reused: refusedReuse !== null && refusedReuse === password ? 'fail' : 'pending',
  };
  return states;
}

/**
 * A new password with live feedback: each rule of the policy ticks as it is
 * met, a strength meter, and the server's refusal (a reused password) shown
 * on the field. Used by the forced change and by password reset.
 */
export function NewPasswordForm(props: {
  email: string;
  policy: SignInOptions['password_policy'];
  submitLabel: string;
  onSubmit: (password: string) => Promise<void>;
  onExpired: () => void;
}) {
  const { t } = useI18n();
  const [password, setPassword] = useState('');
  const [confirmation, setConfirmation] = useState('');
  const [checker, setChecker] = useState<StrengthChecker | null>(null);
  const [refusedReuse, setRefusedReuse] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [confirmError, setConfirmError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const rulesId = useId();
  useEffect(() => {
    loadStrengthChecker()
      .then(setChecker)
      .catch(() => setChecker(null));
  }, []);

  const states = checkRules(password, props.email, props.policy, checker, refusedReuse);
  const score = checker === null ? 0 : checker.score(password, [props.email]);
  const failing = (Object.keys(states) as Rule[]).filter((rule) => states[rule] === 'fail');

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setError(null);
    setConfirmError(null);
    if (failing.length > 0) {
      setError(t('password.fixRules'));
      document.getElementById('new-password')?.focus();
      return;
    }
    if (password !== confirmation) {
      setConfirmError(t('password.mismatch'));
      document.getElementById('confirm-password')?.focus();
      return;
    }
    setBusy(true);
    try {
      await props.onSubmit(password);
    } catch (caught) {
      if (isApiError(caught) && caught.code === 'PasswordPolicyViolation') {
        const rules = ((caught.details?.password ?? []) as Array<{ rule: Rule }>).map((entry) => entry.rule);
        if (rules.includes('reused')) setRefusedReuse(password);
        setError(rules.includes('reused') ? t('password.reused', { count: props.policy.history_size }) : t('password.fixRules'));
        document.getElementById('new-password')?.focus();
      } else if (isApiError(caught) && caught.status === 401) {
        props.onExpired();
      } else setError(failureMessage(caught, t('common.failed')));
    } finally {
      setBusy(false);
    }
  };

  const ruleText: Record<Rule, string> = {
    min_length: t('rule.min_length', { count: props.policy.min_length }),
    max_length: t('rule.max_length', { count: props.policy.max_length }),
    blocklisted: t('rule.blocklisted'),
    contains_email: t('rule.contains_email'),
    reused: t('rule.reused', { count: props.policy.history_size }),
  };
  const stateText: Record<RuleState, string> = { pass: t('rule.state.pass'), fail: t('rule.state.fail'), pending: t('rule.state.pending') };

  return (
    <form onSubmit={(event) => void submit(event)} noValidate>
      <ErrorMessage message={error} />
      <Field
        id="new-password"
        label={t('field.newPassword')}
        type="password"
        autoComplete="new-password"
        required
        value={password}
        aria-describedby={rulesId}
        error={states.reused === 'fail' ? t('password.reused', { count: props.policy.history_size }) : null}
        onChange={(e) => setPassword(e.target.value)}
      />
      <div className="strength">
        <div className={`strength__bar strength__bar--${score}`} aria-hidden="true">
          {[0, 1, 2, 3].map((step) => (
            <span key={step} className={password !== '' && step < Math.max(1, score) ? 'on' : ''} />
          ))}
        </div>
        <p className="strength__label">
          {password === '' ? t('strength.empty') : t('strength.label', { level: t(STRENGTH_KEYS[score] ?? 'strength.0') })}
        </p>
      </div>
      <ul className="rules" id={rulesId} aria-label={t('password.rules')}>
        {(Object.keys(ruleText) as Rule[]).map((rule) => (
          <li key={rule} className={`rule rule--${password === '' && rule !== 'reused' ? 'pending' : states[rule]}`} data-rule={rule}>
            <span className="rule__icon" aria-hidden="true" />
            <span>{ruleText[rule]}</span>
            <span className="visually-hidden"> — {stateText[password === '' && rule !== 'reused' ? 'pending' : states[rule]]}</span>
          </li>
        ))}
      </ul>
      <Field
        id="confirm-password"
        label={t('field.confirmPassword')}
        type="password"
        autoComplete="new-password"
        required
        value={confirmation}
        error={confirmError}
        onChange={(e) => setConfirmation(e.target.value)}
      />
      <SubmitButton busy={busy}>{props.submitLabel}</SubmitButton>
    </form>
  );
}
