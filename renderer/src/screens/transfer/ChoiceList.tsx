import { useId, type KeyboardEvent, type ReactNode } from 'react';
import { useTransferStore } from '../../stores/transfer.ts';

export interface Choice {
  value: string;
  label: string;
  detail: string;
  badge?: string;
  disabled?: boolean;
  art?: ReactNode;
}

/** A radio group of cards, named by the step's heading. Enter on a choice picks it and goes on. */
export function ChoiceList({
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

  // Radios ignore Enter; in a wizard it means "this one, next", as it would in a form.
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
        const labelId = `${baseId}-${index}-label`;
        const detailId = `${baseId}-${index}-detail`;
        return (
          <label key={choice.value} className={`choice${choice.disabled ? ' disabled' : ''}`}>
            <input
              type="radio"
              name={name}
              value={choice.value}
              checked={selected === choice.value}
              disabled={choice.disabled}
              aria-labelledby={labelId}
              aria-describedby={detailId}
              onChange={() => onSelect(choice.value)}
            />
            {choice.art}
            <span className="choice-text">
              <span className="choice-label" id={labelId}>
                {choice.label}
                {choice.badge ? (
                  <>
                    {' '}
                    <span className="badge badge-accent">{choice.badge}</span>
                  </>
                ) : null}
              </span>
              <span className="choice-detail" id={detailId}>
                {choice.detail}
              </span>
            </span>
          </label>
        );
      })}
    </div>
  );
}
