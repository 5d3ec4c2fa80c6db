// Each OS's collector against fixture file trees and recorded command outputs, on any OS.
import { describe, expect, it } from 'vitest';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { systemProbe, type Probe } from '../../src/platform/machine/probe.ts';
import { machineIdReport } from '../../src/platform/machine/index.ts';
import { machineIdOnTmpfs } from '../../src/platform/machine/linux.ts';
import { parseMachineId } from '../../src/core/machine-id/format.ts';
import { tempDir } from '../helpers/cli.ts';

const fixtureRoot = (files: Record<string, string>): string => {
  const root = tempDir('katalonc-root-');
  for (const [path, content] of Object.entries(files)) {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), content);
  }
  return root;
};

const linuxProbe = (
  files: Record<string, string>,
  user = { name: 'alice', uid: 1000 },
  env: Record<string, string> = {},
): Probe => ({
  ...systemProbe(fixtureRoot(files)),
  env,
  user: () => user,
});

const recordedProbe = (
  outputs: Record<string, string | null>,
  user = { name: 'alice', uid: 501 },
): Probe => ({
  readText: () => null,
  run: (file, args) =>
    Promise.resolve(
      outputs[`${file} ${args.join(' ')}`] ?? outputs[file.split('\\').pop()!] ?? null,
    ),
  env: { SystemRoot: 'C:\\Windows', USERDOMAIN: 'CORP' },
  user: () => user,
});

const MID = '4c4c4544004d3510804cb4c04f564d32\n';

