// A copy button sits over the top right corner of its code block, where a long first line
// (or the top of the second) runs, and scrolled sideways passes, underneath it. Such a block
// gets a strip at the top for the button (css/reading.css), so the button never covers
// code; other blocks keep their height. Checked again when the width changes (a phone turned sideways).

const GRAZE = 2;  // px

const COPY_BUTTONS = [
  // Material's button, in the <pre> above the <code> that scrolls.
  { button: ".md-code__nav", block: "pre", code: ":scope > code" },
  // mkdocs-jupyter's, beside the highlighted cell source.
  { button: ".zeroclipboard-container", block: ".CodeMirror", code: ".highlight-ipynb" },
];

// How far right the lines of code beside the button (from top to bottom on screen) reach,
// in the coordinates of the code's unscrolled box.
function reachBeside(code, top, bottom) {
  const range = document.createRange();
  const walker = document.createTreeWalker(code, NodeFilter.SHOW_TEXT);
  const origin = code.getBoundingClientRect().left - code.scrollLeft;
  let reach = 0;
  for (let node; (node = walker.nextNode()); ) {
    range.selectNodeContents(node);
    for (const r of range.getClientRects()) {
      if (r.top >= bottom) return reach;
      if (r.width > 0 && r.bottom > top) reach = Math.max(reach, r.right - origin);
    }
  }
  return reach;
}

// Whether a block's first lines reach under its button, measured with the strip taken away.
function reachesUnder(block, kind) {
  const button = block.querySelector(kind.button);
  const code = block.querySelector(kind.code);
  if (!button || !code) return false;
  const b = button.getBoundingClientRect();
  const room = b.left - code.getBoundingClientRect().left;
  // A line's box is taller than its letters: one that only grazes the button's edge is clear.
  return reachBeside(code, b.top + GRAZE, b.bottom - GRAZE) > room - 4;
}

// All blocks are measured in one layout: toggling a class between measurements would make the
// browser lay out the whole page again for each block (seconds on a long chapter on a phone).
const resized = new ResizeObserver((entries) => {
  const blocks = [];
  for (const { target } of entries) {
    const kind = COPY_BUTTONS.find((k) => target.matches(k.block));
    if (kind) blocks.push([target, kind]);
  }
  for (const [block] of blocks) block.classList.remove("copy-button-above");
  const above = blocks.map(([block, kind]) => reachesUnder(block, kind));
  blocks.forEach(([block], i) => block.classList.toggle("copy-button-above", above[i]));
});

function watch(root) {
  for (const kind of COPY_BUTTONS) {
    const buttons = [...root.querySelectorAll(kind.button)];
    if (root.matches?.(kind.button)) buttons.push(root);
    for (const button of buttons) {
      const block = button.closest(kind.block);
      if (block) resized.observe(block);  // reports the block's size at once, then on changes
    }
  }
}

// Material adds a block's button when the block first comes on screen (content.lazy).
const added = new MutationObserver((changes) => {
  for (const { addedNodes } of changes) for (const node of addedNodes) if (node.nodeType === 1) watch(node);
});

document$.subscribe(() => {
  const content = document.querySelector(".md-content");
  if (!content) return;
  watch(content);
  added.observe(content, { childList: true, subtree: true });
});
