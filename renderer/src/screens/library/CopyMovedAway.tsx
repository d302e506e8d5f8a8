import { useId } from 'react';
import type { LibraryItem } from '@shared/app-api/app-api.ts';
import { copyActivity, useLibraryStore } from '../../stores/library.ts';
import { CoverArt } from '../../ui/CoverArt.tsx';
import { Badge, ErrorNotice } from '../../ui/Notices.tsx';
import { Sentence } from '../../ui/Sentence.tsx';
import { UninstallButton } from './UninstallDialog.tsx';

/**
 * A copy that was on this device and has been moved to another one: it no longer runs
 * here, so the only thing left to do is remove files it may have left behind.
 */
export function CopyMovedAway({ item }: { item: LibraryItem }) {
  const nameId = useId();
  const { error } = useLibraryStore(copyActivity(item.softwareId));
  const explanation =
    item.problem ?? `${item.name} was moved to another of your devices, so it no longer runs here.`;

  return (
    <li className="copy copy-compact copy-moved" data-testid={`library-${item.softwareId}`}>
      <CoverArt softwareId={item.softwareId} name={item.name} size="small" />
      <div className="copy-body">
        <div className="copy-heading">
          <h3 id={nameId} className="copy-name">
            {item.name}
          </h3>
          <Badge tone="muted">Moved</Badge>
        </div>
        <p className="copy-where">
          <Sentence text={explanation} />
        </p>
        {error ? <ErrorNotice error={error} testId={`error-${item.softwareId}`} /> : null}
      </div>
      {item.installed ? (
        <div className="copy-actions">
          <UninstallButton item={item} nameId={nameId} />
        </div>
      ) : null}
    </li>
  );
}
