import type { ClientBridge } from '@shared/client-api.ts';

declare global {
  interface Window {
    /** Set by the Electron preload; absent in the web shell. */
    keyport?: ClientBridge;
  }
}

export {};
