// Payloads over 64 KiB (a plan report of a big schema, a schema model) are gzip-compressed so they
// stay far below Temporal's 2 MB per-payload limit; smaller ones stay plain JSON, readable as-is in
// the Web UI, and specs typed into the UI's Start Workflow form pass through untouched.
// Every client and worker of cutover must use this converter.
import { gunzipSync, gzipSync } from 'node:zlib';
import type { DataConverter, Payload, PayloadCodec } from '@temporalio/common';

const ENCODING = 'binary/gzip';
const THRESHOLD = 64 * 1024;
const utf8 = (s: string) => new TextEncoder().encode(s);

export const gzipCodec: PayloadCodec = {
  async encode(payloads: Payload[]): Promise<Payload[]> {
    return payloads.map((p) => {
      if (!p.data || p.data.length < THRESHOLD) return p;
      return {
        metadata: { encoding: utf8(ENCODING) },
        // The original payload, metadata included, is what gets compressed.
        data: gzipSync(
          Buffer.from(
            JSON.stringify({ metadata: encodeMap(p.metadata), data: Buffer.from(p.data).toString('base64') }),
          ),
        ),
      };
    });
  },
  async decode(payloads: Payload[]): Promise<Payload[]> {
    return payloads.map((p) => {
      const encoding = p.metadata?.encoding ? Buffer.from(p.metadata.encoding).toString() : '';
      if (encoding !== ENCODING || !p.data) return p;
      const inner = JSON.parse(gunzipSync(p.data).toString()) as {
        metadata: Record<string, string>;
        data: string;
      };
      return { metadata: decodeMap(inner.metadata), data: Buffer.from(inner.data, 'base64') };
    });
  },
};

function encodeMap(m: Payload['metadata']): Record<string, string> {
  return Object.fromEntries(Object.entries(m ?? {}).map(([k, v]) => [k, Buffer.from(v).toString('base64')]));
}

function decodeMap(m: Record<string, string>): Record<string, Uint8Array> {
  return Object.fromEntries(Object.entries(m).map(([k, v]) => [k, Buffer.from(v, 'base64')]));
}

export const dataConverter: DataConverter = { payloadCodecs: [gzipCodec] };
