// Where the server's log lines go (stdout), written so that a log that cannot be written never
// stops the server. pino's own stream makes a failed write (ENOSPC: the log's disk is full) an
// uncaught error, and the server stopped for good; here a line that cannot be written is dropped
// and counted, and the first line written afterwards is preceded by one that says how many were
// dropped and why. Lines are written at once (so none is lost at exit); a full pipe (a slow
// reader) is waited for, holding up to MAX_QUEUED bytes.
import { writeSync } from 'node:fs';
import { errnoCode } from '../platform/errno.ts';

const MAX_QUEUED = 4 * 1024 * 1024;
const PIPE_FULL_RETRY_MS = 10;

export interface LogOutput {
  write(line: string): void;
}

/** The log's output on `fd`; `onDropped(n)` hears of every line dropped (for /metrics). */
export const createLogOutput = (
  onDropped: (lines: number) => void = () => {},
  fd = 1,
): LogOutput => {
  let queue: Buffer[] = [];
  let queued = 0;
  let retrying = false;
  /** Lines dropped since the last line written, and why. */
  let dropped = 0;
  let why = '';
  /** A write failed halfway through a line: the next one starts on a line of its own. */
  let torn = false;

  const drop = (lines: number, reason: string) => {
    dropped += lines;
    why = reason;
    onDropped(lines);
  };

  const notice = () =>
    Buffer.from(
      `${torn ? '\n' : ''}${JSON.stringify({
        level: 40,
        time: Date.now(),
        droppedLines: dropped,
        msg: `${dropped} log lines were dropped: the log could not be written (${why}); free space where the server's output goes`,
      })}\n`,
    );

  const newlines = (buffers: Buffer[]) =>
    buffers.reduce((n, b) => n + b.reduce((k, byte) => k + (byte === 0x0a ? 1 : 0), 0), 0);

  /** Writes what is queued; false when the pipe is full (try again later). */
  const flush = (): boolean => {
    if (queue.length === 0) return true;
    const buffer = Buffer.concat(dropped > 0 ? [notice(), ...queue] : queue);
    let offset = 0;
    try {
      while (offset < buffer.length) offset += writeSync(fd, buffer, offset);
    } catch (error) {
      const code = errnoCode(error);
      if (code === 'EAGAIN') {
        // The rest (with the notice, if any) waits for the reader.
        queue = [buffer.subarray(offset)];
        queued = queue[0].length;
        dropped = 0;
        return false;
      }
      torn ||= offset > 0;
      drop(newlines(queue), code ?? (error as Error).message);
    }
    if (offset === buffer.length) {
      dropped = 0;
      torn = false;
    }
    queue = [];
    queued = 0;
    return true;
  };

  const retry = () => {
    retrying = false;
    if (!flush()) later();
  };
  const later = () => {
    if (retrying) return;
    retrying = true;
    setTimeout(retry, PIPE_FULL_RETRY_MS).unref();
  };

  return {
    write(line) {
      if (queued + line.length > MAX_QUEUED) return drop(1, 'its reader is too slow');
      queue.push(Buffer.from(line));
      queued += line.length;
      if (!retrying && !flush()) later();
    },
  };
};
