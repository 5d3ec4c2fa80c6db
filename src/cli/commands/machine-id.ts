// katalonc --print-machine-id: the ID alone on stdout (scriptable); --json/--explain say how it was made.
import { machineIdReport } from '../../platform/machine/index.ts';
import { print, printJson, warn, bold, ok, dim } from '../output.ts';

export const printMachineId = async (opts: {
  json?: boolean;
  explain?: boolean;
  qr?: boolean;
}): Promise<void> => {
  const report = await machineIdReport();
  if (opts.json) {
    printJson(report);
  } else if (opts.explain) {
    print(`${bold('Machine ID:')} ${report.machineId}`);
    print(`${bold('User:')} ${report.user}`);
    print(bold('Sources (in order of preference):'));
    for (const s of report.sources)
      print(
        `  ${s.used ? ok('used    ') : dim('not used')}  ${s.name}${s.note ? dim(` (${s.note})`) : ''}`,
      );
    print(dim('Only a keyed hash of these values leaves this machine.'));
  } else {
    print(report.machineId);
  }
  if (!opts.json) for (const w of report.warnings) warn(w);
  if (opts.qr) {
    const { default: qrcode } = await import('qrcode-terminal');
    qrcode.generate(report.machineId, { small: true }, (code) => process.stderr.write(`${code}\n`));
  }
};
