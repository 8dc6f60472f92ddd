/** One page per lab experiment: /lab/<id>. */
import { siteExperiments } from '../../.vitepress/experiments.js';

export default {
  paths: () => siteExperiments.map((e) => ({ params: { id: e.id, title: e.title } })),
};
