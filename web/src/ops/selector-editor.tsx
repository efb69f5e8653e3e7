import { useEffect, useId, useRef, useState } from 'react';
import { api, isApiError } from '../api.js';
import { useI18n } from '../i18n/i18n.js';
import type { SelectorValidationWire } from '../../../src/modules/web-console/ops-console.schema.js';
import type { OpsContext } from './ops-types.js';

export type SelectorStatus =
  | { state: 'empty' | 'checking' }
  | { state: 'invalid'; problems: Array<{ path: string; description: string }> }
  | { state: 'valid'; selector: unknown };

const DEBOUNCE_MS = 350;

/**
 * A selector as JSON, checked as the operator types: JSON syntax here, the
 * rules (fields, ops, values) by the server's own parser, each problem named
 * by its path. `onStatus` tells the form whether it may submit.
 */
export function SelectorEditor(props: {
  context: OpsContext;
  value: string;
  onChange: (value: string) => void;
  onStatus: (status: SelectorStatus) => void;
  label: string;
}) {
  const { t } = useI18n();
  const id = useId();
  const [status, setStatus] = useState<SelectorStatus>({ state: 'empty' });
  const latest = useRef(0);
  const { onStatus, context } = props;
  useEffect(() => {
    const text = props.value.trim();
    const request = ++latest.current;
    const report = (next: SelectorStatus) => {
      if (request !== latest.current) return;
      setStatus(next);
      onStatus(next);
    };
    if (text === '') return report({ state: 'empty' });
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch (error) {
      return report({
        state: 'invalid',
        problems: [{ path: '', description: t('selector.notJson', { reason: error instanceof Error ? error.message : '' }) }],
      });
    }
    report({ state: 'checking' });
    const timer = window.setTimeout(() => {
      api<SelectorValidationWire>('/ops/v1/selectors/validate', { method: 'POST', body: { selector: parsed }, csrfToken: context.csrf })
        .then((answer) =>
          report(answer.valid ? { state: 'valid', selector: answer.selector } : { state: 'invalid', problems: answer.problems }),
        )
        .catch((error: unknown) =>
          report({ state: 'invalid', problems: [{ path: '', description: isApiError(error) ? error.message : t('common.failed') }] }),
        );
    }, DEBOUNCE_MS);
    return () => window.clearTimeout(timer);
  }, [props.value, onStatus, context.csrf, t]);

  return (
    <div className={status.state === 'invalid' ? 'field field--invalid' : 'field'}>
      <label htmlFor={id}>{props.label}</label>
      <div className="field__hint" id={`${id}-hint`}>
        {t('selector.hint')}
      </div>
      <textarea
        id={id}
        className="code"
        rows={10}
        spellCheck={false}
        value={props.value}
        aria-invalid={status.state === 'invalid' ? true : undefined}
        aria-describedby={`${id}-hint ${id}-status`}
        onChange={(e) => props.onChange(e.target.value)}
      />
      <div
        id={`${id}-status`}
        className={`selector-status selector-status--${status.state}`}
        aria-live="polite"
        data-testid="selector-status"
      >
        {status.state === 'valid' ? (
          <p>✓ {t('selector.valid')}</p>
        ) : status.state === 'checking' ? (
          <p>{t('selector.checking')}</p>
        ) : status.state === 'invalid' ? (
          <ul>
            {status.problems.map((problem, index) => (
              <li key={index}>
                <code>{problem.path === '' ? t('selector.root') : problem.path}</code> {problem.description}
              </li>
            ))}
          </ul>
        ) : null}
      </div>
    </div>
  );
}

/** DESIGN.md's seed selector, as a starting point. */
export const EXAMPLE_SELECTOR = JSON.stringify(
  {
    all: [
      { field: 'account.activated_at', op: 'before', value: '2016-11-01T00:00:00Z' },
      { field: 'user.realm', op: 'eq', value: 'core' },
      { field: 'user.password_changed_at', op: 'before', value: '2016-11-01T00:00:00Z' },
      { field: 'user.sso', op: 'eq', value: false },
    ],
  },
  null,
  2,
);
