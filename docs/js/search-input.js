// Material reads the search box on keyup only, so a query that arrives without a key
// (pasted from the context menu, dictated, committed by some input methods) was never
// searched. Pass every change on as a keyup. While an input method is composing, the box
// holds pinyin rather than the query: search when the composition ends.
const searchBox = document.querySelector('input[data-md-component="search-query"]');
if (searchBox) {
  const searchNow = () => searchBox.dispatchEvent(new KeyboardEvent("keyup", { bubbles: true }));
  searchBox.addEventListener("input", (event) => event.isComposing || searchNow());
  searchBox.addEventListener("compositionend", searchNow);
}
