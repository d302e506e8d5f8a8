/**
 * Cover art for software that ships none: a gradient picked from the software ID (so a
 * program always gets the same colours) with its initials. Colours come from CSS classes
 * because the CSP forbids inline styles.
 */
const PALETTES = 8;

function hash(text: string): number {
  let h = 2166136261;
  for (let i = 0; i < text.length; i += 1) h = Math.imul(h ^ text.charCodeAt(i), 16777619);
  return h >>> 0;
}

export function initials(name: string): string {
  const words = name.split(/[\s-]+/).filter(Boolean);
  const letters = words.length > 1 ? words[0]![0]! + words[1]![0]! : name.slice(0, 2);
  return letters.toUpperCase();
}

export function CoverArt({
  softwareId,
  name,
  size = 'medium',
}: {
  softwareId: string;
  name: string;
  size?: 'small' | 'medium' | 'large';
}) {
  return (
    <div className={`cover cover-${size} cover-palette-${hash(softwareId) % PALETTES}`} aria-hidden="true">
      <span>{initials(name)}</span>
    </div>
  );
}
