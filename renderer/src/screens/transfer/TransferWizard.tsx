import { useEffect, useId, useRef } from 'react';
import { useDevicesStore } from '../../stores/devices.ts';
import { useLibraryStore } from '../../stores/library.ts';
import { TRANSFER_STEPS, useTransferStore, type TransferStep } from '../../stores/transfer.ts';
import { Dialog } from '../../ui/Dialog.tsx';
import { ErrorNotice, Loading } from '../../ui/Notices.tsx';
import { DestinationStep, SourceStep } from './DeviceSteps.tsx';
import { ResultStep } from './ResultStep.tsx';
import { ReviewStep } from './ReviewStep.tsx';
import { SoftwareStep } from './SoftwareStep.tsx';
import { useReadiness, useWizardData, type Readiness, type WizardData } from './wizard-data.ts';
import { WizardButtons } from './WizardButtons.tsx';
import './transfer.css';

const STEP_LABELS: Record<TransferStep, string> = {
  software: 'Software',
  source: 'From',
  destination: 'To',
  review: 'Review',
  result: 'Result',
};

/** Moving a copy from one of the user's devices to another: software, from, to, review, result. */
export function TransferWizard() {
  const step = useTransferStore((s) => s.step);
  const submitting = useTransferStore((s) => s.submitting);
  const outcome = useTransferStore((s) => s.outcome);
  const error = useTransferStore((s) => s.error);
  const data = useWizardData();
  const readiness = useReadiness();
  const heading = useRef<HTMLHeadingElement>(null);
  const headingId = useId();
  const number = TRANSFER_STEPS.indexOf(step) + 1;
  const title = stepTitle(step, submitting, outcome !== null, error !== null);
  const phase = submitting ? 'moving' : outcome ? 'moved' : error ? 'failed' : 'choosing';

  // Each new step, and each turn of the move (moving, moved, failed), puts focus on the
  // heading: a screen reader then reads where the user now is, and the button that was
  // pressed may be gone or disabled.
  useEffect(() => {
    heading.current?.focus();
  }, [step, phase, readiness]);

  return (
    <Dialog
      title="Move software between devices"
      size="wide"
      testId="transfer-wizard"
      onClose={() => {
        // The move goes ahead on the provider either way; stay to say how it went.
        if (!useTransferStore.getState().submitting) useTransferStore.getState().close();
      }}
      footer={<WizardButtons data={data} readiness={readiness} />}
    >
      <StepList current={step} />
      <p className="visually-hidden" role="status" aria-live="polite" data-testid="transfer-announcer">
        {`Step ${number} of ${TRANSFER_STEPS.length}: ${title}`}
      </p>
      <div className="wizard-step" data-testid={`transfer-step-${step}`}>
        <p className="wizard-count" aria-hidden="true">
          Step {number} of {TRANSFER_STEPS.length}
        </p>
        <h3 id={headingId} ref={heading} tabIndex={-1} className="wizard-heading" data-autofocus>
          {title}
        </h3>
        {readiness === 'ready' ? (
          <StepBody step={step} data={data} headingId={headingId} />
        ) : (
          <NotReady readiness={readiness} />
        )}
      </div>
    </Dialog>
  );
}

function stepTitle(step: TransferStep, submitting: boolean, moved: boolean, failed: boolean): string {
  switch (step) {
    case 'software':
      return 'Which program do you want to move?';
    case 'source':
      return 'Which device is it on now?';
    case 'destination':
      return 'Which device should it move to?';
    case 'review':
      return 'Check and confirm';
    case 'result':
      return submitting ? 'Moving…' : moved ? 'Moved' : failed ? 'The move did not go through' : 'Result';
  }
}

/** Where the user is among the five steps; the done ones say so to screen readers too. */
function StepList({ current }: { current: TransferStep }) {
  const at = TRANSFER_STEPS.indexOf(current);
  return (
    <ol className="wizard-steps" aria-label="Steps">
      {TRANSFER_STEPS.map((step, index) => (
        <li
          key={step}
          className={index < at ? 'done' : index === at ? 'current' : undefined}
          aria-current={index === at ? 'step' : undefined}
        >
          <span className="wizard-step-number" aria-hidden="true">
            {index < at ? '✓' : index + 1}
          </span>
          <span>{STEP_LABELS[step]}</span>
          {index < at ? <span className="visually-hidden">(done)</span> : null}
        </li>
      ))}
    </ol>
  );
}

function StepBody({ step, data, headingId }: { step: TransferStep; data: WizardData; headingId: string }) {
  switch (step) {
    case 'software':
      return <SoftwareStep data={data} headingId={headingId} />;
    case 'source':
      return <SourceStep data={data} headingId={headingId} />;
    case 'destination':
      return <DestinationStep data={data} headingId={headingId} />;
    case 'review':
      return <ReviewStep data={data} />;
    case 'result':
      return <ResultStep data={data} />;
  }
}

/** The programs or devices are still loading, or could not be loaded. */
function NotReady({ readiness }: { readiness: Exclude<Readiness, 'ready'> }) {
  const libraryError = useLibraryStore((s) => s.error);
  const devicesError = useDevicesStore((s) => s.error);
  if (readiness === 'loading') return <Loading label="Loading your programs and devices…" />;
  const error = devicesError ?? libraryError;
  if (!error) return null;
  const retry = () => {
    void useDevicesStore.getState().refresh();
    void useLibraryStore.getState().refresh();
  };
  return <ErrorNotice error={error} onRetry={retry} />;
}
