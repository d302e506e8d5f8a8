import { useLibraryStore } from '../../stores/library.ts';
import { useNavigationStore } from '../../stores/navigation.ts';
import { isDecided, TRANSFER_STEPS, useTransferStore } from '../../stores/transfer.ts';
import { chosenNames, type Readiness, type WizardData } from './wizard-data.ts';

/** The footer: Cancel, Back and Next (or "Move <program>") while choosing, then what comes after. */
export function WizardButtons({ data, readiness }: { data: WizardData; readiness: Readiness }) {
  const step = useTransferStore((s) => s.step);
  const choices = useTransferStore((s) => s.choices);
  const submitting = useTransferStore((s) => s.submitting);
  const outcome = useTransferStore((s) => s.outcome);
  const { next, back, submit, close } = useTransferStore.getState();

  if (step === 'result') {
    if (submitting) return null;
    if (!outcome) {
      return (
        <>
          <button type="button" className="quiet" onClick={back}>
            Back
          </button>
          <button type="button" onClick={close}>
            Close
          </button>
        </>
      );
    }
    if (!data.device(choices.destinationDeviceId)?.isThisDevice) {
      return (
        <button type="button" className="primary" onClick={close}>
          Done
        </button>
      );
    }
    const softwareId = choices.softwareId!;
    // The library is where an install's progress shows, so go there as it starts.
    const installNow = () => {
      close();
      useNavigationStore.getState().go('library');
      void useLibraryStore.getState().install(softwareId);
    };
    return (
      <>
        <button type="button" className="quiet" onClick={close}>
          Later
        </button>
        <button type="button" className="primary" onClick={installNow}>
          Install now
        </button>
      </>
    );
  }

  return (
    <>
      <button type="button" className="quiet wizard-cancel" onClick={close} disabled={submitting}>
        Cancel
      </button>
      {step === TRANSFER_STEPS[0] ? null : (
        <button type="button" onClick={back} disabled={submitting}>
          Back
        </button>
      )}
      {step === 'review' ? (
        <button
          type="button"
          className="primary"
          onClick={() => void submit()}
          disabled={submitting || readiness !== 'ready'}
        >
          {submitting ? 'Moving…' : `Move ${chosenNames(data, choices).program}`}
        </button>
      ) : (
        <button
          type="button"
          className="primary"
          onClick={next}
          disabled={readiness !== 'ready' || !isDecided(step, choices)}
        >
          Next
        </button>
      )}
    </>
  );
}
