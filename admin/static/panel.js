/* The panel's own behaviour, from a file (the Content-Security-Policy allows no inline script).
 * Flask-Admin's inline handlers are rewritten into data- attributes as its templates load (admin/headers.py):
 *   data-model-action="delete"  the "With selected" actions (was onclick="return modelActions.execute(…)")
 *   data-confirm="…"            a row's delete button (was onclick="return faHelpers.safeConfirm(…)")
 *   data-add-inline="…"         inline model forms (was onclick="faForm.addInlineField(this, …)")
 * Links to javascript:void(0) (Flask-Admin's menus) never navigate: the policy would refuse them. */
(function () {
  "use strict";
  document.addEventListener("click", function (event) {
    var target = event.target;
    if (!target || !target.closest) { return; }
    var confirmer = target.closest("[data-confirm]");
    if (confirmer) {
      var ok = false;
      try { ok = window.confirm(confirmer.getAttribute("data-confirm")); } catch (e) { ok = false; }
      if (!ok) { event.preventDefault(); event.stopImmediatePropagation(); return; }
    }
    var action = target.closest("[data-model-action]");
    if (action) {
      event.preventDefault();
      if (window.modelActions) { window.modelActions.execute(action.getAttribute("data-model-action")); }
      return;
    }
    var inline = target.closest("[data-add-inline]");
    if (inline) {
      event.preventDefault();
      if (window.faForm) { window.faForm.addInlineField(inline, inline.getAttribute("data-add-inline")); }
      return;
    }
    var link = target.closest("a[href^='javascript:']");
    if (link) { event.preventDefault(); }
  }, true);  // capture: before any handler that stops the click's propagation (Bootstrap's menus do)
})();
