#!/usr/bin/env node
// The `needloop` command. The sources are TypeScript run through tsx's loader, so a
// fresh clone needs no build step between `npm install` and its first command.
import { register } from 'tsx/esm/api';

register();
await import('../cli/main.ts');
