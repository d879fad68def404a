// A figure drawn for a wide page is shrunk to fit a phone, and its tick labels with it
// (the 2x3 overview's to about 6 px). Any figure shown smaller than it was drawn opens at
// full size on a tap (or Enter), in a dialog that scrolls; a tap or Escape closes it.

const zoom = document.createElement("dialog");
zoom.className = "figure-zoom";
zoom.setAttribute("aria-label", "放大的图");
zoom.innerHTML = '<button type="button" class="figure-zoom__close">关闭</button><div class="figure-zoom__body"></div>';
zoom.addEventListener("click", () => zoom.close());
zoom.addEventListener("close", () => zoom.querySelector(".figure-zoom__body").replaceChildren());
document.body.append(zoom);

// The image a reader sees now: a figure may hold a light and a dark variant.
function shownImage(figure) {
  return [...figure.querySelectorAll("img")].find((img) => img.checkVisibility());
}

function openFigure(figure) {
  const img = shownImage(figure);
  if (!img) return;
  const copy = img.cloneNode();
  copy.removeAttribute("class");
  copy.style.background = getComputedStyle(img).backgroundColor;  // the paper the page gives it
  zoom.querySelector(".figure-zoom__body").replaceChildren(copy);
  zoom.showModal();
}

function markShrunk(figure) {
  const img = shownImage(figure);
  // Shrunk by a tenth or more: smaller than that, labels stay as legible as drawn.
  // A lazily loaded image has no natural size until it arrives: its width attribute is
  // the size it was drawn at, so a figure is known to be shrunk before it loads.
  const drawn = img ? img.naturalWidth || Number(img.getAttribute("width")) || 0 : 0;
  const shrunk = !!img && img.clientWidth < 0.9 * drawn;
  figure.classList.toggle("figure-zoomable", shrunk);
  if (shrunk) {
    figure.setAttribute("tabindex", "0");
    figure.setAttribute("role", "button");
    figure.setAttribute("aria-label", `放大查看：${img.alt}`);
  } else {
    for (const name of ["tabindex", "role", "aria-label"]) figure.removeAttribute(name);
  }
}

const resizedFigures = new ResizeObserver((entries) => entries.forEach(({ target }) => markShrunk(target)));

document$.subscribe(() => {
  // The chapter's figures, and the same figures as notebook outputs.
  // (A notebook output that holds a chapter figure is not a second one around it.)
  for (const figure of document.querySelectorAll(".snippet-figure, .jp-RenderedSVG:not(:has(.snippet-figure))")) {
    resizedFigures.observe(figure);
    for (const img of figure.querySelectorAll("img")) img.addEventListener("load", () => markShrunk(figure));
    figure.addEventListener("click", () => figure.classList.contains("figure-zoomable") && openFigure(figure));
    figure.addEventListener("keydown", (event) => {
      if ((event.key === "Enter" || event.key === " ") && figure.classList.contains("figure-zoomable")) {
        event.preventDefault();
        openFigure(figure);
      }
    });
  }
});