describe('linux collector', () => {
  it('gives the same ID for the same inputs and a valid, parseable ID', async () => {
    const a = await machineIdReport(linuxProbe({ '/etc/machine-id': MID }), 'linux');
    const b = await machineIdReport(linuxProbe({ '/etc/machine-id': MID }), 'linux');
    expect(a.machineId).toBe(b.machineId);
    expect(parseMachineId(a.machineId).ok).toBe(true);
    expect(a.sources.find((s) => s.name === '/etc/machine-id')?.used).toBe(true);
  });

  it('gives another user another ID', async () => {
    const alice = await machineIdReport(linuxProbe({ '/etc/machine-id': MID }), 'linux');
    const bob = await machineIdReport(
      linuxProbe({ '/etc/machine-id': MID }, { name: 'bob', uid: 1001 }),
      'linux',
    );
    expect(bob.machineId).not.toBe(alice.machineId);
  });

  it('falls back to the D-Bus copy, then the DMI UUID, in that order', async () => {
    const etc = await machineIdReport(
      linuxProbe({ '/etc/machine-id': MID, '/var/lib/dbus/machine-id': MID }),
      'linux',
    );
    const dbus = await machineIdReport(linuxProbe({ '/var/lib/dbus/machine-id': MID }), 'linux');
    expect(dbus.machineId).toBe(etc.machineId); // the same identity read from its other place
    expect(dbus.sources.map((s) => s.used)).toEqual([false, true, false, true]);
    const dmi = await machineIdReport(
      linuxProbe({ '/sys/class/dmi/id/product_uuid': '0F1E2D3C-4B5A-6978-8796-A5B4C3D2E1F0\n' }),
      'linux',
    );
    expect(dmi.sources.map((s) => s.used)).toEqual([false, false, true, true]);
    expect(dmi.machineId).not.toBe(etc.machineId);
  });

  it('changes only when a used source changes', async () => {
    const base = await machineIdReport(
      linuxProbe({ '/etc/machine-id': MID, '/sys/class/dmi/id/product_uuid': 'A' }),
      'linux',
    );
    const unusedChanged = await machineIdReport(
      linuxProbe({ '/etc/machine-id': MID, '/sys/class/dmi/id/product_uuid': 'B' }),
      'linux',
    );
    const usedChanged = await machineIdReport(
      linuxProbe({ '/etc/machine-id': '5c4c4544004d3510804cb4c04f564d32' }),
      'linux',
    );
    expect(unusedChanged.machineId).toBe(base.machineId);
    expect(usedChanged.machineId).not.toBe(base.machineId);
  });

  it('ignores network interfaces and hostnames entirely', async () => {
    const a = await machineIdReport(
      linuxProbe({
        '/etc/machine-id': MID,
        '/etc/hostname': 'ci-1',
        '/sys/class/net/docker0/address': '02:42:ac:11:00:02',
      }),
      'linux',
    );
    const b = await machineIdReport(
      linuxProbe({
        '/etc/machine-id': MID,
        '/etc/hostname': 'ci-2',
        '/sys/class/net/tun0/address': '00:ff:00:ff:00:ff',
      }),
      'linux',
    );
    expect(a.machineId).toBe(b.machineId);
  });

  it('warns in containers, without a machine identity, with placeholder values, and with a tmpfs machine-id', async () => {
    const docker = await machineIdReport(
      linuxProbe({ '/etc/machine-id': MID, '/.dockerenv': '' }),
      'linux',
    );
    expect(docker.warnings.join()).toMatch(/container \(docker\).*floating/);
    const k8s = await machineIdReport(
      linuxProbe({ '/etc/machine-id': MID }, undefined, { KUBERNETES_SERVICE_HOST: '10.0.0.1' }),
      'linux',
    );
    expect(k8s.warnings.join()).toMatch(/kubernetes/);
    const none = await machineIdReport(linuxProbe({}), 'linux');
    expect(none.warnings.join()).toMatch(/no machine identity could be read/);
    const cloned = await machineIdReport(
      linuxProbe({ '/etc/machine-id': '00000000000000000000000000000000' }),
      'linux',
    );
    expect(cloned.warnings.join()).toMatch(/placeholder/);
    const tmpfs = await machineIdReport(
      linuxProbe({
        '/etc/machine-id': MID,
        '/proc/self/mountinfo': '30 25 0:27 / /etc/machine-id ro,relatime - tmpfs tmpfs rw\n',
      }),
      'linux',
    );
    expect(tmpfs.warnings.join()).toMatch(/tmpfs/);
    const clean = await machineIdReport(
      linuxProbe({
        '/etc/machine-id': MID,
        '/proc/self/mountinfo': '22 1 8:1 / / rw - ext4 /dev/sda1 rw\n',
      }),
      'linux',
    );
    expect(clean.warnings).toEqual([]);
  });

  it('recognises a tmpfs /etc in mountinfo', () => {
    expect(machineIdOnTmpfs('40 1 0:30 / /etc rw - tmpfs tmpfs rw')).toBe(true);
    expect(machineIdOnTmpfs('40 1 0:30 / /run rw - tmpfs tmpfs rw')).toBe(false);
  });
});

const IOREG = `+-o J316sAP  <class IOPlatformExpertDevice, id 0x100000110, registered, matched, active, busy 0 (116 ms), retain 40>
    {
      "IOPlatformSerialNumber" = "C02XXXXXXX"
      "IOPlatformUUID" = "5A1B2C3D-1234-5678-9ABC-DEF012345678"
      "model" = <"MacBookPro18,1">
    }`;

describe('darwin collector', () => {
  it('reads IOPlatformUUID through /usr/sbin/ioreg by its full path', async () => {
    const probe = recordedProbe({ '/usr/sbin/ioreg -rd1 -c IOPlatformExpertDevice': IOREG });
    const a = await machineIdReport(probe, 'darwin');
    expect(a.sources[0]).toMatchObject({ name: 'IOPlatformUUID', used: true });
    expect(a.warnings).toEqual([]);
    const other = await machineIdReport(
      recordedProbe(
        { '/usr/sbin/ioreg -rd1 -c IOPlatformExpertDevice': IOREG },
        { name: 'bob', uid: 502 },
      ),
      'darwin',
    );
    expect(other.machineId).not.toBe(a.machineId);
    const bare = await machineIdReport(recordedProbe({ ioreg: IOREG }), 'darwin');
    expect(bare.sources[0].used).toBe(false); // "ioreg" from PATH is never what runs
  });
});

