// katalonc completion bash|zsh|fish: a script that completes katalonc's commands, its own options
// and Katalon's documented ones (from the one option table).
import { fail } from '../../core/errors.ts';
import { OPTIONS } from '../../core/katalonc/options.ts';
import type { Result } from '../../command-line/runner.ts';

export const SHELLS = ['bash', 'zsh', 'fish'] as const;

export const completion = (shell: string, commands: string[], gnuOptions: string[]): Result => {
  const katalon = OPTIONS.map((o) => `-${o.name}${o.shape === 'value' ? '=' : ''}`);
  const words = [...new Set([...commands, ...gnuOptions, ...katalon])].sort();
  const list = words.join(' ');
  const scripts: Record<string, string[]> = {
    bash: [
      '# katalonc completion for bash: eval "$(katalonc completion bash)"',
      `complete -o nospace -W '${list}' katalonc`,
    ],
    zsh: [
      '# katalonc completion for zsh: eval "$(katalonc completion zsh)"',
      `_katalonc() { compadd -S '' -- ${list} }`,
      'compdef _katalonc katalonc',
    ],
    fish: [
      '# katalonc completion for fish: katalonc completion fish | source',
      `complete -c katalonc -f -a '${list}'`,
    ],
  };
  const script = scripts[shell];
  if (!script)
    throw fail(
      'INVALID_ARGUMENT',
      `no completion for "${shell}": choose one of ${SHELLS.join(', ')}`,
    );
  return { data: { shell, words }, lines: script };
};
