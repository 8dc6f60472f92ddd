/**
 * Takes the links out of TypeDoc's `<summary>` elements (axe-core's
 * `nested-interactive`, serious: a link inside the disclosure's button is
 * announced as part of the button and cannot be reached on its own by
 * some screen readers). TypeDoc 0.28's default theme nests links there in
 * two places, and both are moved beside the summary instead of inside it:
 *
 * - the section headings of module and class pages ("Properties",
 *   "Functions", …): `<summary>` › `<h2>` › permalink `<a>`. Each page's
 *   HTML is rewritten (PageEvent.END) so that the permalink follows the
 *   `</summary>`; theme.css places it after the heading again.
 * - the navigation tree, which TypeDoc's main.js renders in the browser
 *   from navigation.js: a module with members is `<details>` › `<summary>`
 *   › `<a>`. main.js is patched once per build (RendererEvent.END) so that
 *   the link comes before the `<details>` in the same `<li>` and the summary
 *   keeps only the chevron, named by the module (aria-label); theme.css
 *   lays the link over the summary's row where it was.
 *
 * Both rewrites match TypeDoc 0.28.20's exact output (the version is pinned
 * in package.json) and throw when it is not found, so an upgrade fails the
 * build here instead of bringing the nesting back unnoticed.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** A section heading's permalink inside its summary (members.tsx, moduleReflection.tsx). */
const sectionPermalink =
  /(<summary class="tsd-accordion-summary"[^>]*>(?:(?!<\/summary>).)*?<h2 class="tsd-anchor-link" id="([^"]+)">)([^<]*)(<a href="#\2" aria-label="[^"]*" class="tsd-anchor-icon">.*?<\/a>)(<\/h2>\s*<\/summary>)/gs;

/**
 * The page's HTML with every section permalink moved out of its summary,
 * to right after it, labelled with its section ("Permalink: Properties").
 */
export function unnestSectionPermalinks(html) {
  return html.replace(sectionPermalink, (_all, open, _id, title, link, close) => {
    const labelled = link
      .replace(/aria-label="([^"]*)"/, (_a, label) => `aria-label="${label}: ${title.trim()}"`)
      .replace('class="tsd-anchor-icon"', 'class="tsd-anchor-icon nerve-section-permalink"');
    return `${open}${title}${close}${labelled}`;
  });
}

/** The elements that make a summary's content interactive (axe's nested-interactive). */
const interactiveInSummary =
  /<summary\b[^>]*>(?:(?!<\/summary>).)*?<(?:a\s[^>]*href|button|input|select|textarea|details|iframe|audio\s[^>]*controls|video\s[^>]*controls|[a-z]+\s[^>]*tabindex)/s;

/** Whether the HTML still has an interactive element inside a summary (a cheap static check). */
export function hasNestedInteractiveSummary(html) {
  return interactiveInSummary.test(html);
}

/**
 * The patches of main.js (minified, TypeDoc 0.28.20), each [found, replaced]:
 * - the navigation renderer `Ve` creates the summary `o` and then
 *   `De(t,o)`, which appends the node's link (or, without a path, a folder
 *   label) to it. Patched: a node with a path appends its link to the `<li>`
 *   `r` and moves it before the `<details>` `s`.
 * - `ensureActivePageVisible` opens the `<details>` around the current
 *   page's link, walking up from its parent. The current module's own
 *   `<details>` (its members) now follows its link instead of holding it:
 *   the walk starts there, so the module page shows its members as before.
 */
const chevron = `o.innerHTML='<svg width="20" height="20"><use href="#icon-chevronDown"></use></svg>',`;
const mainJsPatches = [
  [
    `${chevron}De(t,o);`,
    `${chevron}t.path?(De(t,r),r.insertBefore(r.lastChild,s),r.classList.add("nerve-nav-branch"),o.ariaLabel=t.text):De(t,o);`,
  ],
  [
    'ensureActivePageVisible(){let e=document.querySelector(".tsd-navigation .current"),n=e?.parentElement;',
    'ensureActivePageVisible(){let e=document.querySelector(".tsd-navigation .current"),n=e?.nextElementSibling instanceof HTMLDetailsElement?e.nextElementSibling:e?.parentElement;',
  ],
];

/** main.js with the navigation's links beside, not inside, their summaries. */
export function unnestNavigationLinks(js) {
  let out = js;
  for (const [found, replaced] of mainJsPatches) {
    const at = out.indexOf(found);
    if (at < 0 || out.indexOf(found, at + 1) >= 0)
      throw new Error(
        `api/a11y.mjs: not found once in TypeDoc's main.js (TypeDoc upgraded? see apps/site/README.md, API reference): ${found}`,
      );
    out = out.replace(found, () => replaced);
  }
  return out;
}

/**
 * Registers both rewrites on a TypeDoc application (before
 * `generateOutputs`). After the pages are written, every page is checked
 * for a summary that still holds an interactive element (throws).
 */
export function accessibleSummaries(app, { PageEvent, RendererEvent }) {
  const pages = [];
  app.renderer.on(PageEvent.END, (page) => {
    if (!page.contents) return;
    page.contents = unnestSectionPermalinks(page.contents);
    if (hasNestedInteractiveSummary(page.contents)) pages.push(page.url);
  });
  // After TypeDoc's own RendererEvent.END listeners (priority 0), which write main.js.
  app.renderer.on(
    RendererEvent.END,
    (event) => {
      const main = join(event.outputDirectory, 'assets', 'main.js');
      writeFileSync(main, unnestNavigationLinks(readFileSync(main, 'utf8')));
      if (pages.length > 0)
        throw new Error(
          `api/a11y.mjs: interactive elements left inside <summary> on ${pages.length} pages, e.g. ${pages.slice(0, 3).join(', ')}`,
        );
    },
    -1,
  );
}
