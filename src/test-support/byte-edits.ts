/**
 * Test support: a fast-check arbitrary of a valid message with a few of its bytes overwritten, the
 * fuzz input of the DNS wire parser and responder.
 */
import fc from 'fast-check';

/** `valid` with 1 to `maxEdits` bytes overwritten, each at a random offset with a random value. */
export function editedBytes(valid: Buffer, maxEdits: number): fc.Arbitrary<Buffer> {
  return fc
    .array(fc.record({ at: fc.nat(valid.length - 1), byte: fc.nat(255) }), { minLength: 1, maxLength: maxEdits })
    .map((edits) => {
      const b = Buffer.from(valid);
      for (const { at, byte } of edits) b[at] = byte;
      return b;
    });
}
