/** Database rows → API objects (snake_case columns → the camelCase contract). */
import type { Selectable } from 'kysely';
import type {
  Device,
  Purchase,
  Recovery,
  Registration,
  Transfer,
  User,
} from '../../shared/provider-api/schemas.ts';
import type {
  DeviceRow,
  PurchasesTable,
  RecoveryRow,
  RegistrationRow,
  TransfersTable,
  UserRow,
} from '../db/schema.ts';

export const toUser = (row: UserRow): User => ({
  userId: row.user_id,
  email: row.email,
  displayName: row.display_name,
  createdAt: row.created_at,
});

export const toDevice = (row: DeviceRow): Device => ({
  deviceId: row.device_id,
  name: row.name,
  platform: row.platform,
  enrolledAt: row.enrolled_at,
  flags: row.flagged_at === null ? [] : ['in-use-on-two-machines'],
});

export const toRegistration = (row: RegistrationRow): Registration => ({
  copyId: row.copy_id,
  softwareId: row.software_id,
  deviceId: row.device_id,
  registeredAt: row.registered_at,
});

export const toPurchase = (row: Selectable<PurchasesTable>): Purchase => ({
  purchaseId: row.purchase_id,
  softwareId: row.software_id,
  deviceId: row.device_id,
  copyId: row.copy_id,
  priceCents: row.price_cents,
  currency: row.currency,
  createdAt: row.created_at,
});

export const toTransfer = (row: Selectable<TransfersTable>): Transfer => ({
  transferId: row.transfer_id,
  copyId: row.copy_id,
  softwareId: row.software_id,
  sourceDeviceId: row.source_device_id,
  destinationDeviceId: row.destination_device_id,
  createdAt: row.created_at,
});

export const toRecovery = (row: RecoveryRow): Recovery => ({
  recoveryId: row.recovery_id,
  fromDeviceId: row.from_device_id,
  toDeviceId: row.to_device_id,
  copies: JSON.parse(row.copies) as Recovery['copies'],
  createdAt: row.created_at,
});
