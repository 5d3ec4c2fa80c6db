// Every option of Katalon's documented katalonc command line ("Command-line syntax in Katalon
// Runtime Engine", "Get started with KRE", the pre-7.5 "Console mode execution" page), each tagged
// licensing (katalonc acts on it), runner (it belongs to the test engine, which gets it as typed),
// or both (katalonc acts on it, and the engine still gets it as typed).
// One table: the grammar (grammar.ts), the help text and the README's option list follow from it.

type Role = 'licensing' | 'runner' | 'both';
/** flag: bare or =true/=false; value: -name=value. */
type Shape = 'flag' | 'value';

export interface OptionSpec {
  /** The documented spelling; matched case-insensitively. */
  name: string;
  role: Role;
  shape: Shape;
  /** For licensing options (and those that are both): the GNU long option commander parses it as. */
  gnu?: string;
  /** Proxy settings come in two generations that must not be mixed in one command line. */
  proxyForm?: 'pre-7.5' | '7.5+';
  /** Other documented spellings. */
  aliases?: string[];
}

const licensing = (
  name: string,
  gnu: string,
  shape: Shape = 'value',
  extra: Partial<OptionSpec> = {},
) => ({ name, role: 'licensing', shape, gnu, ...extra }) satisfies OptionSpec;
const both = (name: string, gnu: string) =>
  ({ name, role: 'both', shape: 'value', gnu }) satisfies OptionSpec;
const runner = (name: string, shape: Shape = 'value', extra: Partial<OptionSpec> = {}) =>
  ({ name, role: 'runner', shape, ...extra }) satisfies OptionSpec;

const proxy = (form: 'pre-7.5' | '7.5+', prefix: string): OptionSpec[] =>
  (
    [
      ['option', '--proxy-option'],
      ['server.type', '--proxy-type'],
      ['server.address', '--proxy-address'],
      ['server.port', '--proxy-port'],
      ['excludes', '--proxy-excludes'],
      ['username', '--proxy-username'],
      ['password', '--proxy-password'],
    ] as const
  ).map(([suffix, gnu]) => licensing(`${prefix}${suffix}`, gnu, 'value', { proxyForm: form }));

export const OPTIONS: readonly OptionSpec[] = [
  // ---- licensing: katalonc acts on these ----
  licensing('apiKey', '--api-key'),
  licensing('orgID', '--org-id', 'value', { aliases: ['orgId'] }),
  licensing('serverUrl', '--server-url', 'value', { aliases: ['serverURL'] }),
  // The engine's TestOps server (reports go there); katalonc's last resort for the license server.
  both('testOps.serverUrl', '--testops-server-url'),
  licensing('licenseRelease', '--license-release', 'flag'),
  licensing('enableLicenseRetry', '--enable-license-retry', 'flag'),
  licensing('licenseRetryMaxDuration', '--license-retry-max-duration'),
  licensing('licenseRetryInterval', '--license-retry-interval'),
  licensing('licenseRetryMaxJitter', '--license-retry-max-jitter'),
  ...proxy('7.5+', 'proxy.auth.'),
  ...proxy('pre-7.5', 'proxy.'),
  // katalonc's own, in the same style.
  licensing('licenseDir', '--license-dir'),
  // Which online pool: node-locked or floating (Katalon has no such option; its portal decides).
  licensing('licenseModel', '--license-model'),
  licensing('caFile', '--ca-file'),
  // The engine reads its own options from the file too.
  both('propertiesFile', '--properties-file'),
  // ---- runner: the test engine's ----
  runner('runMode'),
  runner('noSplash', 'flag'),
  runner('consoleLog', 'flag'),
  runner('noExit', 'flag'),
  runner('summaryReport', 'flag'),
  runner('projectPath'),
  runner('testSuitePath'),
  runner('testSuiteCollectionPath'),
  runner('browserType'),
  runner('retry'),
  runner('retryStrategy'),
  runner('retryFailedTestCases'),
  runner('retryFailedTestCasesTestData'),
  runner('statusDelay'),
  runner('executionProfile'),
  runner('reportFolder'),
  runner('reportFileName'),
  runner('sendMail'),
  runner('maxFailedTests'),
  runner('remoteWebDriverUrl'),
  runner('remoteWebDriverType'),
  runner('deviceId'),
  runner('appiumDirectory'),
  runner('delayBetweenInstances'),
  runner('testSuiteQuery'),
  runner('testSuiteCollectionQuery'),
  runner('maxResponseSize'),
  runner('installPlugin'),
  runner('webui.autoUpdateDrivers'),
  runner('apiKeyOnPremise', 'value', { aliases: ['apiKeyOP'] }),
  runner('testOpsProjectId'),
  runner('testOpsReleaseId'),
  runner('testOpsBuildId'),
  runner('testcloudEnvironmentId'),
  runner('testcloudTunnel', 'flag'),
  runner('testcloudMobileDeviceId'),
  runner('testcloudMobileId'),
  runner('kobitonDeviceId'),
  runner('qTestDestId'),
  runner('qTestDestType'),
  runner('adoPlanId'),
  runner('adoTestRunName'),
  runner('buildLabel'),
  runner('buildURL'),
  runner('adoDefinitionID'),
];

/** Documented families, by prefix: every option that starts with one is the engine's. */
const RUNNER_PREFIXES: readonly string[] = [
  'g_',
  'proxy.system.',
  'testOps.',
  'testcloud',
  'kobiton',
  'qTest',
  'ado',
  'webui.',
];

const byName = new Map<string, OptionSpec>();
for (const spec of OPTIONS)
  for (const n of [spec.name, ...(spec.aliases ?? [])]) byName.set(n.toLowerCase(), spec);

/** The documented option of that name (any case), or a runner family member, or undefined. */
export const findOption = (name: string): OptionSpec | undefined => {
  const spec = byName.get(name.toLowerCase());
  if (spec) return spec;
  const lower = name.toLowerCase();
  return RUNNER_PREFIXES.some((p) => lower.startsWith(p.toLowerCase()))
    ? { name, role: 'runner', shape: 'value' }
    : undefined;
};

/** katalonc's own commands (not Katalon's): a line that starts with one is katalonc's alone. */
export const COMMANDS: ReadonlySet<string> = new Set([
  'machine-id',
  'license',
  'trust',
  'run',
  'activate',
  'deactivate',
  'status',
  'engine',
  'clock',
  'completion',
  'help',
]);
