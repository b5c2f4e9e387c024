#!/usr/bin/env node
import { runClientCli } from "./commands/program.js";

process.exitCode = await runClientCli(process.argv.slice(2));
