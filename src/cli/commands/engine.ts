// katalonc engine [PATH] [--unset]: the test engine that Katalon command lines are handed to.
import { fail } from '../../core/errors.ts';
import { engineOf } from '../../client/settings.ts';
import { readConfig, updateConfig } from '../../client/state.ts';
import type { Result } from '../../command-line/runner.ts';

export const engine = async (path: string | undefined, unset: boolean): Promise<Result> => {
  if (unset && path) throw fail('INVALID_ARGUMENT', 'give a path or --unset, not both');
  if (unset || path) {
    await updateConfig(({ engine: _old, ...config }) => ({
      ...config,
      ...(path ? { engine: path } : {}),
    }));
  }
  const saved = readConfig().engine ?? null;
  const used = engineOf({}) ?? null;
  return {
    data: { saved, used },
    lines: [
      saved ? `Saved engine: ${saved}` : 'No engine saved.',
      used && used !== saved ? `In use here: ${used} (KATALONC_ENGINE)` : '',
    ].filter(Boolean),
  };
};
