/** The Action's entry (`dist/index.js`, `runs.using: node24`). */
import { run } from './main.js';

await run();
