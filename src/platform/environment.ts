// Every environment variable katalonc reads, read in this one place (README "Configuration").
const env = process.env;
const set = (value: string | undefined): string | undefined =>
  value === undefined || value === '' ? undefined : value;

export const environment = {
  /** KATALON_API_KEY: the API key, kept off the command line (ps shows it). */
  apiKey: set(env.KATALON_API_KEY),
  orgId: set(env.KATALON_ORG_ID),
  serverUrl: set(env.KATALON_SERVER_URL),
  proxyPassword: set(env.KATALON_PROXY_PASSWORD),
  licenseDir: set(env.KATALON_LICENSE_DIR),
  /** KATALONC_LICENSE_MODEL: -licenseModel for every run (a container's CI: floating). */
  licenseModel: set(env.KATALONC_LICENSE_MODEL),
  /** KATALONC_HOME: katalonc's own state (config, clock mark, held sessions). */
  home: set(env.KATALONC_HOME),
  noKeychain: Boolean(set(env.KATALONC_NO_KEYCHAIN)),
  keychainTimeoutMs: Number(set(env.KATALONC_KEYCHAIN_TIMEOUT_MS) ?? 5000),
  /** HTTPS_PROXY / HTTP_PROXY: whether a request goes through undici (which reads them, and NO_PROXY, itself). */
  httpsProxy: set(env.HTTPS_PROXY) ?? set(env.https_proxy),
  httpProxy: set(env.HTTP_PROXY) ?? set(env.http_proxy),
  userProfile: set(env.USERPROFILE),
  /** SystemRoot (Windows): where reg.exe is. */
  systemRoot: set(env.SystemRoot),
  /** KATALONC_CONTAINER_OK=1: the container warning was read; do not repeat it. */
  containerAcknowledged: Boolean(set(env.KATALONC_CONTAINER_OK)),
  /** KATALONC_ENGINE: the test engine that runner options are handed to. */
  engine: set(env.KATALONC_ENGINE),
  /** KATALONC_MINUTE_MS: how long a license-retry minute is; for tests only (default a minute). */
  minuteMs: Math.max(10, Number(set(env.KATALONC_MINUTE_MS) ?? 60_000)),
} as const;
