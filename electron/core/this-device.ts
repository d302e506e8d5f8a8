/**
 * This device, owned in one place: its identity (the ID, its hardware components and the
 * sources they were read from), this installation's ID, the name it is enrolled under, and
 * whether it is enrolled at all — learned from the account's device list, which is kept
 * here too, since the library and the status name devices from it. After enrolling (or
 * being refused at the device limit), it also holds the older device the provider
 * recognised it as, if any, until a recovery.
 */
import { hostname } from 'node:os';
import type { Device, Recognition, RecoverEnrolment } from '../../shared/provider-api/schemas.ts';
import type { AppStatus } from '../../shared/app-api/app-api.ts';
import { AppError } from '../../shared/app-api/app-errors.ts';
import { shortDeviceId } from '../../shared/license/license.ts';
import type { DeviceIdentity } from './device-identity.ts';
import type { LocalStateStore } from './local-state.ts';
import type { ProviderClient } from './provider-client.ts';
import type { Session } from './session.ts';

export class ThisDevice {
  /** The account's devices as last listed; null until listed in this session. */
  private devices: Device[] | null = null;
  /** What the last enrolment said this device looks like; cleared by a recovery. */
  private recognition: Recognition | null = null;
  /** The name the last enrolment asked for (undefined: the default name). */
  private requestedName: string | undefined;

  constructor(
    private readonly identity: DeviceIdentity,
    /** Reads the identity again from the machine (for the launch check). */
    private readonly readIdentity: () => Promise<DeviceIdentity>,
    /** SHA-256 of this installation's secret (installation.ts). */
    readonly installationId: string,
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
    return (await this.readIdentity()).deviceId;
  }

  /** What a lease refresh reports beside the copy: which installation asks, and the hardware now. */
  get refreshReport(): { components: DeviceIdentity['components']; installationId: string } {
    return { components: this.identity.components, installationId: this.installationId };
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
      idSource: this.identity.idSource,
      simulatedAs: this.identity.simulatedAs,
      recognisedAs: this.recognisedAs,
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
    this.recognition = null;
  }

  /**
   * The recognition is kept for the first-run screen's offer (`recoverDevice`). At the
   * device limit the enrolment is refused (DEVICE_LIMIT, rethrown), but the provider is
   * still asked which device this one looks like: recovering that one enrols this one.
   */
  async enrol(name: string | undefined): Promise<void> {
    this.session.require();
    this.requestedName = name;
    try {
      const { recognisedAs } = await this.session.authenticated(() =>
        this.provider.enrolDevice({ deviceId: this.id, ...this.enrolment() }),
      );
      this.recognition = recognisedAs;
    } catch (error) {
      if (error instanceof AppError && error.code === 'DEVICE_LIMIT') {
        this.recognition = await this.session
          .authenticated(() =>
            this.provider.recogniseDevice({ deviceId: this.id, components: this.identity.components }),
          )
          .then((answer) => answer.recognisedAs)
          .catch(() => null);
      }
      throw error;
    }
    await this.listAccountDevices();
  }

  /** What this device enrols with: the name asked for last (or the default) and what it reports. */
  enrolment(): RecoverEnrolment {
    return {
      name: this.requestedName ?? this.defaultName(),
      platform: process.platform,
      components: this.identity.components,
      installationId: this.installationId,
      idSource: this.identity.idSource,
    };
  }

  get recognisedAs(): Recognition | null {
    return this.recognition;
  }

  /** The offer was taken (or is void): the recognised device's programs are here now. */
  forgetRecognition(): void {
    this.recognition = null;
  }

  /** Whether this device is enrolled, as last learned. */
  get enrolled(): boolean {
    return this.state.current.enrolled;
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
