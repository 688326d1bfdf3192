// Wire values as readers hand them over (strings, Buffers, numbers, {$binary} JSON): their text and
// their bytes, shared by every value family.

export function isBinaryJson(v: unknown): v is { $binary: string } {
  return typeof v === 'object' && v !== null && typeof (v as { $binary?: unknown }).$binary === 'string';
}

export function stringOf(value: unknown): string {
  if (typeof value === 'string') return value;
  if (Buffer.isBuffer(value)) return value.toString('utf8');
  if (typeof value === 'number' || typeof value === 'bigint' || typeof value === 'boolean')
    return String(value);
  return JSON.stringify(value);
}

export function bytesOf(value: unknown): Buffer {
  if (Buffer.isBuffer(value)) return value;
  if (isBinaryJson(value)) return Buffer.from(value.$binary, 'base64');
  if (typeof value === 'string') {
    // PostgreSQL bytea text (hex output), should a reader hand it over unparsed.
    if (/^\\x([0-9a-f]{2})*$/i.test(value)) return Buffer.from(value.slice(2), 'hex');
    return Buffer.from(value, 'utf8');
  }
  return Buffer.from(stringOf(value), 'utf8');
}
