/**
 * Entry point of the bundle `npm start` runs its components from (src/cmd/local-build.ts):
 * `node <bundle>/local-launch.js <program> [args...]` does what `bin/<program>.js [args...]` does.
 */
import { main } from './main.js';

const [name = '', ...argv] = process.argv.slice(2);
process.exitCode = await main(name, argv);