const REG = `
HKEY_LOCAL_MACHINE\\SOFTWARE\\Microsoft\\Cryptography
    MachineGuid    REG_SZ    3f1c2b4a-5d6e-4f70-8a9b-0c1d2e3f4a5b
`;
const WHOAMI = '"corp\\alice","S-1-5-21-1004336348-1177238915-682003330-1001"\r\n';

describe('win32 collector', () => {
  it('reads MachineGuid from the 64-bit view and the user SID', async () => {
    const a = await machineIdReport(
      recordedProbe({ 'reg.exe': REG, 'whoami.exe': WHOAMI }),
      'win32',
    );
    expect(a.sources[0]).toMatchObject({ used: true });
    expect(a.user).toBe('corp\\alice');
    const probe = recordedProbe({ 'reg.exe': REG, 'whoami.exe': WHOAMI });
    const calls: string[] = [];
    const spy: Probe = {
      ...probe,
      run: (f, args) => (calls.push(`${f} ${args.join(' ')}`), probe.run(f, args)),
    };
    await machineIdReport(spy, 'win32');
    expect(calls.find((c) => c.includes('reg.exe'))).toContain('/reg:64');
  });

  it('falls back to .NET when reg.exe is disabled by policy, with the same ID', async () => {
    const viaReg = await machineIdReport(
      recordedProbe({ 'reg.exe': REG, 'whoami.exe': WHOAMI }),
      'win32',
    );
    const viaDotNet = await machineIdReport(
      recordedProbe({
        'powershell.exe': '3f1c2b4a-5d6e-4f70-8a9b-0c1d2e3f4a5b\r\n',
        'whoami.exe': WHOAMI,
      }),
      'win32',
    );
    expect(viaDotNet.machineId).toBe(viaReg.machineId);
    expect(viaDotNet.sources.map((s) => s.used)).toEqual([false, true, true]);
  });

  it('another SID gives another ID', async () => {
    const a = await machineIdReport(
      recordedProbe({ 'reg.exe': REG, 'whoami.exe': WHOAMI }),
      'win32',
    );
    const b = await machineIdReport(
      recordedProbe({ 'reg.exe': REG, 'whoami.exe': WHOAMI.replace('1001', '1002') }),
      'win32',
    );
    expect(b.machineId).not.toBe(a.machineId);
  });
});

// In the format real Windows prints them (Wine's whoami ignores /fo csv /nh, and Wine has no
// PowerShell): a local account, a domain account whose name has a space, an Entra ID account.
const WHOAMI_RECORDED = {
  local: '"desktop-7k2j3qp\\alice","S-1-5-21-3623811015-3361044348-30300820-1013"\r\n',
  domain: '"corp\\alice smith","S-1-5-21-1004336348-1177238915-682003330-512"\r\n',
  entra: '"azuread\\alicesmith","S-1-12-1-1234567890-1234567890-1234567890-1234567890"\r\n',
};
// reg.exe where policy disables it prints this on stderr and exits 1: the probe gets null.
const POWERSHELL_DOTNET =
  "[Microsoft.Win32.RegistryKey]::OpenBaseKey('LocalMachine','Registry64').OpenSubKey('SOFTWARE\\Microsoft\\Cryptography').GetValue('MachineGuid')";
const POWERSHELL_SMBIOS = '(Get-CimInstance -ClassName Win32_ComputerSystemProduct).UUID';
const powershell = (script: string) =>
  `C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe -NoProfile -NonInteractive -Command ${script}`;

