#!/usr/bin/env node
// The one exit point: run the CLI, map typed errors to exit codes.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../toolkit/main.ts');
process.exitCode = await main(process.argv.slice(2));
