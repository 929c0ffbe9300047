// Shared start-up for command-line scripts: configuration errors print plainly and exit 1.
import { ConfigError } from '../config/index.ts';

export const say = (message: string) => process.stdout.write(`${message}\n`);

export function runScript(main: () => Promise<void>): void {
  main().then(
    () => process.exit(0),
    (error: unknown) => {
      process.stderr.write(`${error instanceof ConfigError ? '' : 'Failed: '}${(error as Error).message}\n`);
      process.exit(1);
    },
  );
}
