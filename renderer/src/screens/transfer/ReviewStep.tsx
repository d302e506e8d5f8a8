import { useTransferStore } from '../../stores/transfer.ts';
import { CoverArt } from '../../ui/CoverArt.tsx';
import { Loading } from '../../ui/Notices.tsx';
import { chosenNames, type WizardData } from './wizard-data.ts';

/** Step 4: what the move does, in words, before anything happens. */
export function ReviewStep({ data }: { data: WizardData }) {
  const choices = useTransferStore((s) => s.choices);
  const submitting = useTransferStore((s) => s.submitting);
  const { program, source, destination } = chosenNames(data, choices);
  return (
    <div className="review" data-testid="transfer-review">
      {/* The sentence below says the same for screen readers. */}
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
