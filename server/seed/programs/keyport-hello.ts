/** Keyport Hello: the smallest licensed program — it greets its licensee. */
import { requireLicense } from './runtime.ts';

const claims = await requireLicense('keyport-hello', 'Keyport Hello');
console.log(`Hello! This copy (${claims.sub}) runs because this device holds its license.`);
