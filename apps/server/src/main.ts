#!/usr/bin/env node
import { runServerCli } from "./cli/cli.js";

process.exitCode = await runServerCli(process.argv.slice(2));
