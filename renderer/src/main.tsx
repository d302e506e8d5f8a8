import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
// The base styles before the screens (App imports them), so a screen's stylesheet wins ties.
import './styles.css';
import './ui/ui.css';
import './shell/shell.css';
import { App } from './App.tsx';

const root = document.getElementById('root');
if (!root) throw new Error('index.html has no #root element');
createRoot(root).render(
  <StrictMode>
    <App />
  </StrictMode>,
);
