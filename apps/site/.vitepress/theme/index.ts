/** The default VitePress theme plus nerve's demo components. */
import { defineAsyncComponent } from 'vue';
import type { Theme } from 'vitepress';
import DefaultTheme from 'vitepress/theme';
import DigitsDemo from './DigitsDemo.vue';
import LabRunner from './LabRunner.vue';

export default {
  extends: DefaultTheme,
  enhanceApp({ app }) {
    app.component('DigitsDemo', DigitsDemo);
    app.component('LabRunner', LabRunner);
    // Its own page only: loaded when that page renders it.
    app.component(
      'TransferDemo',
      defineAsyncComponent(() => import('./TransferDemo.vue')),
    );
  },
} satisfies Theme;
