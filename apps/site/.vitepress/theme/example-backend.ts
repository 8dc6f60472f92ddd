/**
 * The backend the last run example used, shared by the RunExample
 * components of a page: the page's one BackendPicker shows it.
 */
import { ref } from 'vue';
import type { SiteBackend } from './site-backend.js';

export const lastExampleBackend = ref<SiteBackend | null>(null);
