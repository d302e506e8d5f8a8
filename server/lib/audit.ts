/** The append-only audit log: every registration change writes one event. */
import type { Kysely } from 'kysely';
import type { Database, NewAuditEvent } from '../db/schema.ts';

export async function recordEvent(db: Kysely<Database>, event: NewAuditEvent, at: Date): Promise<void> {
  const { data = {}, ...columns } = event;
  await db
    .insertInto('audit_events')
    .values({ ...columns, data: JSON.stringify(data), created_at: at.toISOString() })
    .execute();
}
