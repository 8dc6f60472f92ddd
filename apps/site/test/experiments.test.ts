/** The site's list of lab pages is the lab's registry, in the same order. */
import { experiments } from '@nerve/lab';
import { expect, it } from 'vitest';
import { siteExperiments } from '../.vitepress/experiments.js';

it('lists every experiment of the registry with its title', () => {
  expect(siteExperiments).toEqual(experiments.map((e) => ({ id: e.id, title: e.title })));
});
