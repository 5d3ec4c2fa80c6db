// The one way both programs (katalonc and katalon-license-server) declare a command and hand back
// what it did: commander declares it; its action, given with `.returns(fn)`, returns a Result (like
// citty's `run`); `execute` parses a command line and returns the Result of the command that ran,
// for the runner (runner.ts) to render. Each invocation builds its own program, so the Result
// travels on that object, never through a module variable.
import { Command } from 'commander';
import type { Result } from './runner.ts';

const programOf = (command: Command): Command =>
  command.parent ? programOf(command.parent) : command;

export class ResultCommand extends Command {
  #result: Result | void = undefined;

  /** Subcommands (`.command(name)`) are ResultCommands too. */
  override createCommand(name?: string): ResultCommand {
    return new ResultCommand(name);
  }

  /** The command's action: what it returns is what the program's `execute` returns. */
  returns<A extends unknown[]>(run: (...args: A) => Promise<Result | void> | Result | void): this {
    return this.action(async (...args: unknown[]) => {
      const result = await run(...(args as A));
      (programOf(this) as ResultCommand).#result = result;
    });
  }

  /** Parses a command line (`from`: as commander reads it) and runs its command: its Result. */
  async execute(argv: readonly string[], from: 'user' | 'node'): Promise<Result | void> {
    await this.parseAsync(argv, { from });
    return this.#result;
  }
}
