/**
 * Saves a large tensor to argv[2] over and over until killed; the atomic
 * write test SIGKILLs it while a temporary file is being written.
 */
import '@nerve/backend-cpu';
import { zeros } from '@nerve/core';
import { saveSafetensors } from '../../src/index.js';

const big = zeros([16 * 2 ** 20]);
process.stdout.write('ready\n');
for (;;) await saveSafetensors(process.argv[2] as string, { big });
