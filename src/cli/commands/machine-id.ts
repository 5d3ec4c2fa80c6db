// katalonc --print-machine-id: the ID alone on stdout (scriptable); --json/--explain say how it was made.
import { machineIdReport } from '../../platform/machine/index.ts';
import { bold, dim, ok, warn } from '../../command-line/output.ts';
import type { Result } from '../../command-line/runner.ts';

export const printMachineId = async (opts: {
  json?: boolean;
  explain?: boolean;
  qr?: boolean;
}): Promise<Result> => {
  const report = await machineIdReport();
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
  if (!opts.json) for (const w of report.warnings) warn(w);
  if (opts.qr) {
    const { default: qrcode } = await import('qrcode-terminal');
    qrcode.generate(report.machineId, { small: true }, (code) => process.stderr.write(`${code}\n`));
  }
  return { data: report, lines };
};
