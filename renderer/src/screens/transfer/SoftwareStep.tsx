import type { LibraryItem } from '@shared/app-api/app-api.ts';
import { useNavigationStore } from '../../stores/navigation.ts';
import { useTransferStore } from '../../stores/transfer.ts';
import { CoverArt } from '../../ui/CoverArt.tsx';
import { EmptyState } from '../../ui/Notices.tsx';
import { ChoiceList } from './ChoiceList.tsx';
import type { WizardData } from './wizard-data.ts';

/** Step 1: which program, each with where it is now. */
export function SoftwareStep({ data, headingId }: { data: WizardData; headingId: string }) {
  const choices = useTransferStore((s) => s.choices);

  if (data.programs.length === 0) {
    return (
      <EmptyState
        title="Nothing to move yet"
        action={
          <button
            type="button"
            className="primary"
            onClick={() => {
              useTransferStore.getState().close();
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

  // Choosing the program settles where it comes from: the device the wizard was opened
  // from if the program is there, otherwise the device that has it.
  const select = (softwareId: string) => {
    const openedFrom = data.device(choices.sourceDeviceId);
    useTransferStore.getState().choose({
      softwareId,
      sourceDeviceId: openedFrom?.software.includes(softwareId)
        ? openedFrom.deviceId
        : data.holderOf(softwareId)?.deviceId,
    });
  };

  return (
    <ChoiceList
      name="transfer-software"
      headingId={headingId}
      selected={choices.softwareId}
      onSelect={select}
      choices={data.programs.map((item) => ({
        value: item.softwareId,
        label: item.name,
        detail: whereItIs(data, item),
        art: <CoverArt softwareId={item.softwareId} name={item.name} size="small" />,
      }))}
    />
  );
}

function whereItIs(data: WizardData, item: LibraryItem): string {
  const holder = data.holderOf(item.softwareId);
  if (holder) return holder.isThisDevice ? `On ${holder.name} (this device)` : `On ${holder.name}`;
  return item.registeredDeviceName ? `On ${item.registeredDeviceName}` : 'Where it is is not known yet';
}
