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
    // Loaded when the playground page renders it, not with the home page.
    app.component(
      'PlaygroundDemo',
      defineAsyncComponent(() => import('./PlaygroundDemo.vue')),
    );
  },
} satisfies Theme;
