/** The store flow: browsing the catalog, a program's detail, buying for this device. */
import { randomUUID } from 'node:crypto';
import type { AppApi } from '../../../shared/app-api/app-api.ts';
import type { CoreParts } from '../core-parts.ts';

type StoreFlow = Pick<AppApi, 'browseCatalog' | 'getSoftware' | 'buy'>;

export function storeFlow(parts: CoreParts): StoreFlow {
  const { provider, session, device, copies, events } = parts;
  return {
    browseCatalog: (query) => provider.catalog(query),

    async getSoftware({ softwareId }) {
      return (await provider.software(softwareId)).software;
    },

    async buy({ softwareId }) {
      await device.requireEnrolled();
      // One key per purchase intent: the core's retries resend it, so a lost answer never
      // charges twice (DESIGN §2).
      const { purchase } = await session.authenticated(() =>
        provider.purchase({ softwareId, deviceId: device.id }, randomUUID()),
      );
      await copies.arrive({ softwareId: purchase.softwareId, copyId: purchase.copyId });
      events.emit('library-changed', { reason: `bought ${purchase.softwareId}` });
      return purchase;
    },
  };
}
