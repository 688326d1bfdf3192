// Terminal conventions: messages to stderr, data to stdout, colour only on a terminal.
import { WorkflowFailedError } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';

export const EXIT = { ok: 0, failed: 1, usage: 2 } as const;

const colour = process.stderr.isTTY && !process.env.NO_COLOR;
export const dim = (s: string) => (colour ? `\x1b[2m${s}\x1b[22m` : s);
export const bold = (s: string) => (colour ? `\x1b[1m${s}\x1b[22m` : s);
export const red = (s: string) => (colour ? `\x1b[31m${s}\x1b[39m` : s);

export const log = (line: string) => process.stderr.write(`${line}\n`);

/** The failure an operator needs to read: the root application failure of a workflow, if any. */
export function describeFailure(err: unknown): { type: string | null; message: string } {
  let e: unknown = err instanceof WorkflowFailedError ? err.cause : err;
  while (e instanceof Error && !(e instanceof ApplicationFailure) && e.cause) e = e.cause;
  if (e instanceof ApplicationFailure) return { type: e.type ?? null, message: e.message };
  return { type: null, message: e instanceof Error ? e.message : String(e) };
}