describe('win32 collector on recorded outputs', () => {
  it('the user is the SID from whoami /user /fo csv /nh, for local, domain and Entra ID accounts', async () => {
    const ids = new Set<string>();
    for (const [kind, output] of Object.entries(WHOAMI_RECORDED)) {
      const r = await machineIdReport(
        recordedProbe({
          'reg.exe': REG,
          'C:\\Windows\\System32\\whoami.exe /user /fo csv /nh': output,
        }),
        'win32',
      );
      expect(r.user, kind).toBe(/"([^"]+)"/.exec(output)![1]);
      expect(r.sources.at(-1)!.name, kind).toMatch(/\(S-1-/);
      ids.add(r.machineId);
    }
    expect(ids.size).toBe(3);
  });

  it('without whoami: the user by name, said to have no SID (an ID that a rename changes)', async () => {
    const r = await machineIdReport(recordedProbe({ 'reg.exe': REG }), 'win32');
    expect(r.user).toBe('CORP\\alice');
    expect(r.sources.at(-1)!.name).toContain('sid unknown');
  });

  it('reg.exe disabled by policy: .NET through PowerShell, then the SMBIOS UUID through PowerShell', async () => {
    const dotNet = await machineIdReport(
      recordedProbe({
        [powershell(POWERSHELL_DOTNET)]: '3f1c2b4a-5d6e-4f70-8a9b-0c1d2e3f4a5b\r\n',
        'whoami.exe': WHOAMI,
      }),
      'win32',
    );
    expect(dotNet.sources.slice(0, 2).map((s) => [s.name, s.used])).toEqual([
      ['HKLM\\SOFTWARE\\Microsoft\\Cryptography\\MachineGuid (reg.exe)', false],
      ['HKLM\\SOFTWARE\\Microsoft\\Cryptography\\MachineGuid (.NET)', true],
    ]);
    const smbios = await machineIdReport(
      recordedProbe({
        [powershell(POWERSHELL_DOTNET)]: '\r\n',
        [powershell(POWERSHELL_SMBIOS)]: '4C4C4544-0037-3610-8058-B7C04F4E3732\r\n',
        'whoami.exe': WHOAMI,
      }),
      'win32',
    );
    expect(smbios.sources.slice(0, 3).map((s) => s.used)).toEqual([false, false, true]);
    expect(smbios.machineId).not.toBe(dotNet.machineId);
    const nothing = await machineIdReport(recordedProbe({ 'whoami.exe': WHOAMI }), 'win32');
    expect(nothing.warnings.join()).toMatch(/no machine identity could be read/);
  });
});

// In the format an Intel Mac prints it: the same key among others, in another order.
const IOREG_INTEL = `+-o MacBookPro16,1  <class IOPlatformExpertDevice, id 0x100000118, registered, matched, active, busy 0 (1843 ms), retain 37>
    {
      "IOPolledInterface" = "AppleARMWatchdogTimerHibernateHandler is not serializable"
      "IOPlatformUUID" = "E3A6B1C2-76D4-5A88-9F0E-1C2D3E4F5A6B"
      "IOPlatformSerialNumber" = "C02ZK1YYMD6T"
      "manufacturer" = <"Apple Inc.">
      "IOPlatformArgs" = <00d0a00f00000000>
    }`;

describe('darwin collector on recorded outputs', () => {
  it('an Intel Mac: IOPlatformUUID among the other keys; the user is the uid', async () => {
    const r = await machineIdReport(
      recordedProbe({ '/usr/sbin/ioreg -rd1 -c IOPlatformExpertDevice': IOREG_INTEL }),
      'darwin',
    );
    expect(r.sources.map((s) => [s.name, s.used])).toEqual([
      ['IOPlatformUUID', true],
      ['user alice (uid 501)', true],
    ]);
    expect(r.warnings).toEqual([]);
  });

  it('ioreg failing (sandboxed, or its output without the key): no ID source, said plainly', async () => {
    const r = await machineIdReport(recordedProbe({}), 'darwin');
    expect(r.warnings.join()).toMatch(/no machine identity could be read/);
  });
});
