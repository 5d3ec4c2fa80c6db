// The one place that picks the collector for this OS.
import { deriveMachineId, type MachineIdReport } from '../../core/machine-id/derive.ts';
import { systemProbe, type Probe } from './probe.ts';
import * as linux from './linux.ts';
import * as darwin from './darwin.ts';
import * as win32 from './win32.ts';

const collectors = { linux, darwin, win32 } as const;

export const machineIdReport = async (probe: Probe = systemProbe(), platform: NodeJS.Platform = process.platform): Promise<MachineIdReport> => {
  // Other Unixes (FreeBSD, …) expose the same machine-id files as Linux where they have one.
  const collector = collectors[platform as keyof typeof collectors] ?? linux;
  return deriveMachineId(await collector.collect(probe));
};
