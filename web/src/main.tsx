import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { AccountApp } from './account/account-app.js';
import { AnnouncerProvider } from './ui/announcer.js';
import { OpsApp } from './ops/ops-app.js';
import './styles.css';

const isOpsConsole = window.location.pathname.startsWith('/ops/console');
const root = document.getElementById('root');
if (root !== null) {
  createRoot(root).render(
    <StrictMode>
      <AnnouncerProvider>{isOpsConsole ? <OpsApp /> : <AccountApp />}</AnnouncerProvider>
    </StrictMode>,
  );
}
