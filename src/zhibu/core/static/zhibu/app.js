/* Zhibu page helpers: confirmations, copy-to-clipboard, tree toggles. No inline scripts needed. */
(function () {
  "use strict";

  // <form data-zb-confirm="message">: ask before submitting.
  document.addEventListener("submit", function (event) {
    var form = event.target;
    var message = form && form.getAttribute && form.getAttribute("data-zb-confirm");
    if (message && !window.confirm(message)) {
      event.preventDefault();
      event.stopImmediatePropagation();
    }
  }, true);

  document.addEventListener("click", function (event) {
    // <button data-zb-copy="#selector">: copy the target input's value.
    var copy = event.target.closest("[data-zb-copy]");
    if (copy) {
      var input = document.querySelector(copy.getAttribute("data-zb-copy"));
      if (!input) return;
      var done = function () {
        var original = copy.innerHTML;
        copy.textContent = "已复制";
        setTimeout(function () { copy.innerHTML = original; }, 2000);
      };
      input.select();
      if (navigator.clipboard && window.isSecureContext) {
        navigator.clipboard.writeText(input.value).then(done, function () {
          document.execCommand("copy"); done();
        });
      } else {
        document.execCommand("copy");
        done();
      }
      return;
    }

    // <button data-zb-back>: go back.
    if (event.target.closest("[data-zb-back]")) {
      window.history.back();
      return;
    }

    // <button data-zb-toggle="#children">: show or hide a node's children (htmx loads them once).
    var toggle = event.target.closest("[data-zb-toggle]");
    if (toggle) {
      var target = document.querySelector(toggle.getAttribute("data-zb-toggle"));
      if (!target) return;
      var open = toggle.getAttribute("aria-expanded") === "true";
      toggle.setAttribute("aria-expanded", open ? "false" : "true");
      target.hidden = open;
    }
  });

  // A failed htmx request shows a message where the content would have gone.
  function showError(event, text) {
    var target = event.detail.target;
    if (!target) return;
    var tag = /^(UL|OL)$/.test(target.tagName) ? "li" : "div";
    var el = document.createElement(tag);
    el.className = "text-danger small";
    el.textContent = text;
    target.replaceChildren(el);
  }
  document.addEventListener("htmx:responseError", function (event) {
    showError(event, "加载失败（" + event.detail.xhr.status + "），请刷新页面重试");
  });
  document.addEventListener("htmx:sendError", function (event) {
    showError(event, "网络连接失败，请检查网络后重试");
  });
})();
