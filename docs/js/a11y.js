// Accessibility fixes for the theme's and the notebook renderer's HTML (found by axe-core).

// A block that scrolls sideways must be reachable by keyboard to be scrolled: code blocks
// (Material misses some on a phone), outputs, notebook cells and display formulas, kept up
// to date as the width changes (a phone turned sideways).
const sideways = new ResizeObserver((entries) => {
  for (const { target } of entries) {
    if (target.scrollWidth > target.clientWidth) target.setAttribute("tabindex", "0");
    else target.removeAttribute("tabindex");
  }
});

document$.subscribe(() => {
  // Material's search dialog has no accessible name.
  const search = document.querySelector('.md-search[role="dialog"]');
  if (search && !search.hasAttribute("aria-label")) search.setAttribute("aria-label", "搜索");
  for (const block of document.querySelectorAll(".highlight pre > code, .snippet-output > pre, .highlight-ipynb, .jp-OutputArea-output pre, div.arithmatex")) {
    sideways.observe(block);
  }
});
