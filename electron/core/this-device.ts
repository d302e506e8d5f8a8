/**
 * This device, owned in one place: its identity (the ID and the sources it was read
 * from), the name it is enrolled under, and whether it is enrolled at all — learned from
 * the account's device list, which is kept here too, since the library and the status
 * name devices from it.
 */
import { hostname } from 'node:os';
import type { Device } from '../../shared/provider-api/schemas.ts';
import type { AppStatus } from '../../shared/app-api/app-api.ts';
import { AppError } from '../../shared/app-api/app-errors.ts';
import { shortDeviceId } from '../../shared/license/license.ts';
import { readDeviceIdentity, type DeviceIdentity } from './device-identity.ts';
import type { LocalStateStore } from './local-state.ts';
import type { ProviderClient } from './provider-client.ts';
import type { Session } from './session.ts';

export class ThisDevice {
  /** The account's devices as last listed; null until listed in this session. */
  private devices: Device[] | null = null;

  constructor(
    private readonly identity: DeviceIdentity,
    private readonly simulateDevice: string | null,
    private readonly provider: ProviderClient,
    private readonly session: Session,
    private readonly state: LocalStateStore,
  ) {}

  get id(): string {
    return this.identity.deviceId;
  }

  /**
   * The ID read again from the machine, for the launch check (S51–S54): a profile copied
   * to another machine must not run with the ID this process read when it started.
   */
  async readIdAtLaunch(): Promise<string> {
    return (await readDeviceIdentity(this.simulateDevice)).deviceId;
  }

  defaultName(): string {
    return this.identity.simulatedAs ?? hostname();
  }

  summary(): AppStatus['device'] {
    return {
      deviceId: this.id,
      shortId: shortDeviceId(this.id),
      name: this.nameOf(this.id) ?? this.defaultName(),
      platform: process.platform,
      enrolled: this.state.current.enrolled,
      sources: this.identity.sources,
      simulatedAs: this.identity.simulatedAs,
    };
  }

  /** A device's name from the last list, or null when it is not (yet) in it. */
  nameOf(deviceId: string | null): string | null {
    return this.devices?.find((device) => device.deviceId === deviceId)?.name ?? null;
  }

  /** Whether the account's devices have been listed in this session. */
  get listed(): boolean {
    return this.devices !== null;
  }

  /** Whether the device list has been fetched and names every one of these devices. */
  knows(deviceIds: string[]): boolean {
    const known = new Set(this.devices?.map((device) => device.deviceId));
    return this.devices !== null && deviceIds.every((deviceId) => known.has(deviceId));
  }

  /** The account's devices from the provider; also learns whether this one is enrolled. */
  async listAccountDevices(): Promise<Device[]> {
    const { devices } = await this.session.authenticated(() => this.provider.listDevices());
    this.devices = devices;
    const enrolled = devices.some((device) => device.deviceId === this.id);
    if (enrolled !== this.state.current.enrolled) {
      await this.state.update((state) => {
        state.enrolled = enrolled;
      });
    }
    return devices;
  }

  /** The session ended: the next account's devices are not these. */
  forgetAccountDevices(): void {
    this.devices = null;
  }

  async enrol(name: string | undefined): Promise<void> {
    this.session.require();
    await this.session.authenticated(() =>
      this.provider.enrolDevice({
        deviceId: this.id,
        name: name ?? this.defaultName(),
        platform: process.platform,
      }),
    );
    await this.listAccountDevices();
  }

  async requireEnrolled(): Promise<void> {
    this.session.require();
    if (this.state.current.enrolled) return;
    await this.listAccountDevices();
    if (!this.state.current.enrolled) {
      throw new AppError('NOT_ENROLLED', 'Enrol this device to your account first, then try again.');
    }
  }
}
