import { useEffect, useRef, type ReactNode } from 'react';
import { LanguageSwitch, useI18n } from '../i18n/i18n.js';
import { followLink } from '../router.js';

export interface NavItem {
  href: string;
  label: string;
  current: boolean;
}

/** The frame of every page: skip link, header with navigation and language, the main region. */
export function Shell(props: {
  brand: string;
  subtitle?: string;
  nav?: NavItem[];
  actions?: ReactNode;
  children: ReactNode;
  wide?: boolean;
}) {
  const { t } = useI18n();
  return (
    <>
      <a className="skip-link" href="#main">
        {t('layout.skip')}
      </a>
      <header className="site-header">
        <div className="site-header__inner">
          <div className="brand">
            <span className="brand__mark" aria-hidden="true">
              R
            </span>
            <span className="brand__text">
              <span className="brand__name">{props.brand}</span>
              {props.subtitle === undefined ? null : <span className="brand__subtitle">{props.subtitle}</span>}
            </span>
          </div>
          {props.nav === undefined || props.nav.length === 0 ? null : (
            <nav aria-label={t('layout.nav')} className="site-nav">
              <ul>
                {props.nav.map((item) => (
                  <li key={item.href}>
                    <a href={item.href} onClick={followLink} aria-current={item.current ? 'page' : undefined}>
                      {item.label}
                    </a>
                  </li>
                ))}
              </ul>
            </nav>
          )}
          <div className="site-header__actions">
            <LanguageSwitch />
            {props.actions}
          </div>
        </div>
      </header>
      <main id="main" tabIndex={-1} className={props.wide === true ? 'main main--wide' : 'main'}>
        {props.children}
      </main>
    </>
  );
}

let documentJustLoaded = true;

/**
 * The page's heading: it names the document and takes focus when the page
 * changes, so a screen reader announces where the person landed.
 */
export function PageHeading(props: { children: string; lead?: ReactNode }) {
  const ref = useRef<HTMLHeadingElement>(null);
  useEffect(() => {
    document.title = `${props.children} · Riposte`;
    // A freshly loaded document starts at the top (skip link first); later pages take focus.
    if (documentJustLoaded) documentJustLoaded = false;
    else ref.current?.focus();
  }, [props.children]);
  return (
    <div className="page-heading">
      <h1 ref={ref} tabIndex={-1}>
        {props.children}
      </h1>
      {props.lead === undefined ? null : <p className="lead">{props.lead}</p>}
    </div>
  );
}

export function Loading() {
  const { t } = useI18n();
  return (
    <p className="loading" role="status">
      {t('common.loading')}
    </p>
  );
}
