// katalonc --print-machine-id: the ID alone on stdout (scriptable); --json/--explain say how it was made.
import { offlineRefusal } from '../../core/machine-id/namespace.ts';
import { machineIdReport } from '../../platform/machine/index.ts';
import { identityDistrust } from '../../platform/machine/namespace.ts';
import { environment } from '../../platform/environment.ts';
import { bold, dim, ok, warn } from '../../command-line/output.ts';
import type { Result } from '../../command-line/runner.ts';

/** The machine's warnings to print: the container one only until acknowledged (-q, or the variable). */
export const shownWarnings = (warnings: readonly string[], quiet: boolean): string[] =>
  warnings.filter(
    (w) =>
      !(w.startsWith('running in a container') && (quiet || environment.containerAcknowledged)),
  );

export const printMachineId = async (opts: {
  json?: boolean;
  explain?: boolean;
  qr?: boolean;
  quiet?: boolean;
}): Promise<Result> => {
  const machine = await machineIdReport();
  // A few reads of /proc: the capability test of uid 0 is left to the offline path.
  const distrust = identityDistrust(machine, { rootCheck: false });
  const report =
    distrust.length > 0
      ? { ...machine, warnings: [...machine.warnings, offlineRefusal(distrust)] }
      : machine;
  const lines = opts.explain
    ? [
        `${bold('Machine ID:')} ${report.machineId}`,
        `${bold('User:')} ${report.user}`,
        bold('Sources (in order of preference):'),
        ...report.sources.map(
          (s) =>
            `  ${s.used ? ok('used    ') : dim('not used')}  ${s.name}${s.note ? dim(` (${s.note})`) : ''}`,
        ),
        dim('Only a keyed hash of these values leaves this machine.'),
      ]
    : [report.machineId];
  if (!opts.json) for (const w of shownWarnings(report.warnings, Boolean(opts.quiet))) warn(w);
  if (opts.qr) {
    const { default: qrcode } = await import('qrcode-terminal');
    qrcode.generate(report.machineId, { small: true }, (code) => process.stderr.write(`${code}\n`));
  }
  return { data: report, lines };
};
