// Formulas are drawn as SVG, which holds no text: copied with the prose around them, they
// came out as the letters of their hidden MathML ("f(x+h)−f(x−h)2h"). A copy that takes in
// a formula puts its TeX instead, as the Markdown source writes it: \( ... \) in a line,
// $$ ... $$ on a line of its own. Each formula keeps its TeX in data-tex (snipdoc's
// formulas.py). A copy with no formula in it is left to the browser.
document.addEventListener("copy", (event) => {
  const selection = document.getSelection();
  if (!selection || selection.isCollapsed || !event.clipboardData) return;
  const start = selection.getRangeAt(0).startContainer;
  const inside = (start.nodeType === Node.ELEMENT_NODE ? start : start.parentElement)?.closest("[data-tex]");
  const range = selection.getRangeAt(0).cloneRange();
  if (inside) range.setStartBefore(inside); // a selection that starts inside a formula takes all of it
  const copied = range.cloneContents();
  const formulas = copied.querySelectorAll("[data-tex]");
  if (!formulas.length) return;
  for (const formula of formulas) {
    const block = formula.tagName === "DIV";
    const tex = block ? `$$${formula.dataset.tex}$$` : `\\(${formula.dataset.tex}\\)`;
    const text = document.createElement(block ? "div" : "span");
    text.textContent = tex;
    formula.replaceWith(text);
  }
  // Laid out out of sight, so that innerText breaks lines where the page does.
  const holder = document.createElement("div");
  holder.style.cssText = "position: fixed; left: -10000px; top: 0; white-space: normal;";
  holder.append(copied);
  document.body.append(holder);
  event.clipboardData.setData("text/plain", holder.innerText);
  event.clipboardData.setData("text/html", holder.innerHTML);
  holder.remove();
  event.preventDefault();
});
