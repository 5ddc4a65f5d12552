/* fagdag's only script: small enhancements. Every page works without it. */
(function () {
  "use strict";

  // After a failed submit the error summary is the first thing in <main>.
  // Moving focus to it makes screen readers read it out at once, and keyboard
  // users start from it.
  var summary = document.getElementById("error-summary");
  if (!summary) {
    return;
  }
  summary.focus();

  // A link in the summary jumps to its field and puts the cursor in it (a
  // plain link to an id only scrolls). The whole question stays in view: the
  // legend of a group of radio buttons, the label of a field.
  summary.addEventListener("click", function (event) {
    var link = event.target.closest("a[href^='#']");
    var target = link && document.getElementById(link.getAttribute("href").slice(1));
    if (!target) {
      return;
    }
    var input = target.matches("input, select, textarea")
      ? target
      : target.querySelector("input:not([disabled]), select, textarea");
    if (!input) {
      return;
    }
    event.preventDefault();
    var question = target.closest("fieldset") || document.getElementById("div_" + input.id) || target;
    question.scrollIntoView();
    input.focus({ preventScroll: true });
  });
})();
