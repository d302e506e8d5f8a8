/**
 * License keys on this device (S33–S37): the transaction-ID handshake, the key kept in
 * the SecretStore, the authentication information (device ID) kept in local state, the
 * lease refreshed while online — and, when the provider refuses a refresh because the
 * copy moved away, the key removed and the copy marked as moved (invariant 4).
 *
 * A key is removed only on the provider's word that the copy left the device the key was
 * issued to (LICENSE_REVOKED / NOT_REGISTERED); never on a local guess. A refresh refused
 * because the device ID is in use on two machines (DEVICE_CLONED) keeps the key: it runs
 * until its lease ends, and the library says why it will not be renewed.
 */
import { AppError, copyGoneFromDevice, renewalRefusedAsClone } from '../../shared/app-api/app-errors.ts';
import {
  verifyProviderLicense,
  type LicenseClaims,
  type ProviderKeys,
} from '../../shared/license/license.ts';
import type { LocalCopy, LocalStateStore } from './local-state.ts';
import type { ProviderClient } from './provider-client.ts';
import type { SecretStore } from './secret-store.ts';
import type { ThisDevice } from './this-device.ts';

const keyName = (softwareId: string) => `license:${softwareId}`;
const DAY = 24 * 60 * 60 * 1000;

export class LicenseKeeper {
  constructor(
    private readonly provider: ProviderClient,
    private readonly secrets: SecretStore,
    private readonly state: LocalStateStore,
    private readonly device: Pick<ThisDevice, 'id' | 'refreshReport'>,
    private readonly now: () => Date,
    /** Renew a lease once less than this much of it is left. */
    private readonly leaseRefreshMarginMs = 20 * DAY,
  ) {}

  readKey(softwareId: string): Promise<string | null> {
    return this.secrets.get(keyName(softwareId));
  }

  /**
   * The provider's public keys and issuer, fetched again when a key names a `kid` we do not
   * have. A cache saved before the provider published its issuer is stale too: it cannot
   * say which `iss` to accept, and accepting any would let another issuer's keys run.
   */
  async jwks(options: { refresh?: boolean; kid?: string } = {}): Promise<ProviderKeys> {
    const cached = this.state.current.jwks;
    const known = !options.kid || cached?.keys.some((key) => key.kid === options.kid);
    if (cached?.issuer && known && !options.refresh) return { issuer: cached.issuer, keys: cached.keys };
    const fresh = await this.provider.jwks();
    await this.state.update((state) => {
      state.jwks = fresh;
    });
    return fresh;
  }

  /** S33–S37: request a transaction ID, redeem it, check the key, keep it. */
  async acquire(softwareId: string): Promise<LicenseClaims> {
    const deviceId = this.device.id;
    const { transactionId } = await this.provider.requestLicense({ softwareId, deviceId });
    const { licenseKey } = await this.provider.redeem({ transactionId, deviceId });
    return this.keep(softwareId, deviceId, licenseKey);
  }

  /**
   * Renew the lease. If the provider says the copy left this device, forget the key and
   * mark the copy moved; the error still reaches the caller so it can say so.
   */
  async refresh(softwareId: string): Promise<LicenseClaims> {
    const deviceId = this.device.id;
    try {
      const { licenseKey } = await this.provider.refresh({
        softwareId,
        deviceId,
        ...this.device.refreshReport,
      });
      return await this.keep(softwareId, deviceId, licenseKey);
    } catch (error) {
      // The provider spoke about this device: only a key issued to it is the one that moved.
      if (copyGoneFromDevice(error) && this.state.copy(softwareId)?.authDeviceId === deviceId) {
        await this.markMoved(softwareId);
      }
      if (renewalRefusedAsClone(error)) {
        await this.state.update((state) => {
          const copy = state.copies[softwareId];
          if (copy) copy.renewalRefused = error.message;
        });
      }
      throw error;
    }
  }

  leaseRunningLow(copy: LocalCopy): boolean {
    return (
      copy.licenseExpiresAt === null ||
      Date.parse(copy.licenseExpiresAt) - this.now().getTime() < this.leaseRefreshMarginMs
    );
  }

  /** Remove the key and the authentication information; the copy no longer runs here. */
  async forget(softwareId: string): Promise<void> {
    await this.secrets.delete(keyName(softwareId));
    if (this.state.copy(softwareId)) {
      await this.state.update((state) => {
        const copy = state.copies[softwareId];
        if (copy) {
          copy.authDeviceId = null;
          copy.licenseExpiresAt = null;
        }
      });
    }
  }

  async markMoved(softwareId: string): Promise<void> {
    await this.forget(softwareId);
    await this.state.update((state) => {
      const copy = state.copies[softwareId];
      if (copy) {
        copy.status = 'moved';
        copy.movedAt = this.now().toISOString();
      }
    });
  }

  /** Check a key the provider just issued before trusting it, then store it (S36–S37). */
  private async keep(softwareId: string, deviceId: string, licenseKey: string): Promise<LicenseClaims> {
    const kid = kidOf(licenseKey);
    const claims = await verifyProviderLicense(licenseKey, await this.jwks({ kid }), {
      softwareId,
      deviceId,
      now: this.now(),
    }).catch((error: unknown) => {
      throw new AppError(
        'LICENSE_INVALID',
        `The store sent a license key that does not check (${(error as Error).message}). Try again later.`,
      );
    });
    await this.secrets.set(keyName(softwareId), licenseKey);
    await this.state.update((state) => {
      const copy = state.copies[softwareId];
      if (copy) {
        copy.copyId = claims.sub;
        copy.status = 'active';
        copy.movedAt = null;
        copy.authDeviceId = deviceId;
        copy.licenseExpiresAt = new Date(claims.exp * 1000).toISOString();
        delete copy.renewalRefused;
      }
    });
    return claims;
  }
}

function kidOf(licenseKey: string): string | undefined {
  try {
    const header = JSON.parse(Buffer.from(licenseKey.split('.')[0] ?? '', 'base64url').toString('utf8'));
    return typeof header.kid === 'string' ? header.kid : undefined;
  } catch {
    return undefined;
  }
}
