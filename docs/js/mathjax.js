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
    // Typeset only formulas: arithmatex's spans on Markdown pages, rendered Markdown and LaTeX
    // cells on notebook pages, and search results (they quote the page's text, formulas included).
    // A snippet's output is printed text: a "$x$" in it stays as it is.
    // (Material's suggested ignoreHtmlClass ".*|" would skip the notebook cells.)
    ignoreHtmlClass: "md-header|md-container|md-dialog|snippet-output",
    processHtmlClass: "arithmatex|jp-RenderedMarkdown|jp-RenderedLatex|md-search-result__article",
  },
  startup: {
    // Each page is typeset below, once Material says its content is in place.
    typeset: false,
  },
};

// Typesetting runs one after another on MathJax.startup.promise, so anyone can wait for
// the formulas shown so far with `await MathJax.startup.promise`.
function typeset(elements, fresh) {
  MathJax.startup.promise = MathJax.startup.promise.then(() => {
    if (fresh) {
      MathJax.startup.output.clearCache();
      MathJax.typesetClear();
      MathJax.texReset();
    }
    return MathJax.typesetPromise(elements);
  }).then(gluePunctuation).then(markWideFormulas).catch((error) => console.error("MathJax:", error));  // reported, and later runs still happen
}

// MathJax 3 cannot break a formula across lines. One in running text that is wider than its
// paragraph (on a phone) would make the whole page scroll sideways: CSS gives it a line of
// its own that scrolls, like a display formula.
function markWideFormulas() {
  for (const math of document.querySelectorAll(".md-content mjx-container:not([display='true'])")) {
    const block = math.parentElement.closest("p, li, dd, td, th, div");
    if (!block || !math.firstElementChild) continue;
    const style = getComputedStyle(block);
    const room = block.clientWidth - parseFloat(style.paddingLeft) - parseFloat(style.paddingRight);
    math.classList.toggle("mjx-too-wide", math.firstElementChild.getBoundingClientRect().width > room);
  }
}
// A line of Chinese text never starts with closing punctuation (，。）) or ends with opening
// punctuation (（“). Browsers keep that rule within text, but an inline formula is a box of
// its own, and a line may break on either side of it: "$x$，" could leave "，" starting the
// next line. The formula and the punctuation touching it are glued into one unbreakable span.
const CLOSING = /^[，。、；：？！）」』】〉》”’…,.;:?!)\]]+/;
const OPENING = /[（「『【〈《“‘([]+$/;
function gluePunctuation() {
  for (const math of document.querySelectorAll(".md-content mjx-container:not([display='true'])")) {
    // Markdown pages wrap each formula in arithmatex's span; notebook pages do not.
    const box = math.parentElement.matches("span.arithmatex") ? math.parentElement : math;
    if (box.parentElement.matches(".math-glue")) continue;
    const before = box.previousSibling, after = box.nextSibling;
    const open = before && before.nodeType === Node.TEXT_NODE && before.data.match(OPENING);
    const close = after && after.nodeType === Node.TEXT_NODE && after.data.match(CLOSING);
    if (!open && !close) continue;
    const glue = document.createElement("span");
    glue.className = "math-glue";
    box.before(glue);
    if (open) glue.append(before.splitText(before.length - open[0].length));
    glue.append(box);
    if (close) {
      after.splitText(close[0].length);
      glue.append(after);
    }
  }
}

let resizing = false;
window.addEventListener("resize", () => {
  if (resizing) return;
  resizing = true;
  requestAnimationFrame(() => { resizing = false; markWideFormulas(); });
});

// document$ emits for every page Material shows (also after instant navigation).
document$.subscribe(() => typeset(null, true));

// The search box lives outside the page content and stays across pages: watch it once.
const searchResults = document.querySelector(".md-search-result__list");
if (searchResults) {
  new MutationObserver((changes) => {
    const added = changes.flatMap((change) => [...change.addedNodes]).filter((node) => node.isConnected);
    if (added.length) typeset(added, false);
  }).observe(searchResults, { childList: true });
}
