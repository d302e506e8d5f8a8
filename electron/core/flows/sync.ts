/**
 * The sync flow: reconcile this device with the registered information (arrivals and
 * departures), refresh the provider's public keys, renew leases running low.
 */
import type { AppApi } from '../../../shared/app-api/app-api.ts';
import { copyGoneFromDevice } from '../../../shared/app-api/app-errors.ts';
import type { CoreParts } from '../core-parts.ts';

type SyncFlow = Pick<AppApi, 'sync'>;

export function syncFlow(parts: CoreParts): SyncFlow {
  const { session, device, copies, licenses, state, events } = parts;
  return {
    async sync() {
      session.require();
      await device.listAccountDevices();
      const report = await copies.reconcile(await copies.registrations());
      await licenses.jwks({ refresh: true });
      for (const copy of Object.values(state.current.copies)) {
        if (copy.status !== 'active' || copy.authDeviceId === null || !licenses.leaseRunningLow(copy))
          continue;
        try {
          await licenses.refresh(copy.softwareId);
          report.refreshed.push(copy.softwareId);
        } catch (error) {
          if (copyGoneFromDevice(error)) report.departures.push(copy.softwareId);
          else throw error;
        }
      }
      if (report.arrivals.length + report.departures.length + report.refreshed.length > 0) {
        events.emit('library-changed', { reason: 'sync' });
      }
      return report;
    },
  };
}
