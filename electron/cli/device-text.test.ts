/** The sentences `keyport` prints about devices, as a person reads them. */
import { describe, expect, it } from 'vitest';
import type { DeviceSummary } from '../../shared/app-api/app-api.ts';
import {
  deviceLine,
  idSourceLine,
  limitRecognitionOffer,
  recognitionOffer,
  recoveryDone,
} from './device-text.ts';

const DESK = 'd'.repeat(64);

describe('what keyport says about devices', () => {
  it('offers the recovery after enrolling, with the command to run', () => {
    const offer = recognitionOffer({
      deviceId: DESK,
      name: 'Desk PC',
      matchedComponents: 4,
      comparedComponents: 5,
      software: ['ascii-mandelbrot', 'sudoku-solver'],
    });
    expect(offer).toBe(
      'This looks like your Desk PC after a hardware change: run `keyport recover --from "Desk PC"` to move its 2 programs here.',
    );
  });

  it('at the device limit, offers to enrol by recovering the recognised device', () => {
    const desk = { deviceId: DESK, name: 'Desk PC', matchedComponents: 4, comparedComponents: 5 };
    expect(limitRecognitionOffer({ ...desk, software: ['ascii-mandelbrot'] })).toBe(
      'This looks like your Desk PC after a hardware change: run `keyport recover --from "Desk PC"` to enrol this machine in its place and move its 1 program here (Desk PC is retired).',
    );
    expect(limitRecognitionOffer({ ...desk, software: [] })).toBe(
      'This looks like your Desk PC after a hardware change: run `keyport recover --from "Desk PC"` to enrol this machine in its place (Desk PC is retired).',
    );
  });

  it('shows where the ID comes from, and what a generated one means', () => {
    expect(idSourceLine({ sources: ['os.machine-id', 'disk.serial'], idSource: 'os' })).toBe(
      'os.machine-id, disk.serial',
    );
    expect(idSourceLine({ sources: ['profile.install-id'], idSource: 'generated' })).toBe(
      'profile.install-id (generated: it changes if the profile is deleted)',
    );
  });

  it('marks a device in use on two machines', () => {
    const device: DeviceSummary = {
      deviceId: DESK,
      name: 'Desk PC',
      platform: 'linux',
      enrolledAt: '2026-01-01T00:00:00.000Z',
      flags: ['in-use-on-two-machines'],
      isThisDevice: true,
      software: ['ascii-mandelbrot'],
    };
    expect(deviceLine(device)).toBe(
      '* dddddddddddd  Desk PC              linux    ascii-mandelbrot  — in use on two machines',
    );
    expect(deviceLine({ ...device, flags: [], isThisDevice: false, software: [] })).toBe(
      '  dddddddddddd  Desk PC              linux    (no software)',
    );
  });

  it('reports a recovery', () => {
    const recovery = {
      recoveryId: 'rec_1',
      fromDeviceId: DESK,
      toDeviceId: 'e'.repeat(64),
      copies: [{ copyId: 'cp_1', softwareId: 'ascii-mandelbrot' }],
      createdAt: '2026-01-01T00:00:00.000Z',
    };
    expect(recoveryDone({ recovery, fromDeviceName: 'Desk PC' })).toBe(
      'Moved 1 program here from "Desk PC" (ascii-mandelbrot) and retired it. Install it here: keyport install ascii-mandelbrot',
    );
  });
});
