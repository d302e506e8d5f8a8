/**
 * The run flow (S51–S54): before every launch, the device ID read from the machine must
 * match the one the license was issued to, the key must verify, and — while online — the
 * provider must still have the copy registered here, so a copy moved away stops at once
 * rather than when its lease ends.
 */
import type { AppApi } from '../../../shared/app-api/app-api.ts';
import { AppError, renewalRefusedAsClone, storeUnreachable } from '../../../shared/app-api/app-errors.ts';
import type { CoreParts } from '../core-parts.ts';
import { resolveEntryPoint } from '../installer.ts';
import { checkLaunch, readLatestRunLog, runProgram } from '../launcher.ts';

type RunFlow = Pick<AppApi, 'run' | 'readRunLog'>;

export function runFlow(parts: CoreParts): RunFlow {
  const { session, device, copies, licenses, state, events, folders } = parts;

  /**
   * While online, a launch first asks whether the copy is still registered here and renews
   * a lease that is running low. Offline, the lease alone decides.
   */
  async function checkWithProvider(softwareId: string): Promise<void> {
    const copy = state.copy(softwareId);
    if (!session.token || !copy || copy.status !== 'active') return;
    // A profile carried to another machine: say so (DEVICE_MISMATCH), do not rewrite its state.
    if (copy.authDeviceId !== null && copy.authDeviceId !== device.id) return;
    try {
      // A cache saved before the JWKS named its issuer is stale: fetch it now (licenses.ts)
      // rather than refuse the launch as if offline.
      await licenses.jwks();
      if (!(await copies.registeredHere(softwareId))) {
        await licenses.markMoved(softwareId);
        events.emit('library-changed', { reason: `${softwareId} moved away` });
        return;
      }
      if (licenses.leaseRunningLow(copy)) await licenses.refresh(softwareId);
    } catch (error) {
      if (storeUnreachable(error)) return;
      if (error instanceof AppError && error.code === 'LICENSE_REVOKED') return; // marked moved already
      // Not renewed, but the key is kept: it runs until its lease ends (licenses.ts).
      if (renewalRefusedAsClone(error)) return;
      throw error;
    }
  }

  /** A lease that ended because the provider would not renew it: say why, not "go online". */
  function explainRefusal(softwareId: string, error: unknown): unknown {
    const refused = state.copy(softwareId)?.renewalRefused;
    return refused && error instanceof AppError && error.code === 'LICENSE_INVALID'
      ? new AppError('DEVICE_CLONED', refused)
      : error;
  }

  return {
    async run({ softwareId }) {
      await checkWithProvider(softwareId);
      const deviceId = await device.readIdAtLaunch();
      const approved = await checkLaunch({
        softwareId,
        copy: state.copy(softwareId),
        licenseKey: await licenses.readKey(softwareId),
        currentDeviceId: deviceId,
        jwks: state.current.jwks,
        now: parts.now(),
      }).catch((error: unknown) => {
        throw explainRefusal(softwareId, error);
      });
      const { installed } = approved;
      const entryPath = await resolveEntryPoint({
        installDir: installed.installDir,
        manifest: { version: installed.version, entry: installed.entry },
      });
      return runProgram({
        softwareId,
        name: approved.name,
        installDir: installed.installDir,
        entryPath,
        licenseKey: approved.licenseKey,
        deviceId,
        logDir: folders.logs,
      });
    },

    readRunLog: ({ softwareId }) => readLatestRunLog(folders.logs, softwareId),
  };
}
