export function TransferWizard() {
  return null;
}
