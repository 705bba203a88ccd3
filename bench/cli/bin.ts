#!/usr/bin/env node
// The executable: importing main.ts runs nothing, so tests and other tools can import it.
import { main } from './main.js';

main(process.argv).then((code) => {
  process.exitCode = code;
});
