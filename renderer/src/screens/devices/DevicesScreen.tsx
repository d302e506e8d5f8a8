export function DevicesScreen() {
  return <h1>Devices</h1>;
}
