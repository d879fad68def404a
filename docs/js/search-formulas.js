// Search results quote a page's text, and with it the TeX of its formulas. The formulas
// were typeset when the site was built (snipdoc's formulas.py): the first result that
// quotes one fetches them all, as SVG, and shows each in place of its TeX. A reader who
// never searches, or whose results quote no formula, downloads none of this.
(() => {
  const list = document.querySelector(".md-search-result__list");
  const script = document.currentScript;
  if (!list || !script) return;
  const base = new URL("../", script.src);
  const TEX = /\\\(([\s\S]*?)\\\)|\\\[([\s\S]*?)\\\]/g;
  let typeset = null;

  function load() {
    typeset = typeset || fetch(new URL("search/formulas.json", base)).then((r) => r.json()).then((data) => {
      const link = document.createElement("link");
      link.rel = "stylesheet";
      link.href = new URL(data.stylesheet, base).href;
      document.head.append(link);
      document.body.insertAdjacentHTML("afterbegin", data.glyphs);
      return data.formulas;
    });
    return typeset;
  }

  // The TeX as the result shows it: search may have marked words inside it.
  function plain(html) {
    const div = document.createElement("div");
    div.innerHTML = html;
    return div.textContent;
  }

  async function show(article) {
    if (article.innerHTML.search(TEX) < 0) return;
    const formulas = await load();
    article.innerHTML = article.innerHTML.replace(TEX, (source, inline, display) => {
      const svg = inline != null ? formulas["i" + plain(inline)] : formulas["d" + plain(display)];
      return svg || source;
    });
  }

  new MutationObserver(() => {
    for (const article of list.querySelectorAll(".md-search-result__article:not([data-formulas])")) {
      article.dataset.formulas = "";
      show(article).catch((error) => console.error("search formulas:", error));
    }
  }).observe(list, { childList: true, subtree: true });
})();
