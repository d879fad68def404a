// MathJax settings; MathJax itself is served by the site (assets/mathjax/), never a CDN.
window.MathJax = {
  tex: {
    // Markdown pages: pymdownx.arithmatex emits \( \) and \[ \]. Notebook pages keep the
    // $ and $$ the author typed in a Markdown cell.
    inlineMath: [["\\(", "\\)"], ["$", "$"]],
    displayMath: [["\\[", "\\]"], ["$$", "$$"]],
    processEscapes: true,
    processEnvironments: true,
    // An unknown macro is a TeX error (a red error box the browser tests find),
    // not quietly shown as red text.
    packages: { "[-]": ["noundefined"] },
  },
  options: {
    // Typeset only the formulas: arithmatex's spans on Markdown pages, rendered Markdown and
    // LaTeX cells on notebook pages. A snippet's output is printed text: a "$x$" in it stays as is.
    // (Material's suggested ignoreHtmlClass ".*|" would skip the notebook cells.)
    ignoreHtmlClass: "md-header|md-container|md-dialog|snippet-output",
    processHtmlClass: "arithmatex|jp-RenderedMarkdown|jp-RenderedLatex",
  },
  startup: {
    // Each page is typeset below, once Material says its content is in place.
    typeset: false,
  },
};

// document$ emits for every page Material shows (also after instant navigation). Chaining on
// MathJax.startup.promise keeps typesetting runs in order, and lets anyone wait for the
// formulas of the current page with `await MathJax.startup.promise`.
document$.subscribe(() => {
  MathJax.startup.promise = MathJax.startup.promise.then(() => {
    MathJax.startup.output.clearCache();
    MathJax.typesetClear();
    MathJax.texReset();
    return MathJax.typesetPromise();
  }).catch((error) => console.error("MathJax:", error));  // reported, and the next page still typesets
});
