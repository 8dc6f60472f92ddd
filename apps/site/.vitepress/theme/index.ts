/** The default VitePress theme plus nerve's demo components. */
import type { Theme } from 'vitepress';
import { defineAsyncComponent } from 'vue';
import DefaultTheme from 'vitepress/theme';
import DigitsDemo from './DigitsDemo.vue';
import LabRunner from './LabRunner.vue';
import './a11y.css';

export default {
  extends: DefaultTheme,
  enhanceApp({ app }) {
    app.component('DigitsDemo', DigitsDemo);
    app.component('LabRunner', LabRunner);
    // Loaded with the /search page, not with the home page's initial JavaScript.
    app.component(
      'SearchStudy',
      defineAsyncComponent(() => import('./SearchStudy.vue')),
    );
    // Its own page only: loaded when that page renders it.
    app.component(
      'TransferDemo',
      defineAsyncComponent(() => import('./TransferDemo.vue')),
    );
    // Loaded when the playground page renders it, not with the home page.
    app.component(
      'PlaygroundDemo',
      defineAsyncComponent(() => import('./PlaygroundDemo.vue')),
    );
    // Loaded with the examples page only, not in the home page's initial JS.
    app.component(
      'RunExample',
      defineAsyncComponent(() => import('./RunExample.vue')),
    );
  },
} satisfies Theme;
