import { useTransferStore } from '../../stores/transfer.ts';
import { ErrorNotice, Loading } from '../../ui/Notices.tsx';
import { chosenNames, type WizardData } from './wizard-data.ts';

/** Step 5: moved (and what to do next), or why not, with Try again. */
export function ResultStep({ data }: { data: WizardData }) {
  const choices = useTransferStore((s) => s.choices);
  const submitting = useTransferStore((s) => s.submitting);
  const outcome = useTransferStore((s) => s.outcome);
  const error = useTransferStore((s) => s.error);
  const { program, destination } = chosenNames(data, choices);

  if (submitting) return <Loading label={`Moving ${program}…`} />;
  if (error) {
    return (
      <div className="result" data-testid="transfer-failed">
        <ErrorNotice error={error} onRetry={() => void useTransferStore.getState().submit()} />
        <p className="muted">Nothing was moved. {program} is still where it was.</p>
      </div>
    );
  }
  if (!outcome) return null;
  return (
    <div className="result result-ok" data-testid="transfer-done">
      <span className="success-mark" aria-hidden="true">
        ✓
      </span>
      <p className="review-lead">
        {program} is now on {destination}.
      </p>
      {outcome.leftThisDevice ? (
        <p className="muted">It no longer runs on this device, and its license key here has been removed.</p>
      ) : null}
      {data.device(choices.destinationDeviceId)?.isThisDevice ? (
        <p className="muted">Install it now to run it here; no purchase is needed.</p>
      ) : (
        <p className="muted">Open Keyport on {destination} to install it there.</p>
      )}
    </div>
  );
}
