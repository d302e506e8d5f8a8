/**
 * The sync flow: reconcile this device with the registered information (arrivals and
 * departures), refresh the provider's public keys, renew leases running low.
 *
 * Only keys issued to this device ID are renewed: a key from another device ID (a profile
 * from before the ID was read as it is now) is not this device's to renew, and asking
 * would only earn a refusal that is no word about that key's copy.
 */
import type { AppApi } from '../../../shared/app-api/app-api.ts';
import type { AppError } from '../../../shared/app-api/app-errors.ts';
import { copyGoneFromDevice, renewalRefusedAsClone } from '../../../shared/app-api/app-errors.ts';
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
      let cloned: AppError | null = null;
      for (const copy of Object.values(state.current.copies)) {
        if (copy.status !== 'active' || copy.authDeviceId !== device.id || !licenses.leaseRunningLow(copy))
          continue;
        try {
          await licenses.refresh(copy.softwareId);
          report.refreshed.push(copy.softwareId);
        } catch (error) {
          if (copyGoneFromDevice(error)) report.departures.push(copy.softwareId);
          // Recorded on the copy; the other copies are still renewed where they can be.
          else if (renewalRefusedAsClone(error)) cloned = error;
          else throw error;
        }
      }
      if (report.arrivals.length + report.departures.length + report.refreshed.length > 0 || cloned) {
        events.emit('library-changed', { reason: 'sync' });
      }
      // The one refusal that needs the person: say it, once the rest is done.
      if (cloned) throw cloned;
      return report;
    },
  };
}
