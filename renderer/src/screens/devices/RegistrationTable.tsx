import type { DeviceSummary } from '@shared/app-api/app-api.ts';
import { useLibraryStore } from '../../stores/library.ts';
import { useNavigationStore } from '../../stores/navigation.ts';
import { EmptyState, ErrorNotice, Skeleton } from '../../ui/Notices.tsx';

/** The registered information: one row per program, one column per device. */
export function RegistrationTable({ devices }: { devices: DeviceSummary[] }) {
  const items = useLibraryStore((s) => s.items);
  const loaded = useLibraryStore((s) => s.loaded);
  const error = useLibraryStore((s) => s.error);

  // The devices and the library are read separately and can be a refresh apart: a copy
  // the devices know of but the library does not yet still gets its row, under its ID.
  const programNames = new Map(items.map((item) => [item.softwareId, item.name]));
  for (const device of devices) {
    for (const softwareId of device.software) {
      if (!programNames.has(softwareId)) programNames.set(softwareId, softwareId);
    }
  }
  const rows = [...programNames].sort((a, b) => a[1].localeCompare(b[1]));

  return (
    <section className="devices-section" aria-labelledby="registered-title">
      <div className="devices-section-head">
        <h2 id="registered-title">Registered information</h2>
        <span className="muted">Each copy is registered to exactly one device.</span>
      </div>
      {!loaded && rows.length === 0 ? (
        <Skeleton rows={2} label="Loading your programs…" />
      ) : error && rows.length === 0 ? (
        <ErrorNotice error={error} onRetry={() => void useLibraryStore.getState().refresh()} />
      ) : rows.length === 0 ? (
        <EmptyState
          title="You do not own any programs yet"
          testId="registration-empty"
          action={
            <button
              type="button"
              className="primary"
              onClick={() => useNavigationStore.getState().go('store')}
            >
              Browse the store
            </button>
          }
        >
          When you buy something, this table shows which device it is registered to.
        </EmptyState>
      ) : (
        // With many devices the table scrolls sideways; the region takes focus so the
        // arrow keys can scroll it.
        <div className="table-scroll" role="region" aria-labelledby="registered-title" tabIndex={0}>
          <table className="registration-table" data-testid="registration-table">
            <caption className="visually-hidden">
              Registered information: which device each program is registered to
            </caption>
            <thead>
              <tr>
                <th scope="col">Program</th>
                {devices.map((device) => (
                  <th
                    key={device.deviceId}
                    scope="col"
                    className={device.isThisDevice ? 'current-device' : undefined}
                  >
                    {device.name}
                    {device.isThisDevice ? (
                      <>
                        {' '}
                        <span className="column-badge">(this device)</span>
                      </>
                    ) : null}
                  </th>
                ))}
              </tr>
            </thead>
            <tbody>
              {rows.map(([softwareId, name]) => (
                <tr key={softwareId}>
                  <th scope="row">{name}</th>
                  {devices.map((device) => (
                    <RegistrationCell
                      key={device.deviceId}
                      registered={device.software.includes(softwareId)}
                    />
                  ))}
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}

/** A mark for the eye, and the word for screen readers and the tests. */
function RegistrationCell({ registered }: { registered: boolean }) {
  return (
    <td className={registered ? 'registered' : 'not-registered'}>
      <span className={registered ? 'registration-tick' : 'registration-dash'} aria-hidden="true">
        {registered ? '✓' : '·'}
      </span>
      <span className="visually-hidden">{registered ? 'Registered' : 'Not registered'}</span>
    </td>
  );
}
