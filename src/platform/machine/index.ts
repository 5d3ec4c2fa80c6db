// The one place that picks the collector for this OS.
import { deriveMachineId, type MachineIdReport } from '../../core/machine-id/derive.ts';
import { systemProbe, type Probe } from './probe.ts';
import { collect as linux } from './linux.ts';
import { collect as darwin } from './darwin.ts';
import { collect as win32 } from './win32.ts';

const collectors = { linux, darwin, win32 } as const;

const report = async (probe: Probe, platform: NodeJS.Platform): Promise<MachineIdReport> => {
  // Other Unixes (FreeBSD, …) expose the same machine-id files as Linux where they have one.
  const collector = collectors[platform as keyof typeof collectors] ?? linux;
  return deriveMachineId(await collector(probe));
};

let thisMachine: Promise<MachineIdReport> | undefined;

/**
 * This machine's ID report, or, given a probe and a platform (tests), theirs. This machine's is read
 * once per process: its sources cannot change while katalonc runs, and on Windows every read spawns
 * reg.exe and whoami (PowerShell where policy disables reg.exe).
 */
export const machineIdReport = (
  probe?: Probe,
  platform?: NodeJS.Platform,
): Promise<MachineIdReport> =>
  probe || platform
    ? report(probe ?? systemProbe(), platform ?? process.platform)
    : (thisMachine ??= report(systemProbe(), process.platform));
