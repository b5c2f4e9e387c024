#!/usr/bin/env node
import { runClientCli } from "./cli.js";

process.exitCode = await runClientCli(process.argv.slice(2));
