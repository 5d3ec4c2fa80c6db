// The stored high-water mark of trusted time (see core/license/clock.ts). Written atomically
// (temp file, fsync, rename) so a crash leaves the old mark or the new one, never half of one.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import writeFileAtomic from 'write-file-atomic';
import { clientDir } from '../platform/paths.ts';

const file = (): string => join(clientDir(), 'clock-mark.json');

export const readMark = (): number | null => {
  try {
    const { mark } = JSON.parse(readFileSync(file(), 'utf8')) as { mark?: unknown };
    return typeof mark === 'number' && Number.isFinite(mark) ? mark : null;
  } catch {
    return null;
  }
};

export const writeMark = async (mark: number): Promise<void> => {
  const { mkdir } = await import('node:fs/promises');
  await mkdir(clientDir(), { recursive: true, mode: 0o700 });
  await writeFileAtomic(
    file(),
    `${JSON.stringify({ mark, iso: new Date(mark).toISOString() })}\n`,
    { mode: 0o600 },
  );
};
