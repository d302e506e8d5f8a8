/**
 * The transfer flow (S81–S97): one atomic move on the provider, no second charge; the
 * source loses its key at once when it is this device, and the destination records the
 * arrival when it is this one.
 */
import { randomUUID } from 'node:crypto';
import type { AppApi } from '../../../shared/app-api/app-api.ts';
import type { CoreParts } from '../core-parts.ts';

type TransferFlow = Pick<AppApi, 'transfer' | 'listTransfers'>;

export function transferFlow(parts: CoreParts): TransferFlow {
  const { provider, session, device, copies, licenses, events } = parts;
  return {
    async transfer(input) {
      session.require();
      // One key per move intent, resent by retries: a lost answer never moves twice.
      const { transfer } = await session.authenticated(() => provider.transfer(input, randomUUID()));
      const leftThisDevice = transfer.sourceDeviceId === device.id;
      if (leftThisDevice) await licenses.markMoved(transfer.softwareId);
      if (transfer.destinationDeviceId === device.id) {
        await copies.arrive({ softwareId: transfer.softwareId, copyId: transfer.copyId });
      }
      events.emit('library-changed', { reason: `moved ${transfer.softwareId}` });
      return { transfer, leftThisDevice };
    },

    async listTransfers() {
      session.require();
      return (await session.authenticated(() => provider.transfers())).transfers;
    },
  };
}
