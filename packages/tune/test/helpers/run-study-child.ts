/**
 * Runs the resume test's study in a child process (so the test can SIGKILL
 * it): node --import tsx --conditions=@nerve/source run-study-child.ts <file>
 */
import '@nerve/backend-cpu';
import { studyOptions } from './resume-study.js';
import { runStudy } from '../../src/index.js';

await runStudy({ ...studyOptions(), storage: process.argv[2] });
console.log('child finished');
