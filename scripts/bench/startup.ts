// Start-up: katalonc --print-machine-id as a whole process, against node -e 0 and node-machine-id;
// the standalone executable; and the Windows executable under Wine, against Node.js for Windows.
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { windowsPath, winePrefix, wineInstalled } from '../harness/wine.ts';
import { windowsNode } from '../windows-node.ts';
import { add, exe, katalonc, node, root, RUNS, timeTogether, type Command } from './measure.ts';

/** Measures the start-up rows; returns node -e 0's time, the floor of every whole process. */
export const benchStartUp = (): number => {
  console.log('Start-up: katalonc --print-machine-id as a whole process');
  const peerEnv = { ...process.env, NODE_PATH: join(root, 'node_modules') };
  const startup: Command[] = [
    { cmd: node, args: ['-e', '0'] },
    { cmd: node, args: [katalonc, '--print-machine-id'] },
    {
      cmd: node,
      args: ['-e', "console.log(require('node-machine-id').machineIdSync())"],
      env: peerEnv,
    },
    ...(existsSync(exe) ? [{ cmd: exe, args: ['--print-machine-id'] }] : []),
  ];
  const [nodeE0, machineId, nodeMachineId, standalone] = timeTogether(startup, RUNS * 2) as [
    number,
    number,
    number,
    number | undefined,
  ];
  add('katalonc --print-machine-id vs node -e 0', machineId, nodeE0, '≤ 1.5x', (r) => r <= 1.5);
  add(
    'katalonc --print-machine-id vs node-machine-id machineIdSync()',
    machineId,
    nodeMachineId,
    '< 1x (faster)',
    (r) => r < 1,
  );
  if (standalone !== undefined)
    add(
      'standalone katalonc --print-machine-id vs node -e 0',
      standalone,
      nodeE0,
      '≤ 1.5x',
      (r) => r <= 1.5,
    );
  else
    console.log(
      '  (no build/katalonc: run npm run build:binary to measure the standalone executable)',
    );

  // The Windows executable under Wine (the Windows lane's set-up), against Node.js for Windows itself.
  const winExe = join(root, 'build', 'katalonc-win-x64.exe');
  if (wineInstalled && existsSync(winExe)) {
    console.log('Windows (under Wine): katalonc-win-x64.exe --print-machine-id as a whole process');
    const prefix = winePrefix();
    const env = prefix.env();
    const [winNodeE0, winMachineId, winExeMachineId] = timeTogether(
      [
        { cmd: 'wine', args: [prefix.katalonc[0], '-e', '0'], env },
        { cmd: 'wine', args: [...prefix.katalonc, '--print-machine-id'], env },
        { cmd: 'wine', args: [windowsPath(winExe), '--print-machine-id'], env },
      ],
      Math.ceil(RUNS / 3),
    );
    prefix.close();
    // Reported, not held to the Linux targets: Wine's process start-up is not Windows'.
    add(
      'Windows (Wine): npm katalonc --print-machine-id vs node -e 0',
      winMachineId,
      winNodeE0,
      '(reported)',
      () => true,
    );
    add(
      'Windows (Wine): katalonc-win-x64.exe --print-machine-id vs node -e 0',
      winExeMachineId,
      winNodeE0,
      '(reported)',
      () => true,
    );
    add(
      'Windows: katalonc-win-x64.exe size vs its node.exe',
      statSync(winExe).size,
      statSync(windowsNode()).size,
      '(reported)',
      () => true,
      (bytes) => `${(bytes / 1e6).toFixed(1)} MB`,
    );
  } else
    console.log(`  (no Windows rows: ${wineInstalled ? 'npm run build:binary first' : 'no Wine'})`);
  return nodeE0;
};
