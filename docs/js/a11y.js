// Accessibility fixes for the theme's and the notebook renderer's HTML (found by axe-core).

// A block that scrolls sideways must be reachable by keyboard to be scrolled: code blocks
// (Material misses some on a phone), outputs, notebook cells and display formulas, kept up
// to date as the width changes (a phone turned sideways).
function reachable(block) {
  if (block.scrollWidth > block.clientWidth) block.setAttribute("tabindex", "0");
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
  for (const block of document.querySelectorAll(".highlight pre > code, .snippet-output > pre, .highlight-ipynb, .jp-OutputArea-output pre, div.arithmatex")) {
    sideways.observe(block);
    untabbed.observe(block, { attributeFilter: ["tabindex"] });
  }
});
