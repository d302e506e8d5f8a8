/** While the app's core answers its first call. */
export function Splash() {
  return (
    <main className="splash" aria-busy="true" data-testid="splash">
      <span className="logo logo-large" aria-hidden="true">
        K
      </span>
      <div className="loading" role="status">
        <span className="spinner" aria-hidden="true" />
        Starting Keyport…
      </div>
    </main>
  );
}
