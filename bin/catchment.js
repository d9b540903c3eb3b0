#!/usr/bin/env node
// Runs the TypeScript CLI through tsx so `npx catchment` needs no build step.
import { register } from 'tsx/esm/api';

register();
await import('../functions/cli/main.ts');
