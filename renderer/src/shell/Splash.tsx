import { Logo } from '../ui/Brand.tsx';
import { Loading } from '../ui/Notices.tsx';

/** While the app's core answers its first call. */
export function Splash() {
  return (
    <main className="splash" aria-busy="true" data-testid="splash">
      <Logo large />
      <Loading label="Starting Keyport…" />
    </main>
  );
}
