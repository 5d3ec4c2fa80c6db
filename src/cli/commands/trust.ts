// katalonc trust list: the root keys built into this katalonc. `trust add` is refused: a key a
// licensee could add would let them sign their own licenses.
import { fail } from '../../core/errors.ts';
import { buildKind, DEVELOPMENT_NOTICE, rootKeys } from '../../client/trust.ts';
import type { Result } from '../../command-line/runner.ts';

export const addTrustedKey = (): Promise<Result> =>
  Promise.reject(
    fail(
      'INVALID_ARGUMENT',
      `katalonc trusts only the root keys built into it (${buildKind()} build); a self-hosted server's key is trusted through the issuer certificate its licenses carry: ask the licensor to certify the server ("katalon-license-server root certify")`,
    ),
  );

export const listTrustedKeys = (): Promise<Result> => {
  const keys = [...rootKeys().values()].map((k) => ({
    keyId: k.keyId,
    key: k.text,
    origin: 'built-in',
  }));
  const build = buildKind();
  return Promise.resolve({
    data: { build, keys },
    lines: [
      `${build === 'release' ? 'Release build' : DEVELOPMENT_NOTICE}; root keys:`,
      ...keys.map((k) => `  ${k.keyId}  ${k.key}`),
    ],
  });
};
