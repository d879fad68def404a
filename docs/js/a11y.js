// Accessibility fixes for the theme's and the notebook renderer's HTML (found by axe-core).

// A block that scrolls sideways must be reachable by keyboard to be scrolled: code blocks
// (Material misses some on a phone), outputs, notebook cells and display formulas, kept up
// to date as the width changes (a phone turned sideways).
const SCROLLERS = ".highlight pre > code, .snippet-output > pre, .highlight-ipynb, .jp-OutputArea-output pre, div.arithmatex";

// A block whose content the browser has not drawn yet (off screen, css/reading.css) has no
// width to compare: it stays reachable until it is drawn and measured.
function reachable(block) {
  const drawn = (block.firstElementChild || block).checkVisibility({ contentVisibilityAuto: true });
  if (!drawn || block.scrollWidth > block.clientWidth) block.setAttribute("tabindex", "0");
  else block.removeAttribute("tabindex");
}
const sideways = new ResizeObserver((entries) => entries.forEach(({ target }) => reachable(target)));
// Material sets up a code block when it first comes on screen (content.lazy) and then takes
// the tabindex away on a screen without hover: put it back if the block still scrolls.
const untabbed = new MutationObserver((changes) => {
  for (const { target } of changes) if (!target.hasAttribute("tabindex")) reachable(target);
});

document$.subscribe(() => {
  // Material's search dialog has no accessible name.
  const search = document.querySelector('.md-search[role="dialog"]');
  if (search && !search.hasAttribute("aria-label")) search.setAttribute("aria-label", "搜索");
  for (const block of document.querySelectorAll(SCROLLERS)) {
    reachable(block);  // the observer below reports only blocks that are drawn
    sideways.observe(block);
    untabbed.observe(block, { attributeFilter: ["tabindex"] });
  }
});

// Measured again once drawn: a block drawn at the size it was guessed at reports no resize.
document.addEventListener("contentvisibilityautostatechange", ({ target, skipped }) => {
  if (skipped) return;
  for (const block of target.querySelectorAll(SCROLLERS)) reachable(block);
  if (target.matches(SCROLLERS)) reachable(target);
}, true);
