#!/usr/bin/env node
// The `keyport` command: runs the TypeScript CLI through tsx, so no build step is needed.
import { register } from 'tsx/esm/api';

register();
await import('../electron/cli/keyport.ts');
