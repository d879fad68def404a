// Typesets TeX as SVG with MathJax 4, for formulas.py: one process serves a whole build.
// Each line on stdin is a JSON list of [tex, display] pairs; each line on stdout answers it
// with a list of {html, glyphs} or {error}. glyphs maps the id of each glyph outline the
// formula's <use> elements point to, to its <path>: the page gathers them in one hidden
// <svg>, so a glyph used a hundred times on a page is drawn once.
//
// Usage: node typeset.cjs PROJECT   (PROJECT: the folder whose node_modules has @mathjax/src)
"use strict";
const path = require("path");
const readline = require("readline");
const { createRequire } = require("module");

const project = process.argv[2];
const MathJax = createRequire(path.join(project, "package.json"))("@mathjax/src");

async function main() {
  await MathJax.init({
    loader: { load: ["input/tex", "output/svg", "a11y/assistive-mml"] },
    tex: {
      // An unknown macro is an error that fails the build, not red text on the page.
      packages: { "[-]": ["noundefined"] },
      formatError: (jax, error) => { throw error; },
    },
    // Each formula's glyphs are returned with it (see above); the page shares them.
    svg: { fontCache: "global" },
  });
  const adaptor = MathJax.startup.adaptor;
  const output = MathJax.startup.document.outputJax;
  process.stdout.write(JSON.stringify({ css: adaptor.textContent(MathJax.svgStylesheet()) }) + "\n");

  const lines = readline.createInterface({ input: process.stdin, crlfDelay: Infinity });
  for await (const line of lines) {
    const answers = [];
    for (const [tex, display] of JSON.parse(line)) {
      output.clearFontCache();
      try {
        const node = await MathJax.tex2svgPromise(tex, { display });
        const glyphs = {};
        for (const glyph of adaptor.childNodes(output.fontCache.getCache())) {
          glyphs[adaptor.getAttribute(glyph, "id")] = adaptor.outerHTML(glyph);
        }
        answers.push({ html: adaptor.outerHTML(node), glyphs });
      } catch (error) {
        answers.push({ error: String(error.message || error) });
      }
    }
    process.stdout.write(JSON.stringify(answers) + "\n");
  }
}

main().catch((error) => {
  process.stderr.write(`MathJax: ${error.stack || error}\n`);
  process.exit(1);
});
