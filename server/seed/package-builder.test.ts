/**
 * The package builder refuses to pack a program with a JWKS that names no issuer: such a
 * program could not tell its provider's licenses from another issuer's, so it would
 * refuse them all (runtime.ts) — better said at publish time than on a user's machine.
 */
import { describe, expect, it } from 'vitest';
import { packProgram } from './package-builder.ts';

const program = { softwareId: 'hello', name: 'Hello', version: '1.0.0', main: Buffer.from('') };

describe('packProgram', () => {
  it('packs the JWKS with its issuer, and refuses one without', async () => {
    await expect(packProgram({ ...program, jwks: { issuer: 'keyport', keys: [] } })).resolves.toBeInstanceOf(
      Buffer,
    );
    for (const jwks of [{ keys: [] }, { issuer: '', keys: [] }, null]) {
      await expect(packProgram({ ...program, jwks }), JSON.stringify(jwks)).rejects.toThrow(
        'hello: the JWKS names no issuer',
      );
    }
  });
});
