/** Every spelling of an HMAC key and of its inner and outer pads that SQL text or a log could carry. */
export function keySpellings(key: Buffer): string[] {
  // RFC 2104: a key longer than the 64-byte block would be hashed first; the tests use 32-64 bytes.
  if (key.length > 64) throw new Error('keySpellings: keys of 64 bytes at most');
  const pad = (b: number) => Buffer.from(Buffer.concat([key, Buffer.alloc(64 - key.length)]).map((x) => x ^ b));
  const forms: string[] = [];
  for (const bytes of [key, pad(0x36), pad(0x5c)]) {
    const hex = bytes.toString('hex');
    forms.push(hex, hex.toUpperCase(), bytes.toString('base64'), bytes.toString('base64url'));
    // DuckDB's blob literal: '\xAB\xCD...'
    forms.push([...bytes].map((b) => `\\x${b.toString(16).padStart(2, '0').toUpperCase()}`).join('').slice(0, 64));
    // 16 consecutive bytes in hex (a key cut into a longer string).
    forms.push(hex.slice(0, 32), hex.slice(32, 64));
  }
  return forms;
}
