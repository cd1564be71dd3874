// Self-check for automated viewers (rtlab's end-to-end test reads it back):
// counts the inline SVG drawings and images that rendered with a size.
(function () {
  function check() {
    var svgs = document.querySelectorAll(".plot svg");
    var imgs = document.querySelectorAll("img");
    var svgOk = 0, imgOk = 0;
    svgs.forEach(function (s) { var b = s.getBoundingClientRect(); if (b.width > 0 && b.height > 0 && s.childElementCount > 0) svgOk++; });
    imgs.forEach(function (i) { if (i.complete && i.naturalWidth > 0) imgOk++; });
    document.body.setAttribute("data-render-check",
      "svg " + svgOk + "/" + svgs.length + " img " + imgOk + "/" + imgs.length);
  }
  if (document.readyState === "complete") check(); else window.addEventListener("load", check);
})();
