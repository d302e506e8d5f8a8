/** Keyport's mark, and the mark with its name: the sidebar, sign-in, first run, splash. */
export function Logo({ large = false }: { large?: boolean }) {
  return (
    <span className={large ? 'logo logo-large' : 'logo'} aria-hidden="true">
      K
    </span>
  );
}

export function Brand() {
  return (
    <div className="brand">
      <Logo />
      <span>Keyport</span>
    </div>
  );
}
