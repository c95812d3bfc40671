#!/usr/bin/env node
/** The `roster` command (`npm run roster -- <command>` in a checkout). */
import { loadDotEnv } from '../config.js';
import { processIo } from './io.js';
import { runCli } from './program.js';

loadDotEnv();
const code = await runCli(process.argv.slice(2), processIo());
if (code !== undefined) process.exitCode = code;
