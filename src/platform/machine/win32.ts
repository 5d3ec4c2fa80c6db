// Windows: MachineGuid from the 64-bit registry view (a 32-bit process would otherwise see the
// WOW6432Node copy), read with reg.exe; where policy disables reg.exe, through .NET in PowerShell;
// then the SMBIOS UUID. The user is identified by its SID, which survives renames.
import type { MachineFacts, SourceReading } from '../../core/machine-id/derive.ts';
import type { Probe } from './probe.ts';

const KEY = 'HKLM\\SOFTWARE\\Microsoft\\Cryptography';

const parseRegQuery = (output: string): string | null =>
  /MachineGuid\s+REG_SZ\s+(\S+)/i.exec(output)?.[1] ?? null;

/** `whoami /user /fo csv /nh` prints "domain\user","S-1-5-21-…". */
const parseWhoami = (output: string): { name: string; sid: string } | null => {
  const match = /^"([^"]+)","(S-[0-9-]+)"/m.exec(output.trim());
  return match ? { name: match[1], sid: match[2] } : null;
};

const clean = (output: string | null): string | null => (output?.trim() ? output.trim() : null);

export const collect = async (probe: Probe): Promise<MachineFacts> => {
  const system32 = `${probe.env.SystemRoot ?? 'C:\\Windows'}\\System32`;
  const powershell = (script: string) =>
    probe.run(`${system32}\\WindowsPowerShell\\v1.0\\powershell.exe`, [
      '-NoProfile',
      '-NonInteractive',
      '-Command',
      script,
    ]);

  const [regOutput, whoami] = await Promise.all([
    probe.run(`${system32}\\reg.exe`, ['query', KEY, '/v', 'MachineGuid', '/reg:64']),
    probe.run(`${system32}\\whoami.exe`, ['/user', '/fo', 'csv', '/nh']),
  ]);
  const sources: SourceReading[] = [];
  const fromReg = regOutput === null ? null : parseRegQuery(regOutput);
  sources.push({
    name: `${KEY}\\MachineGuid (reg.exe)`,
    kind: 'machine-guid',
    value: fromReg,
    ...(fromReg ? {} : { note: 'reg.exe failed (disabled by policy?)' }),
  });
  if (!fromReg) {
    const fromDotNet = clean(
      await powershell(
        "[Microsoft.Win32.RegistryKey]::OpenBaseKey('LocalMachine','Registry64').OpenSubKey('SOFTWARE\\Microsoft\\Cryptography').GetValue('MachineGuid')",
      ),
    );
    sources.push({ name: `${KEY}\\MachineGuid (.NET)`, kind: 'machine-guid', value: fromDotNet });
    if (!fromDotNet) {
      const smbios = clean(
        await powershell('(Get-CimInstance -ClassName Win32_ComputerSystemProduct).UUID'),
      );
      sources.push({ name: 'SMBIOS UUID', kind: 'hardware-uuid', value: smbios });
    }
  }
  const who = whoami === null ? null : parseWhoami(whoami);
  const fallbackName = `${probe.env.USERDOMAIN ?? '.'}\\${probe.user().name}`;
  return {
    platform: 'win32',
    sources,
    user: who ? { name: who.name, id: who.sid } : { name: fallbackName, id: 'sid unknown' },
    container: null,
  };
};
