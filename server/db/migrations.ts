/**
 * Migrations as code. Each is written once against Kysely's schema builder so the
 * same file creates the schema on SQLite and on PostgreSQL; where the dialects differ
 * (auto-increment keys) the migration asks which one it is talking to.
 */
import { sql, type Kysely, type Migration, type MigrationProvider } from 'kysely';

export type Dialect = 'sqlite' | 'postgres';

function migrations(dialect: Dialect): Record<string, Migration> {
  return {
    '0001_registry': {
      async up(db: Kysely<unknown>) {
        await db.schema
          .createTable('users')
          .addColumn('user_id', 'text', (c) => c.primaryKey())
          .addColumn('email', 'text', (c) => c.notNull().unique())
          .addColumn('display_name', 'text', (c) => c.notNull())
          .addColumn('password_hash', 'text')
          .addColumn('created_at', 'text', (c) => c.notNull())
          .execute();

        await db.schema
          .createTable('sessions')
          .addColumn('token_hash', 'text', (c) => c.primaryKey())
          .addColumn('user_id', 'text', (c) => c.notNull().references('users.user_id').onDelete('cascade'))
          .addColumn('created_at', 'text', (c) => c.notNull())
          .addColumn('expires_at', 'text', (c) => c.notNull())
          .execute();
        await db.schema.createIndex('sessions_user').on('sessions').column('user_id').execute();

        // A device ID belongs to at most one user: the primary key is the device ID.
        await db.schema
          .createTable('devices')
          .addColumn('device_id', 'text', (c) => c.primaryKey())
          .addColumn('user_id', 'text', (c) => c.notNull().references('users.user_id'))
          .addColumn('name', 'text', (c) => c.notNull())
          .addColumn('platform', 'text', (c) => c.notNull())
          .addColumn('enrolled_at', 'text', (c) => c.notNull())
          .execute();
        await db.schema.createIndex('devices_user').on('devices').column('user_id').execute();

        await db.schema
          .createTable('software')
          .addColumn('software_id', 'text', (c) => c.primaryKey())
          .addColumn('name', 'text', (c) => c.notNull())
          .addColumn('summary', 'text', (c) => c.notNull())
          .addColumn('price_cents', 'integer', (c) => c.notNull())
          .addColumn('currency', 'text', (c) => c.notNull())
          .addColumn('created_at', 'text', (c) => c.notNull())
          .execute();

        await db.schema
          .createTable('releases')
          .addColumn('software_id', 'text', (c) => c.notNull().references('software.software_id'))
          .addColumn('version', 'text', (c) => c.notNull())
          .addColumn('sha256', 'text', (c) => c.notNull())
          .addColumn('size_bytes', 'bigint', (c) => c.notNull())
          .addColumn('entry', 'text', (c) => c.notNull())
          .addColumn('published_at', 'text', (c) => c.notNull())
          .addPrimaryKeyConstraint('releases_pk', ['software_id', 'version'])
          .execute();

        await db.schema
          .createTable('purchases')
          .addColumn('purchase_id', 'text', (c) => c.primaryKey())
          .addColumn('user_id', 'text', (c) => c.notNull().references('users.user_id'))
          .addColumn('software_id', 'text', (c) => c.notNull().references('software.software_id'))
          .addColumn('device_id', 'text', (c) => c.notNull())
          .addColumn('copy_id', 'text', (c) => c.notNull())
          .addColumn('price_cents', 'integer', (c) => c.notNull())
          .addColumn('currency', 'text', (c) => c.notNull())
          .addColumn('created_at', 'text', (c) => c.notNull())
          .execute();
        await db.schema.createIndex('purchases_user').on('purchases').column('user_id').execute();

        // Invariant 1 lives here: one copy per (user, software), and a copy is one row,
        // so it is registered to exactly one device at any moment.
        await db.schema
          .createTable('registrations')
          .addColumn('copy_id', 'text', (c) => c.primaryKey())
          .addColumn('user_id', 'text', (c) => c.notNull().references('users.user_id'))
          .addColumn('software_id', 'text', (c) => c.notNull().references('software.software_id'))
          .addColumn('device_id', 'text', (c) => c.notNull().references('devices.device_id'))
          .addColumn('registered_at', 'text', (c) => c.notNull())
          .addUniqueConstraint('registrations_one_copy_per_user', ['user_id', 'software_id'])
          .execute();
        await db.schema.createIndex('registrations_device').on('registrations').column('device_id').execute();

        await db.schema
          .createTable('license_transactions')
          .addColumn('transaction_hash', 'text', (c) => c.primaryKey())
          .addColumn('user_id', 'text', (c) => c.notNull().references('users.user_id'))
          .addColumn('device_id', 'text', (c) => c.notNull())
          .addColumn('software_id', 'text', (c) => c.notNull())
          .addColumn('copy_id', 'text', (c) => c.notNull())
          .addColumn('created_at', 'text', (c) => c.notNull())
          .addColumn('expires_at', 'text', (c) => c.notNull())
          .addColumn('redeemed_at', 'text')
          .execute();

        await db.schema
          .createTable('licenses')
          .addColumn('jti', 'text', (c) => c.primaryKey())
          .addColumn('copy_id', 'text', (c) => c.notNull())
          .addColumn('user_id', 'text', (c) => c.notNull().references('users.user_id'))
          .addColumn('software_id', 'text', (c) => c.notNull())
          .addColumn('device_id', 'text', (c) => c.notNull())
          .addColumn('issued_at', 'text', (c) => c.notNull())
          .addColumn('expires_at', 'text', (c) => c.notNull())
          .addColumn('revoked_at', 'text')
          .execute();
        await db.schema
          .createIndex('licenses_holder')
          .on('licenses')
          .columns(['user_id', 'software_id', 'device_id'])
          .execute();

        await db.schema
          .createTable('transfers')
          .addColumn('transfer_id', 'text', (c) => c.primaryKey())
          .addColumn('copy_id', 'text', (c) => c.notNull())
          .addColumn('user_id', 'text', (c) => c.notNull().references('users.user_id'))
          .addColumn('software_id', 'text', (c) => c.notNull())
          .addColumn('source_device_id', 'text', (c) => c.notNull())
          .addColumn('destination_device_id', 'text', (c) => c.notNull())
          .addColumn('created_at', 'text', (c) => c.notNull())
          .execute();
        await db.schema.createIndex('transfers_user').on('transfers').column('user_id').execute();

        await db.schema
          .createTable('idempotency_keys')
          .addColumn('user_id', 'text', (c) => c.notNull())
          .addColumn('scope', 'text', (c) => c.notNull())
          .addColumn('idempotency_key', 'text', (c) => c.notNull())
          .addColumn('request_hash', 'text', (c) => c.notNull())
          .addColumn('status_code', 'integer', (c) => c.notNull())
          .addColumn('response_body', 'text', (c) => c.notNull())
          .addColumn('created_at', 'text', (c) => c.notNull())
          .addPrimaryKeyConstraint('idempotency_keys_pk', ['user_id', 'scope', 'idempotency_key'])
          .execute();

        await db.schema
          .createTable('audit_events')
          .addColumn('event_id', dialect === 'postgres' ? 'bigserial' : 'integer', (c) =>
            dialect === 'postgres' ? c.primaryKey() : c.primaryKey().autoIncrement(),
          )
          .addColumn('type', 'text', (c) => c.notNull())
          .addColumn('user_id', 'text')
          .addColumn('software_id', 'text')
          .addColumn('device_id', 'text')
          .addColumn('copy_id', 'text')
          .addColumn('data', 'text', (c) => c.notNull())
          .addColumn('created_at', 'text', (c) => c.notNull())
          .execute();

        await db.schema
          .createTable('rate_limits')
          .addColumn('bucket', 'text', (c) => c.primaryKey())
          .addColumn('window_start', 'text', (c) => c.notNull())
          .addColumn('hits', 'integer', (c) => c.notNull())
          .execute();

        // The audit log is append-only: the database itself refuses to rewrite history.
        if (dialect === 'sqlite') {
          await sql`CREATE TRIGGER audit_events_no_update BEFORE UPDATE ON audit_events
            BEGIN SELECT RAISE(ABORT, 'audit events are append-only'); END`.execute(db);
          await sql`CREATE TRIGGER audit_events_no_delete BEFORE DELETE ON audit_events
            BEGIN SELECT RAISE(ABORT, 'audit events are append-only'); END`.execute(db);
        } else {
          await sql`CREATE FUNCTION audit_events_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN RAISE EXCEPTION 'audit events are append-only'; END $$`.execute(db);
          await sql`CREATE TRIGGER audit_events_append_only BEFORE UPDATE OR DELETE ON audit_events
            FOR EACH ROW EXECUTE FUNCTION audit_events_append_only()`.execute(db);
        }
      },
    },

    // What several provider instances on one database must agree on: the license-
    // signing keys (so a license signed by one verifies against any instance's JWKS)
    // and the admin token (only its SHA-256). On SQLite both stay in files under --data.
    '0002_shared_secrets': {
      async up(db: Kysely<unknown>) {
        // `generation` numbers keys 1, 2, 3…; its unique constraint is what lets two
        // instances that start at once both try to add key 1 and end up with one.
        await db.schema
          .createTable('signing_keys')
          .addColumn('kid', 'text', (c) => c.primaryKey())
          .addColumn('generation', 'integer', (c) => c.notNull().unique())
          .addColumn('private_jwk', 'text', (c) => c.notNull())
          .addColumn('created_at', 'text', (c) => c.notNull())
          .addColumn('activates_at', 'text', (c) => c.notNull())
          .execute();

        await db.schema
          .createTable('provider_secrets')
          .addColumn('name', 'text', (c) => c.primaryKey())
          .addColumn('value', 'text', (c) => c.notNull())
          .addColumn('created_at', 'text', (c) => c.notNull())
          .execute();
      },
    },
    '0003_release_expansion': {
      async up(db: Kysely<unknown>) {
        // What each release expands to, measured at publish, so the app can hold a package
        // to exactly that (releases published before this say nothing: null).
        await db.schema.alterTable('releases').addColumn('expanded_bytes', 'bigint').execute();
        await db.schema.alterTable('releases').addColumn('entry_count', 'integer').execute();
      },
    },
    // Device identity that survives real machines (issue 13): each device's hardware
    // components (HMACs, compared one by one to recognise a changed machine), the app
    // installations seen on it (to tell a clone from a reinstall), and recoveries.
    '0004_device_identity': {
      async up(db: Kysely<unknown>) {
        // Added columns are nullable: devices enrolled before this migration have none.
        await db.schema.alterTable('devices').addColumn('id_source', 'text').execute();
        // The installation that last enrolled or refreshed.
        await db.schema.alterTable('devices').addColumn('installation_id', 'text').execute();
        // When two installations were found alternating on this device ID (a clone), and
        // which of the two was seen first: the one a refusing provider keeps answering.
        await db.schema.alterTable('devices').addColumn('flagged_at', 'text').execute();
        await db.schema.alterTable('devices').addColumn('original_installation_id', 'text').execute();

        // References without ON DELETE CASCADE: retiring a device deletes these rows by
        // name (lib/device-records.ts), and a retirement that forgot one fails loudly.
        await db.schema
          .createTable('device_components')
          .addColumn('device_id', 'text', (c) => c.notNull().references('devices.device_id'))
          .addColumn('name', 'text', (c) => c.notNull())
          .addColumn('hmac', 'text', (c) => c.notNull())
          .addPrimaryKeyConstraint('device_components_pk', ['device_id', 'name'])
          .execute();

        await db.schema
          .createTable('device_installations')
          .addColumn('device_id', 'text', (c) => c.notNull().references('devices.device_id'))
          .addColumn('installation_id', 'text', (c) => c.notNull())
          .addColumn('first_seen_at', 'text', (c) => c.notNull())
          .addColumn('last_seen_at', 'text', (c) => c.notNull())
          .addPrimaryKeyConstraint('device_installations_pk', ['device_id', 'installation_id'])
          .execute();

        // One recovery per enrolment of the device recovered from: the unique key is what
        // turns any number of concurrent recoveries into one (the losers replay it). The
        // enrolment time is part of it because a retired device ID may be enrolled again
        // later, and that new enrolment may be recovered in its turn.
        await db.schema
          .createTable('recoveries')
          .addColumn('recovery_id', 'text', (c) => c.primaryKey())
          .addColumn('user_id', 'text', (c) => c.notNull().references('users.user_id'))
          .addColumn('from_device_id', 'text', (c) => c.notNull())
          .addColumn('from_enrolled_at', 'text', (c) => c.notNull())
          .addColumn('to_device_id', 'text', (c) => c.notNull())
          .addColumn('copies', 'text', (c) => c.notNull())
          .addColumn('created_at', 'text', (c) => c.notNull())
          .addUniqueConstraint('recoveries_one_per_enrolment', [
            'user_id',
            'from_device_id',
            'from_enrolled_at',
          ])
          .execute();
      },
    },
    // The last components each installation reported (HMACs, as in device_components), so
    // two installations alternating on one device ID count as a clone only when their
    // hardware differs: the user and root (two keychains) on one machine are not a clone.
    '0005_installation_components': {
      async up(db: Kysely<unknown>) {
        // Deleted by name with the device, like device_components (lib/device-records.ts).
        await db.schema
          .createTable('installation_components')
          .addColumn('device_id', 'text', (c) => c.notNull().references('devices.device_id'))
          .addColumn('installation_id', 'text', (c) => c.notNull())
          .addColumn('name', 'text', (c) => c.notNull())
          .addColumn('hmac', 'text', (c) => c.notNull())
          .addPrimaryKeyConstraint('installation_components_pk', ['device_id', 'installation_id', 'name'])
          .execute();
      },
    },
  };
}

export class CodeMigrationProvider implements MigrationProvider {
  constructor(private readonly dialect: Dialect) {}
  async getMigrations(): Promise<Record<string, Migration>> {
    return migrations(this.dialect);
  }
}
