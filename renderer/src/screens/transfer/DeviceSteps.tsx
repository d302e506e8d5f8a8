import { useEffect } from 'react';
import { useTransferStore } from '../../stores/transfer.ts';
import { programCount } from '../devices/wording.ts';
import { ChoiceList } from './ChoiceList.tsx';
import type { WizardData } from './wizard-data.ts';

/** Step 2: the device the program is on now; only that one can be picked. */
export function SourceStep({ data, headingId }: { data: WizardData; headingId: string }) {
  const choices = useTransferStore((s) => s.choices);
  const holder = choices.softwareId ? data.holderOf(choices.softwareId) : undefined;
  const name = data.program(choices.softwareId)?.name ?? 'this program';

  // There is only one right answer, so it is picked already (for instance when the list
  // of devices arrived after the program was chosen).
  useEffect(() => {
    if (!choices.sourceDeviceId && holder) {
      useTransferStore.getState().choose({ sourceDeviceId: holder.deviceId });
    }
  }, [choices.sourceDeviceId, holder]);

  return (
    <>
      <p className="muted">A copy is registered to one device at a time. Pick the device that has it now.</p>
      <ChoiceList
        name="transfer-source"
        headingId={headingId}
        selected={choices.sourceDeviceId}
        onSelect={(sourceDeviceId) => useTransferStore.getState().choose({ sourceDeviceId })}
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

/** Step 3: any other device enrolled to the account. */
export function DestinationStep({ data, headingId }: { data: WizardData; headingId: string }) {
  const choices = useTransferStore((s) => s.choices);
  const name = data.program(choices.softwareId)?.name ?? 'It';
  const hasOtherDevice = data.devices.some((device) => device.deviceId !== choices.sourceDeviceId);

  return (
    <>
      {hasOtherDevice ? (
        <p className="muted">{name} can move to any other device enrolled to your account.</p>
      ) : (
        <p className="wizard-note" data-testid="transfer-no-destination">
          You have no other device enrolled yet. Sign in to Keyport on the other computer and enrol it; it
          will then appear here.
        </p>
      )}
      <ChoiceList
        name="transfer-destination"
        headingId={headingId}
        selected={choices.destinationDeviceId}
        onSelect={(destinationDeviceId) => useTransferStore.getState().choose({ destinationDeviceId })}
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
                : `${programCount(count)} registered`,
          };
        })}
      />
    </>
  );
}
