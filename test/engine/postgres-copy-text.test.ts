// COPY text encoding without a database: every value encodes exactly as the straightforward
// definition (toPgText, then one regex replace of backslash, tab, newline and carriage return), for
// each wire form and for random strings dense in special characters, 4-byte unicode and lone surrogates.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  encodeCopyRow,
  encodeCopyRows,
  escapeCopyText,
  toPgText,
} from '../../src/engines/postgres/copy-text';

const ESCAPES: Record<string, string> = { '\\': '\\\\', '\t': '\\t', '\n': '\\n', '\r': '\\r' };
const reference = (row: readonly unknown[]): string =>
  row
    .map((v) => {
      const text = toPgText(v);
      return text === null ? '\\N' : text.replace(/[\\\t\n\r]/g, (c) => ESCAPES[c]!);
    })
    .join('\t') + '\n';

describe('postgres COPY text', () => {
  test('every wire form encodes as the reference', () => {
    const values: unknown[] = [
      null,
      undefined,
      '',
      'a',
      '\\',
      '\\N',
      '\t\n\r\\x',
      'é\u0000b\\\\n',
      'tail\\',
      '\\head',
      '\ud800x',
      '🚀',
      0,
      -0,
      -1.5,
      1e21,
      5e-324,
      NaN,
      Infinity,
      -Infinity,
      2147483647,
      true,
      false,
      10n,
      Buffer.alloc(0),
      Buffer.from([0, 92, 9, 10, 255]),
      new Uint8Array([1, 2]),
      new Date(0),
      { a: 'x\ty' },
      ['\\'],
    ];
    for (const v of values) assert.equal(encodeCopyRow([v]), reference([v]), String(v));
    assert.equal(encodeCopyRow(values), reference(values));
    assert.equal(encodeCopyRow([]), reference([]));
  });

  test('random strings dense in special characters encode as the reference', () => {
    const alphabet = ['\\', '\t', '\n', '\r', 'a', 'é', '\ud83d\ude80', '\ud800', 'N', ' '];
    let seed = 7;
    const random = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    for (let k = 0; k < 20_000; k++) {
      let s = '';
      for (let i = Math.floor(random() * 16); i > 0; i--)
        s += alphabet[Math.floor(random() * alphabet.length)];
      assert.equal(
        escapeCopyText(s),
        s.replace(/[\\\t\n\r]/g, (c) => ESCAPES[c]!),
      );
      assert.equal(encodeCopyRow([s, k, s]), reference([s, k, s]));
    }
  });

  test('-0 keeps its sign (String(-0) is "0"), in parameters and in COPY', () => {
    assert.equal(toPgText(-0), '-0');
    assert.equal(toPgText(0), '0');
    assert.equal(encodeCopyRow([-0, 0, -0.5]), '-0\t0\t-0.5\n');
  });

  test('chunks concatenate to the rows', () => {
    const rows = Array.from({ length: 3000 }, (_, i) => [
      i,
      `v${i}\t\\`,
      i % 3 ? null : Buffer.from([i & 255]),
    ]);
    const chunks = [...encodeCopyRows(rows, 1024)];
    assert.ok(chunks.length > 1);
    assert.equal(chunks.join(''), rows.map(reference).join(''));
  });
});
