import '@nerve/backend-cpu';
import { runConformance } from '@nerve/core/testing';

runConformance('cpu');
