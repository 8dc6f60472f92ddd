/** The default VitePress theme plus nerve's demo components. */
import { defineAsyncComponent } from 'vue';
import type { Theme } from 'vitepress';
import DefaultTheme from 'vitepress/theme';
import DigitsDemo from './DigitsDemo.vue';
import LabRunner from './LabRunner.vue';
import './a11y.css';

export default {
  extends: DefaultTheme,
  enhanceApp({ app }) {
    app.component('DigitsDemo', DigitsDemo);
    app.component('LabRunner', LabRunner);
    // Loaded with the examples page only, not in the home page's initial JS.
    app.component(
      'RunExample',
      defineAsyncComponent(() => import('./RunExample.vue')),
    );
  },
} satisfies Theme;
