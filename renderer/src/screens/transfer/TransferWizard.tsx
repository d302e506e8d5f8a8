// Reconstructed from the 08:49 renderer build after renderer/ was wiped by accident
// (see the library helper's report); logic, text and markup as built, comments lost.
import { useEffect, useId, useRef, type KeyboardEvent, type ReactNode } from 'react';
import type { DeviceSummary, LibraryItem } from '../../../../shared/client-api.ts';
import { useDevicesStore } from '../../stores/devices.ts';
import { useLibraryStore } from '../../stores/library.ts';
import { useNavigationStore } from '../../stores/navigation.ts';
import {
  isDecided,
  TRANSFER_STEPS,
  useTransferStore,
  type TransferChoices,
  type TransferStep,
} from '../../stores/transfer.ts';
import { CoverArt } from '../../ui/CoverArt.tsx';
import { Dialog } from '../../ui/Dialog.tsx';
import { EmptyState, ErrorNotice, Loading } from '../../ui/Notices.tsx';
import './transfer.css';

const STEP_LABELS: Record<TransferStep, string> = {
  software: 'Software',
  source: 'From',
  destination: 'To',
  review: 'Review',
  result: 'Result',
};

type Readiness = 'loading' | 'failed' | 'ready';

interface WizardData {
  programs: LibraryItem[];
  devices: DeviceSummary[];
  program(softwareId: string | undefined): LibraryItem | undefined;
  device(deviceId: string | undefined): DeviceSummary | undefined;
  /** The device a program is registered to now. */
  holderOf(softwareId: string): DeviceSummary | undefined;
}

function useWizardData(): WizardData {
  const items = useLibraryStore((s) => s.items);
  const devices = useDevicesStore((s) => s.devices);
  const programs = [...items].sort((a, b) => a.name.localeCompare(b.name));
  const device = (deviceId: string | undefined) => devices.find((d) => d.deviceId === deviceId);
  return {
    programs,
    devices,
    program: (softwareId) => items.find((item) => item.softwareId === softwareId),
    device,
    holderOf: (softwareId) =>
      devices.find((d) => d.software.includes(softwareId)) ??
      device(items.find((item) => item.softwareId === softwareId)?.registeredDeviceId ?? undefined),
  };
}

const deviceName = (device: DeviceSummary | undefined) => device?.name ?? 'the other device';

