// Runs one uvu test file in this process (see test/run.ts). Unhandled rejections fail the file.
import { run } from 'uvu/run';
import { pathToFileURL } from 'node:url';

process.on('unhandledRejection', (e) => { console.error('unhandled rejection:', e); process.exitCode = 1; });
const file = process.argv[2]!;
// uvu/run imports 'file:///' + path; give it the plain path.
await run([{ name: file, file: pathToFileURL(file).pathname }]);
