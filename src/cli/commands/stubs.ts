import type { CommandModule } from 'yargs';
import { NotAvailableError } from '../../core/errors';

/** A command whose implementation has not landed: it says so and exits with code 2. */
export function notYet(name: string, describe: string): CommandModule {
  return {
    command: name,
    describe: `${describe} (not available yet)`,
    builder: (y) => y.strict(false),
    handler: () => {
      throw new NotAvailableError(`'tim ${name.split(' ')[0] ?? name}'`);
    },
  };
}