/** Moving a copy from one of the user's devices to another: software, from, to, review, result. */
export function TransferWizard() {
  const step = useTransferStore((s) => s.step);
  const submitting = useTransferStore((s) => s.submitting);
  const outcome = useTransferStore((s) => s.outcome);
  const error = useTransferStore((s) => s.error);
  const close = useTransferStore((s) => s.close);
  const data = useWizardData();
  const heading = useRef<HTMLHeadingElement>(null);
  const headingId = useId();
  const readiness = useReadiness();
  const number = TRANSFER_STEPS.indexOf(step) + 1;
  const title = stepTitle(step, submitting, outcome !== null, error !== null);
  const focusKey = `${step}:${submitting ? 'pending' : outcome ? 'moved' : error ? 'failed' : ''}:${readiness}`;

  useEffect(() => {
    heading.current?.focus();
  }, [focusKey]);

  return (
    <Dialog
      title="Move software between devices"
      size="wide"
      testId="transfer-wizard"
      onClose={() => {
        if (!useTransferStore.getState().submitting) close();
      }}
      footer={<WizardButtons data={data} ready={readiness} />}
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
          <NotReady state={readiness} />
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

function useReadiness(): Readiness {
  const libraryLoaded = useLibraryStore((s) => s.loaded);
  const libraryFailed = useLibraryStore((s) => s.error !== null && s.items.length === 0);
  const devicesLoaded = useDevicesStore((s) => s.loaded);
  const devicesFailed = useDevicesStore((s) => s.error !== null && s.devices.length === 0);
  useEffect(() => {
    void useDevicesStore.getState().refresh();
    if (!useLibraryStore.getState().loaded) void useLibraryStore.getState().refresh();
  }, []);
  if (libraryFailed || devicesFailed) return 'failed';
  return !libraryLoaded || !devicesLoaded ? 'loading' : 'ready';
}

function NotReady({ state }: { state: Readiness }) {
  const libraryError = useLibraryStore((s) => s.error);
  const devicesError = useDevicesStore((s) => s.error);
  if (state === 'loading') return <Loading label="Loading your programs and devices…" />;
  const error = devicesError ?? libraryError;
  return error ? (
    <ErrorNotice
      error={error}
      onRetry={() => {
        void useDevicesStore.getState().refresh();
        void useLibraryStore.getState().refresh();
      }}
    />
  ) : null;
}

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

interface Choice {
  value: string;
  label: string;
  detail: string;
  badge?: string;
  disabled?: boolean;
  art?: ReactNode;
}

/** A radio group of cards; Enter on a choice picks it and goes on. */
function ChoiceList({
  name,
  headingId,
  choices,
  selected,
  onSelect,
}: {
  name: string;
  headingId: string;
  choices: Choice[];
  selected: string | undefined;
  onSelect(value: string): void;
}) {
  const baseId = useId();
  const onKeyDown = (event: KeyboardEvent<HTMLDivElement>) => {
    const target = event.target as HTMLInputElement;
    if (event.key !== 'Enter' || target.type !== 'radio' || target.disabled) return;
    event.preventDefault();
    onSelect(target.value);
    useTransferStore.getState().next();
  };
  return (
    <div className="choices" role="radiogroup" aria-labelledby={headingId} onKeyDown={onKeyDown}>
      {choices.map((choice, index) => {
        const id = `${baseId}-${index}`;
        return (
          <label key={choice.value} className={`choice${choice.disabled ? ' disabled' : ''}`}>
            <input
              type="radio"
              name={name}
              value={choice.value}
              checked={selected === choice.value}
              disabled={choice.disabled}
              aria-labelledby={`${id}-label`}
              aria-describedby={`${id}-detail`}
              onChange={() => onSelect(choice.value)}
            />
            {choice.art}
            <span className="choice-text">
              <span className="choice-label" id={`${id}-label`}>
                {choice.label}
                {choice.badge ? <span className="badge badge-accent">{choice.badge}</span> : null}
              </span>
              <span className="choice-detail" id={`${id}-detail`}>
                {choice.detail}
              </span>
            </span>
          </label>
        );
      })}
    </div>
  );
}

function whereItIs(data: WizardData, item: LibraryItem): string {
  const holder = data.holderOf(item.softwareId);
  if (holder) return holder.isThisDevice ? `On ${holder.name} (this device)` : `On ${holder.name}`;
  return item.registeredDeviceName ? `On ${item.registeredDeviceName}` : 'Where it is is not known yet';
}

function SoftwareStep({ data, headingId }: { data: WizardData; headingId: string }) {
  const choices = useTransferStore((s) => s.choices);
  const { choose, close } = useTransferStore.getState();
  if (data.programs.length === 0) {
    return (
      <EmptyState
        title="Nothing to move yet"
        action={
          <button
            type="button"
            className="primary"
            onClick={() => {
              close();
              useNavigationStore.getState().go('store');
            }}
          >
            Browse the store
          </button>
        }
      >
        Programs you buy are registered to one of your devices. Once you own one, you can move it here.
      </EmptyState>
    );
  }
  return (
    <ChoiceList
      name="transfer-software"
      headingId={headingId}
      selected={choices.softwareId}
      onSelect={(softwareId) => {
        const source = choices.sourceDeviceId ? data.device(choices.sourceDeviceId) : undefined;
        const stillThere = source?.software.includes(softwareId);
        choose({
          softwareId,
          sourceDeviceId: stillThere ? source!.deviceId : data.holderOf(softwareId)?.deviceId,
        });
      }}
      choices={data.programs.map((item) => ({
        value: item.softwareId,
        label: item.name,
        detail: whereItIs(data, item),
        art: <CoverArt softwareId={item.softwareId} name={item.name} size="small" />,
      }))}
    />
  );
}

function SourceStep({ data, headingId }: { data: WizardData; headingId: string }) {
  const choices = useTransferStore((s) => s.choices);
  const choose = useTransferStore((s) => s.choose);
  const program = data.program(choices.softwareId);
  const holder = choices.softwareId ? data.holderOf(choices.softwareId) : undefined;
  const name = program?.name ?? 'this program';

  useEffect(() => {
    if (!choices.sourceDeviceId && holder) choose({ sourceDeviceId: holder.deviceId });
  }, [choices.sourceDeviceId, holder, choose]);

  return (
    <>
      <p className="muted">A copy is registered to one device at a time. Pick the device that has it now.</p>
      <ChoiceList
        name="transfer-source"
        headingId={headingId}
        selected={choices.sourceDeviceId}
        onSelect={(sourceDeviceId) => choose({ sourceDeviceId })}
        choices={data.devices.map((device) => {
          const has = choices.softwareId ? device.software.includes(choices.softwareId) : false;
          return {
            value: device.deviceId,
            label: device.name,
            badge: device.isThisDevice ? 'This device' : undefined,
            disabled: !has,
            detail: has ? `Has ${name}` : `Does not have ${name}`,
          };
        })}
      />
    </>
  );
}

function DestinationStep({ data, headingId }: { data: WizardData; headingId: string }) {
  const choices = useTransferStore((s) => s.choices);
  const choose = useTransferStore((s) => s.choose);
  const name = data.program(choices.softwareId)?.name ?? 'It';
  const others = data.devices.filter((device) => device.deviceId !== choices.sourceDeviceId);
  return (
    <>
      {others.length === 0 ? (
        <p className="wizard-note" data-testid="transfer-no-destination">
          You have no other device enrolled yet. Sign in to Keyport on the other computer and enrol it; it
          will then appear here.
        </p>
      ) : (
        <p className="muted">{name} can move to any other device enrolled to your account.</p>
      )}
      <ChoiceList
        name="transfer-destination"
        headingId={headingId}
        selected={choices.destinationDeviceId}
        onSelect={(destinationDeviceId) => choose({ destinationDeviceId })}
        choices={data.devices.map((device) => {
          const isSource = device.deviceId === choices.sourceDeviceId;
          const count = device.software.length;
          return {
            value: device.deviceId,
            label: device.name,
            badge: device.isThisDevice ? 'This device' : undefined,
            disabled: isSource,
            detail: isSource
              ? 'Already there'
              : count === 0
                ? 'Nothing registered yet'
                : `${count} program${count === 1 ? '' : 's'} registered`,
          };
        })}
      />
    </>
  );
}

function route(data: WizardData, choices: TransferChoices) {
  return {
    program: data.program(choices.softwareId)?.name ?? 'This program',
    source: deviceName(data.device(choices.sourceDeviceId)),
    destination: deviceName(data.device(choices.destinationDeviceId)),
  };
}

function ReviewStep({ data }: { data: WizardData }) {
  const choices = useTransferStore((s) => s.choices);
  const submitting = useTransferStore((s) => s.submitting);
  const { program, source, destination } = route(data, choices);
  return (
    <div className="review" data-testid="transfer-review">
      <div className="review-route" aria-hidden="true">
        <CoverArt softwareId={choices.softwareId ?? ''} name={program} size="small" />
        <span className="review-device">{source}</span>
        <span className="review-arrow">→</span>
        <span className="review-device">{destination}</span>
      </div>
      <p className="review-lead">
        {program} moves from {source} to {destination}.
      </p>
      <ul className="review-points">
        <li className="point-ok">There is no new charge: you already own this copy.</li>
        <li className="point-warn">
          {source} will stop running it straight away; its license key is withdrawn.
        </li>
        <li className="point-ok">{destination} can install and run it.</li>
      </ul>
      {submitting ? <Loading label={`Moving ${program}…`} /> : null}
    </div>
  );
}

function ResultStep({ data }: { data: WizardData }) {
  const choices = useTransferStore((s) => s.choices);
  const submitting = useTransferStore((s) => s.submitting);
  const outcome = useTransferStore((s) => s.outcome);
  const error = useTransferStore((s) => s.error);
  const submit = useTransferStore((s) => s.submit);
  const { program, destination } = route(data, choices);

  if (submitting) return <Loading label={`Moving ${program}…`} />;
  if (error) {
    return (
      <div className="result" data-testid="transfer-failed">
        <ErrorNotice error={error} onRetry={() => void submit()} />
        <p className="muted">Nothing was moved. {program} is still where it was.</p>
      </div>
    );
  }
  if (!outcome) return null;
  return (
    <div className="result result-ok" data-testid="transfer-done">
      <span className="result-mark" aria-hidden="true">
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

function WizardButtons({ data, ready }: { data: WizardData; ready: Readiness }) {
  const step = useTransferStore((s) => s.step);
  const choices = useTransferStore((s) => s.choices);
  const submitting = useTransferStore((s) => s.submitting);
  const outcome = useTransferStore((s) => s.outcome);
  const { next, back, submit, close } = useTransferStore.getState();
  const { program } = route(data, choices);

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
    const softwareId = choices.softwareId!;
    return data.device(choices.destinationDeviceId)?.isThisDevice ? (
      <>
        <button type="button" className="quiet" onClick={close}>
          Later
        </button>
        <button
          type="button"
          className="primary"
          onClick={() => {
            close();
            useNavigationStore.getState().go('library');
            void useLibraryStore.getState().install(softwareId);
          }}
        >
          Install now
        </button>
      </>
    ) : (
      <button type="button" className="primary" onClick={close}>
        Done
      </button>
    );
  }

  const first = step === TRANSFER_STEPS[0];
  return (
    <>
      <button type="button" className="quiet wizard-cancel" onClick={close} disabled={submitting}>
        Cancel
      </button>
      {first ? null : (
        <button type="button" onClick={back} disabled={submitting}>
          Back
        </button>
      )}
      {step === 'review' ? (
        <button
          type="button"
          className="primary"
          onClick={() => void submit()}
          disabled={submitting || ready !== 'ready'}
        >
          {submitting ? 'Moving…' : `Move ${program}`}
        </button>
      ) : (
        <button
          type="button"
          className="primary"
          onClick={next}
          disabled={ready !== 'ready' || !isDecided(step, choices)}
        >
          Next
        </button>
      )}
    </>
  );
}
