import type { AppBridge } from '@shared/app-api/app-api.ts';

declare global {
  interface Window {
    /** Set by the Electron preload; absent in the web shell. */
    keyport?: AppBridge;
  }
}

export {};
