import { serveFunctions } from '../scripts/stack/functions.js';

/**
 * The child of the media benchmark: platformEvents and mediaReady served in a process of their own,
 * so that the parent can read this process's memory (/proc/<pid>/status) around an upload. Prints
 * one JSON line with the functions' URLs once they listen.
 */
const served = await serveFunctions({ platformEvents: 0, mediaReady: 0 });
const url = (name: string) => served.functions.find((f) => f.name === name)!.url;
console.log(JSON.stringify({ platformEvents: url('platformEvents'), mediaReady: url('mediaReady') }));
process.on('SIGTERM', () => void served.stop().then(() => process.exit(0)));
