// Loaded by tests/course/test_book.py into a driver page of the built book. It opens each chapter in
// an iframe as wide as a desktop or a phone window, waits for MathJax to typeset it, and measures
// every display equation: MathJax errors, how far its box leaves the text column, how many pixels of
// it no scrolling can reach (cut off by its own box or by a clipping ancestor), and whether it scrolls.
// The results go into a pre element (id neuroai-layout) as JSON, which the test reads from the DOM.
(function () {
  function measure(doc) {
    var col = doc.querySelector("article.bd-article") || doc.querySelector("main") || doc.body;
    var c = col.getBoundingClientRect();
    var rows = [];
    doc.querySelectorAll('mjx-container[display="true"]').forEach(function (el, i) {
      var box = el.getBoundingClientRect();
      var s = (el.querySelector("svg") || el).getBoundingClientRect();
      var lost = box.left - s.left;                      // left of the scroll box: never reachable
      for (var a = el.parentElement; a && a !== doc.documentElement; a = a.parentElement) {
        if (getComputedStyle(a).overflowX !== "visible") {
          var r = a.getBoundingClientRect();
          lost = Math.max(lost, r.left - box.left, box.right - r.right);
        }
      }
      var tag = (el.textContent.match(/\((\d+[a-z]?)\)/) || [])[1] || "";
      rows.push({index: i, tag: tag, content: Math.round(s.width), box: Math.round(box.width),
                 outside: Math.round(Math.max(0, c.left - box.left, box.right - c.right)),
                 lost: Math.round(Math.max(0, lost)), scrolls: el.scrollWidth > el.clientWidth + 1,
                 errors: el.querySelectorAll("[data-mjx-error], mjx-merror").length,
                 text: el.textContent.replace(/\s+/g, " ").slice(0, 60)});
    });
    return {column: Math.round(c.width), math: rows,
            errors: doc.querySelectorAll("[data-mjx-error], mjx-merror").length};
  }

  function open(url, width) {
    return new Promise(function (resolve) {
      var frame = document.createElement("iframe");
      frame.style.width = width + "px";
      frame.style.height = "900px";
      frame.onload = function () {
        var win = frame.contentWindow;
        var typeset = win.MathJax && win.MathJax.startup && win.MathJax.startup.promise;
        (typeset || Promise.resolve()).then(function () {
          var result = measure(frame.contentDocument);
          result.url = url;
          frame.remove();
          resolve(result);
        });
      };
      frame.src = url;
      document.body.appendChild(frame);
    });
  }

  var params = JSON.parse(document.getElementById("neuroai-pages").textContent);
  var results = [];
  params.pages.reduce(function (chain, url) {
    return chain.then(function () { return open(url, params.width).then(function (r) { results.push(r); }); });
  }, Promise.resolve()).then(function () {
    var pre = document.createElement("pre");
    pre.id = "neuroai-layout";
    pre.textContent = JSON.stringify(results);
    document.body.appendChild(pre);
  });
})();
