/// <reference types="vitepress/client" />
/** Vite's `?url` imports: the asset's URL in the built site. */
declare module '*?url' {
  const url: string;
  export default url;
}
/** Single-file components, for the TypeScript files that import them. */
declare module '*.vue' {
  import type { DefineComponent } from 'vue';
  const component: DefineComponent;
  export default component;
}
